import { ChatdError, type ChatdErrorOptions } from '@chatd/core';

/**
 * Error codes thrown by `@chatd/pubsub`. Bad options (a non-positive size or timeout) use core's
 * `INVALID_ARGUMENT` instead, like every chatd package.
 */
export type PubSubErrorCode =
  | 'BROKER_CLOSED'
  | 'PUBSUB_CLOSED'
  | 'INVALID_CHANNEL'
  | 'PAYLOAD_NOT_JSON'
  | 'PAYLOAD_TOO_LARGE';

/** `subscribe` was called on a {@link Broker} after `close()`. */
export class BrokerClosedError extends ChatdError<'BROKER_CLOSED'> {
  /**
   * Creates the error.
   * @param options - An optional cause.
   */
  constructor(options?: ChatdErrorOptions) {
    super('BROKER_CLOSED', 'The broker is closed; subscribe to a new broker', options);
    this.name = 'BrokerClosedError';
  }
}

/** `subscribe` was called on a {@link PubSub} after `close()`. */
export class PubSubClosedError extends ChatdError<'PUBSUB_CLOSED'> {
  /**
   * Creates the error.
   * @param options - An optional cause.
   */
  constructor(options?: ChatdErrorOptions) {
    super('PUBSUB_CLOSED', 'The pubsub is closed; subscribe to a new one', options);
    this.name = 'PubSubClosedError';
  }
}

/**
 * A channel name is not a non-empty string of at most 200 characters.
 *
 * A code of its own rather than `INVALID_ARGUMENT` because channel names are often built from
 * data (`chat:update:<id>`), so callers may want to tell a bad id from a programming mistake.
 */
export class InvalidChannelError extends ChatdError<'INVALID_CHANNEL'> {
  /** The rejected channel name (whatever was passed). */
  readonly channel: unknown;

  /**
   * Creates the error.
   * @param channel - The rejected name.
   * @param problem - What is wrong with it, e.g. `must not be empty`.
   */
  constructor(channel: unknown, problem: string, options?: ChatdErrorOptions) {
    super('INVALID_CHANNEL', `Invalid channel name: ${problem}`, options);
    this.name = 'InvalidChannelError';
    this.channel = channel;
  }
}

/**
 * A payload is not a JSON value (a function, `undefined`, a `bigint`, a non-finite number, a
 * class instance, a cycle, …). Thrown before anything is sent.
 */
export class PayloadNotJsonError extends ChatdError<'PAYLOAD_NOT_JSON'> {
  /** Where in the payload the problem is, e.g. `payload.items[2].at`. */
  readonly path: string;

  /**
   * Creates the error.
   * @param path - Where the offending value is, e.g. `payload.items[2]`.
   * @param problem - What is wrong, e.g. `expected a JSON value, received function`.
   */
  constructor(path: string, problem: string, options?: ChatdErrorOptions) {
    super('PAYLOAD_NOT_JSON', `${path}: ${problem}; only JSON values can be published`, options);
    this.name = 'PayloadNotJsonError';
    this.path = path;
  }
}

/**
 * A serialized message is larger than the transport can carry (Postgres NOTIFY takes less than
 * 8000 bytes). Thrown before anything is sent; transports throw it too.
 */
export class PayloadTooLargeError extends ChatdError<'PAYLOAD_TOO_LARGE'> {
  /** Size of the serialized message, in UTF-8 bytes. */
  readonly bytes: number;
  /** The most the transport carries, in UTF-8 bytes. */
  readonly maxBytes: number;

  /**
   * Creates the error.
   * @param bytes - Size of the serialized message, in UTF-8 bytes.
   * @param maxBytes - The most the transport carries, in UTF-8 bytes.
   */
  constructor(bytes: number, maxBytes: number, options?: ChatdErrorOptions) {
    super(
      'PAYLOAD_TOO_LARGE',
      `The serialized message is ${bytes} bytes; the transport carries at most ${maxBytes}`,
      options,
    );
    this.name = 'PayloadTooLargeError';
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}
