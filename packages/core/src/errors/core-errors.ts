import { ChatdError, type ChatdErrorOptions } from './chatd-error.js';

/**
 * An option or argument was outside its allowed range (a non-positive size, an empty name, …).
 *
 * Shared by every chatd package so that "you called this wrong" has one code everywhere; the
 * message names the argument and what was wrong with it.
 */
export class InvalidArgumentError extends ChatdError<'INVALID_ARGUMENT'> {
  /** The name of the offending argument or option, e.g. `bufferSize`. */
  readonly argument: string;

  constructor(argument: string, problem: string, options?: ChatdErrorOptions) {
    super('INVALID_ARGUMENT', `Invalid ${argument}: ${problem}`, options);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/** One problem found while validating a value, with the path to the offending field. */
export interface ValidationIssue {
  /** Path from the validated value to the field, e.g. `['content', 2, 'toolCallId']`. */
  path: readonly (string | number)[];
  /** What is wrong, in words. */
  message: string;
}

/**
 * A value failed schema validation: anything on the write path, or stored data too malformed to
 * read back. The message names every offending path and problem;
 * {@link ValidationFailedError.issues} carries them structured.
 */
export class ValidationFailedError extends ChatdError<'VALIDATION_FAILED'> {
  /** Every problem found, in schema order. */
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[], options?: ChatdErrorOptions) {
    const details = issues
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
      )
      .join('; ');
    super('VALIDATION_FAILED', `Invalid ${what}: ${details}`, options);
    this.name = 'ValidationFailedError';
    this.issues = issues;
  }
}

/** A `BoundedQueue` with the `error` overflow policy was offered a value while full. */
export class QueueOverflowError extends ChatdError<'QUEUE_OVERFLOW'> {
  constructor(capacity: number) {
    super('QUEUE_OVERFLOW', `Queue overflowed its capacity of ${capacity}; the reader fell behind`);
    this.name = 'QueueOverflowError';
  }
}
