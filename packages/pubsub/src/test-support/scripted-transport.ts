import { PayloadTooLargeError } from '../errors/pubsub-errors.js';
import type { PubSubTransport, TransportReceiver } from '../transport/transport.js';

interface Message {
  channel: string;
  payload: string;
}

/**
 * A transport a test drives by hand: it records every call, can hold published messages until
 * the test delivers them, deliver messages "from another process", report reconnects and fail
 * on demand. Test-only.
 */
export class ScriptedTransport implements PubSubTransport {
  readonly maxPayloadBytes: number;
  /** Every call, as `'<method> <channel>'` (or `'close'`). */
  readonly calls: string[] = [];
  /** Every message handed to `publish`. */
  readonly published: Message[] = [];
  readonly listening = new Set<string>();
  /** While true, published messages wait in `held` until {@link deliverHeld}. */
  holdDeliveries = false;
  readonly held: Message[] = [];
  /** Makes the next `listen` reject with this error. */
  listenError: unknown;
  /** Makes every `publish` reject with this error. */
  publishError: unknown;
  #receiver: TransportReceiver | undefined;

  constructor({ maxPayloadBytes = 7999 }: { maxPayloadBytes?: number } = {}) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  attach(receiver: TransportReceiver): void {
    this.#receiver = receiver;
  }

  async listen(channel: string): Promise<void> {
    this.calls.push(`listen ${channel}`);
    const error = this.listenError;
    if (error !== undefined) {
      this.listenError = undefined;
      throw error;
    }
    this.listening.add(channel);
  }

  async unlisten(channel: string): Promise<void> {
    this.calls.push(`unlisten ${channel}`);
    this.listening.delete(channel);
  }

  async publish(channel: string, payload: string): Promise<void> {
    this.calls.push(`publish ${channel}`);
    if (Buffer.byteLength(payload) > this.maxPayloadBytes) {
      throw new PayloadTooLargeError(Buffer.byteLength(payload), this.maxPayloadBytes);
    }
    if (this.publishError !== undefined) throw this.publishError;
    this.published.push({ channel, payload });
    if (this.holdDeliveries) this.held.push({ channel, payload });
    else this.deliver(channel, payload);
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.listening.clear();
  }

  /** Delivers a message as if another process had published it. */
  deliver(channel: string, payload: string): void {
    if (this.listening.has(channel)) this.#receiver?.deliver(channel, payload);
  }

  /** Delivers the held messages, in publish order. */
  deliverHeld(): void {
    for (const message of this.held.splice(0)) this.deliver(message.channel, message.payload);
  }

  /** Reports a reconnect on every listened channel, as a transport does after losing its link. */
  reconnect(): void {
    for (const channel of this.listening) this.#receiver?.reconnected(channel);
  }
}
