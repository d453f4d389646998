import { requirePositiveInteger } from '@chatd/core';
import { BrokerClosedError } from '../errors/pubsub-errors.js';
import {
  type BrokerOptions,
  type PublishMustDeliverOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
  type SubscribeOptions,
} from './broker-options.js';
import { DropCounters, type EventTypeDropCounts } from './drop-counters.js';
import { EventFanout } from './event-fanout.js';
import type { Subscription } from './subscription.js';

/**
 * One event as subscribers receive it. The same object goes to every subscriber: treat it and
 * its payload as read-only.
 * @typeParam T - The payload type.
 */
export interface BrokerEvent<T> {
  /** Free-form, chosen by the publisher (e.g. `created`, `updated`, `deleted`). */
  readonly type: string;
  /** What was published. */
  readonly payload: T;
}

const READY: Promise<void> = Promise.resolve();

/**
 * A typed in-process event stream with per-subscriber bounded buffers, lossy and must-deliver
 * publishing and drop counters: the semantics of Crush's `pubsub.Broker`, without its weak
 * spots.
 *
 * Each subscriber gets its own FIFO buffer of `bufferSize` events. {@link Broker.publish} never
 * waits: a subscriber whose buffer is full misses the event and the miss is counted.
 * {@link Broker.publishMustDeliver} waits for room, up to `mustDeliverTimeoutMs` for all full
 * subscribers together, keeping the event's place in each subscriber's order.
 *
 * @typeParam T - The payload type.
 *
 * @example
 * ```ts
 * await using broker = new Broker<Message>();
 * const subscription = broker.subscribe({ signal });
 * broker.publish('created', message);
 * for await (const event of subscription) render(event.type, event.payload);
 * ```
 */
export class Broker<T> implements AsyncDisposable {
  readonly #options: ResolvedBrokerOptions;
  readonly #counters = new DropCounters();
  readonly #fanout: EventFanout<BrokerEvent<T>>;

  /**
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an unknown option, or when `bufferSize`
   * is not a positive integer or `mustDeliverTimeoutMs` is not a positive finite number.
   */
  constructor(options: BrokerOptions = {}) {
    this.#options = resolveBrokerOptions(options);
    this.#fanout = new EventFanout({
      mustDeliverTimeoutMs: this.#options.mustDeliverTimeoutMs,
      clock: this.#options.clock,
      counters: this.#counters,
    });
  }

  /** Subscribers currently registered; `0` after close, even while readers still drain. */
  get subscriberCount(): number {
    return this.#fanout.subscriberCount;
  }

  /** Lossy deliveries missed since construction, one per subscriber that missed an event. */
  get dropCount(): number {
    return this.#counters.dropped;
  }

  /** Must-deliver deliveries given up (timeout, abort, close), one per subscriber missed. */
  get mustDeliverDropCount(): number {
    return this.#counters.mustDeliverDropped;
  }

  /**
   * Drop counts per event type, as a snapshot. Only types that were ever missed appear; the map
   * grows with the number of distinct types, so keep types a small fixed vocabulary.
   */
  dropCountsByType(): ReadonlyMap<string, EventTypeDropCounts> {
    return this.#counters.byType();
  }

  /**
   * Registers a subscriber with its own buffer. Events published from now on reach it.
   * @throws BrokerClosedError `BROKER_CLOSED` after {@link Broker.close}.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `bufferSize` is not a positive integer.
   */
  subscribe({
    signal,
    bufferSize = this.#options.bufferSize,
  }: SubscribeOptions = {}): Subscription<BrokerEvent<T>> {
    requirePositiveInteger('bufferSize', bufferSize);
    if (this.#fanout.isClosed) throw new BrokerClosedError();
    return this.#fanout.subscribe({ capacity: bufferSize, signal, ready: READY });
  }

  /**
   * Offers an event to every subscriber and returns at once. A subscriber whose buffer is full
   * (or that has must-deliver events waiting ahead of it) misses it: its `missed` and the
   * broker's `dropCount` grow by one. A no-op after close.
   */
  publish(type: string, payload: T): void {
    this.#fanout.publish({ type, payload });
  }

  /**
   * Offers an event to every subscriber, waiting for room in full buffers.
   *
   * Subscribers with room get it at once. For the full ones it waits, all of them concurrently,
   * until each accepts it or `mustDeliverTimeoutMs` has passed since the call; a subscriber
   * still full then misses it (its `missed` and `mustDeliverDropCount` grow; `dropCount` does
   * not). The waiting event keeps its place in each subscriber's order. Resolves once every
   * subscriber took the event or gave up; at once after close. It never rejects.
   */
  publishMustDeliver(
    type: string,
    payload: T,
    { signal }: PublishMustDeliverOptions = {},
  ): Promise<void> {
    return this.#fanout.publishMustDeliver({ type, payload }, signal).then(() => undefined);
  }

  /**
   * Stops new events at once: later publishes are no-ops and `subscribe` throws. Events already
   * buffered stay readable; each subscription then ends with `'closed'`. Waiting must-deliver
   * events are given up. Resolves once those waits have ended, without waiting for readers.
   * Idempotent, also when called concurrently.
   */
  close(): Promise<void> {
    return this.#fanout.close();
  }

  /** Calls {@link Broker.close}, so `await using broker = new Broker()` works. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
