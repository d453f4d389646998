export { requirePositiveInteger, requirePositiveNumber } from './option-checks.js';
