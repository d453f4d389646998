import { InvalidArgumentError, requirePositiveInteger } from '@chatd/core';
import { PayloadTooLargeError } from '../errors/pubsub-errors.js';
import type { PubSubTransport, TransportReceiver } from './transport.js';

/** Options for {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /**
   * The largest message carried, in UTF-8 bytes. The default is Postgres NOTIFY's limit (payloads
   * must be shorter than 8000 bytes), so a payload that works in-process also works across
   * processes. A positive integer.
   * @default 7999
   */
  maxPayloadBytes?: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The default {@link PubSubTransport}: loops each message straight back to its own PubSub, for a
 * single process. It never loses a connection, so it never reports a reconnect.
 *
 * Delivery is synchronous (inside `publish`), so after `pubsub.publish(…)` returns the message is
 * already in the local subscribers' buffers. Code must not rely on that: other transports deliver
 * later.
 */
export class InProcessTransport implements PubSubTransport {
  /** The largest message carried, in UTF-8 bytes. */
  readonly maxPayloadBytes: number;
  readonly #listening = new Set<string>();
  #receiver: TransportReceiver | undefined;
  #closed = false;

  /** @throws InvalidArgumentError `INVALID_ARGUMENT` when `maxPayloadBytes` is not a positive integer. */
  constructor({ maxPayloadBytes = 7999 }: InProcessTransportOptions = {}) {
    this.maxPayloadBytes = requirePositiveInteger('maxPayloadBytes', maxPayloadBytes);
  }

  /** @throws InvalidArgumentError `INVALID_ARGUMENT` when a receiver is already attached. */
  attach(receiver: TransportReceiver): void {
    if (this.#receiver !== undefined) {
      throw new InvalidArgumentError('receiver', 'this transport already serves a PubSub');
    }
    this.#receiver = receiver;
  }

  /** Starts delivering `channel`; effective at once. */
  listen(channel: string): Promise<void> {
    if (!this.#closed) this.#listening.add(channel);
    return RESOLVED;
  }

  /** Stops delivering `channel`; effective at once. */
  unlisten(channel: string): Promise<void> {
    this.#listening.delete(channel);
    return RESOLVED;
  }

  /** Delivers `payload` to the receiver before returning, if `channel` is listened. */
  publish(channel: string, payload: string): Promise<void> {
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes > this.maxPayloadBytes) {
      return Promise.reject(new PayloadTooLargeError(bytes, this.maxPayloadBytes));
    }
    if (this.#listening.has(channel)) this.#receiver?.deliver(channel, payload);
    return RESOLVED;
  }

  /** Stops all delivery and detaches the receiver. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#listening.clear();
    this.#receiver = undefined;
    return RESOLVED;
  }
}
