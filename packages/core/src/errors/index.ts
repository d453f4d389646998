export { ChatdError, type ChatdErrorOptions } from './chatd-error.js';
export {
  InvalidArgumentError,
  ValidationFailedError,
  type ValidationIssue,
} from './core-errors.js';
