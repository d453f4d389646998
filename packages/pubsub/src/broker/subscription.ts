import { BoundedQueue } from '@chatd/core';
import { Observable, Subject } from 'rxjs';

/**
 * Why a subscription ended: `'cancelled'` when its reader gave up (`cancel()`, its signal, `break`
 * out of `for await`, or the last `events$` observer unsubscribing); `'closed'` when the broker
 * closed and the reader had read every event buffered before that.
 */
export type SubscriptionEndReason = 'cancelled' | 'closed';

/**
 * One subscriber's view of a broker: its own bounded FIFO buffer of events, read either with
 * `for await` or, to compose RxJS operators, through {@link Subscription.events$}.
 *
 * Consume it one way: iteration and `events$` both take events from the same buffer, so using
 * both splits the events between them. The iterator can be iterated once.
 *
 * Why delivery runs on a bounded queue per subscriber rather than on an RxJS `Subject`: a
 * Subject's `next` cannot tell whether an observer took the event, so it could neither count
 * the events a slow subscriber missed (`missed`, the drop counters) nor make a must-deliver
 * publish wait for room in one subscriber's buffer while the others go on. `events$` reads from
 * that queue, so operators see exactly the events this subscriber got, in order.
 *
 * @typeParam E - The event type, e.g. `BrokerEvent<T>` or `ChannelEvent`.
 */
export interface Subscription<E> extends AsyncIterable<E>, Disposable {
  /**
   * The same events as an RxJS Observable, multicast to every observer: the way to consume a
   * subscription with operators. Events are taken from the buffer only while it has an
   * observer. It completes when the subscription ends; unsubscribing its last observer (also
   * from an operator such as `take` or `takeUntil` that has what it needs) cancels the
   * subscription, like `break` out of `for await`, so the broker's `subscriberCount` drops.
   *
   * @example
   * ```ts
   * import { Broker } from '@chatd/pubsub';
   * import { bufferTime, filter, map } from 'rxjs';
   *
   * const broker = new Broker<{ chatId: string }>();
   * const subscription = broker.subscribe();
   * const batches = subscription.events$.pipe(
   *   filter((event) => event.type === 'updated'),
   *   map((event) => event.payload.chatId),
   *   bufferTime(100),
   * );
   * const observer = batches.subscribe((chatIds) => console.log(chatIds));
   * observer.unsubscribe(); // cancels the subscription: broker.subscriberCount is 0 again
   * ```
   */
  readonly events$: Observable<E>;
  /**
   * Resolves once the subscription ends, with why. Buffered events after a close are read
   * first, so `'closed'` comes only after the reader drained them.
   */
  readonly ended: Promise<SubscriptionEndReason>;
  /**
   * How many events this subscriber lost because its buffer stayed full (lossy or must-deliver).
   * Growing means the subscriber's view is incomplete: re-read the source of truth.
   */
  readonly missed: number;
  /**
   * Ends the subscription now: buffered events are discarded, the subscriber is unregistered
   * (the broker's `subscriberCount` drops before this returns), its signal listener is removed
   * and `events$` observers complete. Idempotent.
   */
  cancel(): void;
  /** Calls {@link Subscription.cancel}, so `using subscription = broker.subscribe()` works. */
  [Symbol.dispose](): void;
}

/**
 * The broker's side of one subscriber: what the publish loop touches. Kept apart from the
 * public subscription so the hot loop reads one small, monomorphic object.
 * @internal
 */
export class SubscriberSlot<E> {
  /** Events lost because the buffer stayed full. */
  missed = 0;
  /** Set once the reader gave up; a failed push to it is then not a drop. */
  cancelled = false;

  constructor(readonly queue: BoundedQueue<E>) {}
}

/** How a {@link QueueSubscription} is wired to its broker. @internal */
export interface QueueSubscriptionOptions<E> {
  capacity: number;
  signal: AbortSignal | undefined;
  /** What the subscriber may await before relying on delivery (see `ChannelSubscription`). */
  ready: Promise<void>;
  /** Unregisters the slot; called synchronously when the reader gives up. */
  onCancel: (slot: SubscriberSlot<E>) => void;
}

/**
 * The one implementation of {@link Subscription}: a `BoundedQueue` plus the wiring to release
 * everything the moment the reader gives up.
 * @internal
 */
export class QueueSubscription<E> implements Subscription<E> {
  readonly slot: SubscriberSlot<E>;
  readonly ended: Promise<SubscriptionEndReason>;
  readonly ready: Promise<void>;
  readonly #signal: AbortSignal | undefined;
  readonly #onCancel: (slot: SubscriberSlot<E>) => void;
  readonly #abort = () => this.cancel();
  #subject: Subject<E> | undefined;
  #events$: Observable<E> | undefined;

  constructor({ capacity, signal, ready, onCancel }: QueueSubscriptionOptions<E>) {
    const queue = new BoundedQueue<E>({ capacity, onCancel: () => this.#handleCancel() });
    this.slot = new SubscriberSlot(queue);
    this.ready = ready;
    this.#signal = signal;
    this.#onCancel = onCancel;
    // After a close the reader drains at its own pace; the listener goes when it has.
    this.ended = queue.ended.then((reason) => {
      this.#releaseSignal();
      return reason === 'drained' ? 'closed' : 'cancelled';
    });
    signal?.addEventListener('abort', this.#abort, { once: true });
  }

  get missed(): number {
    return this.slot.missed;
  }

  get events$(): Observable<E> {
    this.#events$ ??= new Observable<E>((subscriber) => {
      const subject = this.#startPump();
      const inner = subject.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        // The last observer leaving is the reader giving up, as `break` is for `for await`;
        // otherwise the pump would keep taking events that nobody sees.
        if (!subject.observed) this.cancel();
      };
    });
    return this.#events$;
  }

  cancel(): void {
    this.slot.queue.cancel();
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return this.slot.queue;
  }

  /** Runs from the queue's `onCancel`, so `cancel()`, `break` and abort all end up here. */
  #handleCancel(): void {
    this.slot.cancelled = true;
    this.#releaseSignal();
    this.#onCancel(this.slot);
    this.#subject?.complete();
  }

  #releaseSignal(): void {
    this.#signal?.removeEventListener('abort', this.#abort);
  }

  /**
   * Starts moving events from the queue into a Subject, once. A Subject because `events$` is
   * multicast: every observer must see every event, and only one loop may read the queue.
   */
  #startPump(): Subject<E> {
    if (this.#subject) return this.#subject;
    const subject = new Subject<E>();
    this.#subject = subject;
    if (this.slot.cancelled) subject.complete();
    else void this.#pump(subject);
    return subject;
  }

  async #pump(subject: Subject<E>): Promise<void> {
    const queue = this.slot.queue;
    for (;;) {
      const result = await queue.next();
      if (result.done) break;
      subject.next(result.value);
    }
    subject.complete();
  }
}
