// Registers a module hook that makes the packages named in CHATD_HIDDEN_PACKAGES (comma-separated)
// fail to resolve as if they were not installed, with Node's own ERR_MODULE_NOT_FOUND code. For
// tests in a fresh process: `CHATD_HIDDEN_PACKAGES=pg node --import tsx --import ./hide-packages.mjs …`
// proves a Postgres user never loads PGlite, and shows what a `{ url }` user without `pg` sees.
import { register } from 'node:module';

const hook = `
let hidden = [];
export function initialize(data) {
  hidden = data.hidden;
}
export async function resolve(specifier, context, next) {
  if (hidden.some((name) => specifier === name || specifier.startsWith(name + '/'))) {
    const error = new Error("Cannot find package '" + specifier + "' (hidden by the test)");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
const hidden = (process.env.CHATD_HIDDEN_PACKAGES ?? '').split(',').filter(Boolean);
register(`data:text/javascript,${encodeURIComponent(hook)}`, {
  parentURL: import.meta.url,
  data: { hidden },
});
