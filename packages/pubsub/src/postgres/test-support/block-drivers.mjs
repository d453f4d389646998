// Registers a module hook that makes any import of a database driver fail, to prove a module
// graph never loads one. Test-only: `node --import tsx --import ./block-drivers.mjs …`.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === 'pg' || specifier.startsWith('pg/') || specifier.startsWith('@electric-sql/pglite')) {
    throw new Error('driver loaded: ' + specifier);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
