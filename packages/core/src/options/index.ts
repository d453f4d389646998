export {
  type KnownOptions,
  requireKnownOptions,
  requirePositiveInteger,
  requirePositiveNumber,
} from './option-checks.js';
export { parseArgument } from './parse-argument.js';
