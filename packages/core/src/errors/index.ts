export { ChatdError, type ChatdErrorOptions } from './chatd-error.js';
export {
  type CoreErrorCode,
  InvalidArgumentError,
  QueueOverflowError,
  ValidationFailedError,
  type ValidationIssue,
} from './core-errors.js';
