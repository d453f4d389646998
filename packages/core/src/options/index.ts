export { requirePositiveInteger, requirePositiveNumber } from './option-checks.js';
export { parseArgument } from './parse-argument.js';
