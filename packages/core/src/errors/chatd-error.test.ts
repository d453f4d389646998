import { describe, expect, it } from 'vitest';
import { ChatdError } from './chatd-error.js';
import { InvalidArgumentError, ValidationFailedError } from './core-errors.js';

describe('ChatdError', () => {
  it('carries code, message, retryable and cause', () => {
    const cause = new Error('socket closed');
    const error = new ChatdError('UPSTREAM_DOWN', 'provider unreachable', {
      cause,
      retryable: true,
    });
    expect(error.code).toBe('UPSTREAM_DOWN');
    expect(error.message).toBe('provider unreachable');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('is not retryable unless the thrower says so', () => {
    expect(new ChatdError('X', 'x').retryable).toBe(false);
  });

  it('recognises errors by brand, optionally by code', () => {
    const error = new InvalidArgumentError('bufferSize', 'must be positive');
    expect(ChatdError.isInstance(error)).toBe(true);
    expect(ChatdError.isInstance(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(ChatdError.isInstance(error, 'EPISODE_FULL')).toBe(false);
    expect(ChatdError.isInstance(new Error('plain'))).toBe(false);
    expect(ChatdError.isInstance(null)).toBe(false);
    expect(ChatdError.isInstance('INVALID_ARGUMENT')).toBe(false);
  });

  it('recognises an error from a second copy of the package, where instanceof fails', () => {
    // A second copy defines its own class but brands with the same Symbol.for key.
    const foreign = Object.assign(new Error('closed'), {
      [Symbol.for('chatd.error')]: true,
      code: 'BROKER_CLOSED',
    });
    expect(foreign instanceof ChatdError).toBe(false);
    expect(ChatdError.isInstance(foreign, 'BROKER_CLOSED')).toBe(true);
  });

  it('serialises to a plain object for logs', () => {
    const error = new InvalidArgumentError('capacity', 'must be a non-negative integer, got -1');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'InvalidArgumentError',
      code: 'INVALID_ARGUMENT',
      message: 'Invalid capacity: must be a non-negative integer, got -1',
      retryable: false,
    });
    expect(error.argument).toBe('capacity');
  });

  it('names every path and problem of a validation failure', () => {
    const error = new ValidationFailedError('chat message content', [
      { path: ['parts', 1, 'toolCallId'], message: 'Required' },
      { path: [], message: 'Expected object' },
    ]);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(
      'Invalid chat message content: parts.1.toolCallId: Required; (root): Expected object',
    );
    expect(error.issues).toHaveLength(2);
  });
});
