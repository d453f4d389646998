import { ChatdError, type ChatdErrorOptions } from '@chatd/core';

/** Error codes thrown by `@chatd/pubsub/postgres`, besides core's `INVALID_ARGUMENT`. */
export type PostgresTransportErrorCode = 'TRANSPORT_FAILED' | 'TRANSPORT_CLOSED';

/**
 * Postgres could not be reached or refused an operation: the first connection failed (so
 * `listen` rejects and the subscription's `ready` with it), LISTEN failed on a healthy session
 * (e.g. on a read-only standby), or a NOTIFY failed or timed out. `retryable` is `true` when the
 * cause is a connection problem or a timeout. The driver's error, if any, is the `cause`.
 */
export class TransportFailedError extends ChatdError<'TRANSPORT_FAILED'> {
  /**
   * Creates the error.
   * @param message - What failed, without credentials.
   * @param options - The driver's error as `cause`, and whether retrying may help.
   */
  constructor(message: string, options?: ChatdErrorOptions) {
    super('TRANSPORT_FAILED', message, options);
    this.name = 'TransportFailedError';
  }
}

/** `publish` was called on a {@link PostgresTransport} after `close()`. */
export class TransportClosedError extends ChatdError<'TRANSPORT_CLOSED'> {
  /**
   * Creates the error.
   * @param options - An optional cause.
   */
  constructor(options?: ChatdErrorOptions) {
    super('TRANSPORT_CLOSED', 'The Postgres transport is closed', options);
    this.name = 'TransportClosedError';
  }
}
