import { setMaxListeners } from 'node:events';
import type { Clock } from '@chatd/core';
import type { DropCounters } from './drop-counters.js';
import { QueueSubscription, type SubscriberSlot } from './subscription.js';

/** What every fanned-out event has: a type, used for per-type drop counts. @internal */
export interface TypedEvent {
  readonly type: string;
}

/** @internal */
export interface EventFanoutOptions<E> {
  mustDeliverTimeoutMs: number;
  clock: Clock;
  counters: DropCounters;
  /** Called for each subscriber that missed an event (lossy or must-deliver). */
  onMiss?: (slot: SubscriberSlot<E>) => void;
  /** Called when the last subscriber cancels while the fan-out is open. */
  onIdle?: () => void;
}

/** @internal */
export interface FanoutSubscribeOptions {
  capacity: number;
  signal: AbortSignal | undefined;
  ready: Promise<void>;
}

const RESOLVED_ZERO: Promise<number> = Promise.resolve(0);
const NO_SLOTS: readonly never[] = Object.freeze([]);

/**
 * The machinery behind {@link Broker} and each `PubSub` channel: a set of subscribers, each with
 * its own bounded queue, and the two ways to offer them an event.
 *
 * There are no locks in a single-threaded runtime, but the hazard of Crush's broker, which waits
 * for full subscribers while holding its read lock so that subscribing and closing stall behind
 * a slow reader, is still avoided by construction: nothing here waits while holding shared
 * state. A must-deliver wait lives in each subscriber's own queue (`pushWhenReady`), so
 * subscribing, cancelling, closing and other publishes all proceed while it waits.
 * @internal
 */
export class EventFanout<E extends TypedEvent> {
  readonly #options: EventFanoutOptions<E>;
  readonly #subscribers = new Set<SubscriberSlot<E>>();
  /**
   * The subscribers as an array, rebuilt lazily after a change (as RxJS's Subject does). Publish
   * walks an array, which is cheaper than a Set iterator, and a subscriber added during a
   * publish loop does not receive the event being published.
   */
  #snapshot: readonly SubscriberSlot<E>[] | undefined = NO_SLOTS;
  readonly #mustDeliverWaits = new Set<Promise<number>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: EventFanoutOptions<E>) {
    this.#options = options;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The current subscribers. */
  subscribers(): readonly SubscriberSlot<E>[] {
    this.#snapshot ??= [...this.#subscribers];
    return this.#snapshot;
  }

  /** Registers a subscriber. The caller checks that the fan-out is open. */
  subscribe({ capacity, signal, ready }: FanoutSubscribeOptions): QueueSubscription<E> {
    const subscription = new QueueSubscription<E>({
      capacity,
      signal,
      ready,
      onCancel: (slot) => this.#remove(slot),
    });
    this.#subscribers.add(subscription.slot);
    this.#snapshot = undefined;
    // An already-aborted signal never fires its listener: end the subscription right away.
    if (signal?.aborted) subscription.cancel();
    return subscription;
  }

  /**
   * Offers `event` to every subscriber without waiting. A full subscriber misses it; each miss
   * is counted. This is the hot path: no allocation per subscriber, no closures, no try/catch.
   */
  publish(event: E): void {
    if (this.#closed) return;
    const slots = this.subscribers();
    let missed = 0;
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index] as SubscriberSlot<E>;
      if (!slot.queue.push(event)) {
        slot.missed += 1;
        missed += 1;
        this.#options.onMiss?.(slot);
      }
    }
    if (missed > 0) this.#options.counters.recordDropped(event.type, missed);
  }

  /**
   * Offers `event` to every subscriber, waiting up to the must-deliver timeout for full ones.
   * Resolves with how many subscribers missed it, once every subscriber took it or gave up.
   */
  publishMustDeliver(event: E, signal: AbortSignal | undefined): Promise<number> {
    if (this.#closed) return RESOLVED_ZERO;
    const full: SubscriberSlot<E>[] = [];
    for (const slot of this.subscribers()) {
      // `push` also refuses while earlier must-deliver events wait in this queue, so this
      // event lines up behind them instead of overtaking them.
      if (!slot.queue.push(event)) full.push(slot);
    }
    if (full.length === 0) return RESOLVED_ZERO;
    if (signal?.aborted) return Promise.resolve(this.#recordMustDeliverMisses(event, full));
    const wait = this.#waitForRoom(event, full, signal);
    this.#mustDeliverWaits.add(wait);
    void wait.then(() => this.#mustDeliverWaits.delete(wait));
    return wait;
  }

  /**
   * Stops new events at once and lets readers drain what is buffered. Waiting must-deliver
   * events are given up (counted as must-deliver drops). Resolves once those waits have ended;
   * never waits for readers. Idempotent, also when called again before it resolves.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const slots = this.subscribers();
    this.#subscribers.clear();
    this.#snapshot = NO_SLOTS;
    // Closing a queue also resolves its waiting pushes with `false`, ending every must-deliver
    // wait, whose timers are then cancelled; close resolves once they have been.
    for (const slot of slots) slot.queue.close();
    this.#closing = Promise.all(this.#mustDeliverWaits).then(() => undefined);
    return this.#closing;
  }

  /**
   * Waits for room in every full buffer at once, under ONE deadline: N stalled subscribers cost
   * one timeout in total, not N in a row as in Crush (which waits for each one in turn). Each
   * wait keeps its place in its subscriber's FIFO, so a later lossy publish cannot overtake it.
   */
  async #waitForRoom(
    event: E,
    full: readonly SubscriberSlot<E>[],
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const deadline = new AbortController();
    // Every waiting push listens on this one signal; more than 10 is normal, not a leak.
    setMaxListeners(0, deadline.signal);
    const giveUp = () => deadline.abort();
    // Not unref'd: this is not a background timer but a wait someone awaits, which must keep
    // the process alive until it ends, as `await sleep()` does. It lives at most the timeout.
    const timer = this.#options.clock.setTimeout(giveUp, this.#options.mustDeliverTimeoutMs);
    signal?.addEventListener('abort', giveUp, { once: true });
    try {
      const accepted = await Promise.all(
        full.map((slot) => slot.queue.pushWhenReady(event, deadline.signal)),
      );
      const missed = full.filter((_, index) => !accepted[index]);
      return this.#recordMustDeliverMisses(event, missed);
    } finally {
      timer.cancel();
      signal?.removeEventListener('abort', giveUp);
    }
  }

  #recordMustDeliverMisses(event: E, missed: readonly SubscriberSlot<E>[]): number {
    let count = 0;
    for (const slot of missed) {
      // A subscriber that cancelled while we waited did not miss anything: it left.
      if (slot.cancelled) continue;
      slot.missed += 1;
      count += 1;
      this.#options.onMiss?.(slot);
    }
    if (count > 0) this.#options.counters.recordMustDeliverDropped(event.type, count);
    return count;
  }

  #remove(slot: SubscriberSlot<E>): void {
    if (!this.#subscribers.delete(slot)) return; // already removed by close()
    this.#snapshot = undefined;
    if (this.#subscribers.size === 0) this.#options.onIdle?.();
  }
}
