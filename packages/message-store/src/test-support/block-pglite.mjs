// Registers a module hook that makes any import of PGlite fail, to prove a Postgres user's
// module graph never loads the WASM. Test-only: `node --import tsx --import ./block-pglite.mjs …`.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@electric-sql/pglite')) throw new Error('PGlite loaded: ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
