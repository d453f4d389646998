import { InvalidArgumentError, QueueOverflowError } from '../errors/core-errors.js';
import { describeValue } from '../options/option-checks.js';
import { Deque } from './deque.js';

type OverflowPolicy = 'drop-newest' | 'error';

type QueueEndReason = 'drained' | 'cancelled';

interface PendingPush<T> {
  value: T;
  resolve: (accepted: boolean) => void;
  release: () => void;
}

interface WaitingReader<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
}

type QueueState = 'open' | 'closed' | 'ended';

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * A bounded FIFO that bridges push-based producers (callbacks, RxJS Observables, event
 * emitters) to one pull-based reader (`for await`), with a named overflow policy.
 *
 * Why bounded: a reader that stops reading must not make the producer's memory grow without
 * limit (RxJS 8's async iteration buffers without bound). Why one shared implementation: the
 * broker and the message part buffer have the same needs — lossy offers, offers that wait their
 * turn with a deadline, graceful close that keeps buffered values readable, and cancellation
 * that releases everything at once.
 *
 * When the queue is full, the overflow policy decides what {@link BoundedQueue.push} does:
 * - `drop-newest`: the offered value is discarded and `push` returns `false`; the reader keeps
 *   everything already buffered. For lossy fan-out, where the producer counts the drop.
 * - `error`: the queue fails with a `QUEUE_OVERFLOW` {@link ChatdError}; the reader gets the
 *   values buffered before the overflow, then the error. For readers that must not silently miss
 *   data.
 *
 * Producer side: {@link push} (never waits), {@link pushWhenReady} (waits for room, in FIFO
 * order with other waiting pushes, until its signal aborts), {@link close} and {@link fail}.
 * Reader side: the `AsyncIterator` protocol and {@link cancel}. All methods are synchronous
 * state changes; only the promises they return settle later.
 *
 * @example
 * ```ts
 * const queue = new BoundedQueue<string>({ capacity: 64 });
 * emitter.on('line', (line) => queue.push(line) || dropped++);
 * emitter.on('end', () => queue.close());
 * for await (const line of queue) console.log(line);
 * ```
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  /** How many values may wait for the reader. */
  readonly capacity: number;
  /**
   * Resolves once the reader side has ended: `drained` after close or fail, `cancelled` when the
   * reader gave up.
   */
  readonly ended: Promise<'drained' | 'cancelled'>;

  readonly #overflow: OverflowPolicy;
  readonly #onCancel: (() => void) | undefined;
  readonly #buffer = new Deque<T>();
  readonly #pendingPushes = new Deque<PendingPush<T>>();
  readonly #readers = new Deque<WaitingReader<T>>();
  #state: QueueState = 'open';
  #failure: { error: unknown } | undefined;
  #resolveEnded!: (reason: QueueEndReason) => void;

  /**
   * @throws InvalidArgumentError `INVALID_ARGUMENT` on a negative or fractional capacity or an
   *   unknown policy.
   */
  constructor(options: {
    /**
     * How many values may wait for the reader. `0` makes every push a hand-off: a value is
     * accepted only when a reader is waiting for it (like an unbuffered Go channel).
     */
    capacity: number;
    /**
     * What `push` does when the queue is full (see {@link BoundedQueue}).
     * @default 'drop-newest'
     */
    overflow?: 'drop-newest' | 'error';
    /**
     * Called once when the reader cancels (`cancel()`, or `break` out of `for await`), so the
     * owner can unregister the producer. Not called when the queue ends by draining.
     */
    onCancel?: () => void;
  }) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', `must be an object, got ${describeValue(options)}`);
    }
    const { capacity, overflow = 'drop-newest', onCancel } = options;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new InvalidArgumentError(
        'capacity',
        `must be a non-negative integer, got ${describeValue(capacity)}`,
      );
    }
    if (overflow !== 'drop-newest' && overflow !== 'error') {
      throw new InvalidArgumentError(
        'overflow',
        `must be 'drop-newest' or 'error', got ${describeValue(overflow)}`,
      );
    }
    this.capacity = capacity;
    this.#overflow = overflow;
    this.#onCancel = onCancel;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  /** Values buffered and not yet read (not counting pushes still waiting for room). */
  get size(): number {
    return this.#buffer.length;
  }

  /** Pushes waiting in {@link pushWhenReady} for room. */
  get waitingPushCount(): number {
    return this.#pendingPushes.length;
  }

  /** Whether the producer side is still open (neither closed, failed, drained nor cancelled). */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Offers `value` without waiting. Returns whether it was accepted; when the queue is full the
   * overflow policy decides. Also `false` once the queue is closed or cancelled. A value offered
   * while earlier {@link pushWhenReady} calls still wait is not accepted ahead of them.
   */
  push(value: T): boolean {
    if (this.#state !== 'open') return false;
    if (this.#pendingPushes.length === 0 && this.#accept(value)) return true;
    if (this.#overflow === 'error') this.fail(new QueueOverflowError(this.capacity));
    return false;
  }

  /**
   * Offers `value`, waiting for room if the queue is full. Waiting pushes are accepted in the
   * order they were made, before any later {@link push}. Resolves `true` once accepted, `false`
   * if `signal` aborts first or the queue closes or is cancelled while waiting. The value is
   * tried once even when `signal` has already aborted.
   */
  pushWhenReady(value: T, signal?: AbortSignal): Promise<boolean> {
    if (this.#state !== 'open') return Promise.resolve(false);
    if (this.#pendingPushes.length === 0 && this.#accept(value)) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.#removePending(pending);
        resolve(false);
      };
      const pending: PendingPush<T> = {
        value,
        resolve,
        release: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pendingPushes.push(pending);
    });
  }

  /**
   * Ends the producer side. Buffered values stay readable; then iteration ends. Pushes still
   * waiting resolve `false`. Idempotent.
   */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#rejectPendingPushes();
    // Nothing left to read: end now, unless a failure still has to reach a future reader.
    if (this.#buffer.length === 0 && (this.#readers.length > 0 || !this.#failure)) {
      this.#finish('drained');
    }
  }

  /**
   * Ends the producer side with an error: buffered values stay readable, then the reader's
   * next `next()` rejects with `error`, and iteration is over. Idempotent (first call wins).
   */
  fail(error: unknown): void {
    if (this.#state !== 'open') return;
    this.#failure = { error };
    this.close();
  }

  /**
   * The reader gives up: buffered values are discarded, waiting pushes resolve `false`, waiting
   * reads resolve done, and `onCancel` runs, all before this returns. No-op once ended.
   */
  cancel(): void {
    if (this.#state === 'ended') return;
    this.#buffer.clear();
    this.#failure = undefined;
    this.#rejectPendingPushes();
    this.#finish('cancelled');
    this.#onCancel?.();
  }

  /** Takes the next value, waiting for one if none is buffered. */
  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      this.#admitPendingPushes();
      if (this.#state === 'closed' && this.#buffer.length === 0 && !this.#failure) {
        this.#finish('drained');
      }
      return Promise.resolve({ done: false, value });
    }
    const handOff = this.capacity === 0 ? this.#pendingPushes.shift() : undefined;
    if (handOff) {
      handOff.release();
      handOff.resolve(true);
      return Promise.resolve({ done: false, value: handOff.value });
    }
    if (this.#state === 'closed') {
      const failure = this.#failure;
      this.#failure = undefined;
      this.#finish('drained');
      return failure ? Promise.reject(failure.error) : Promise.resolve(DONE);
    }
    if (this.#state === 'ended') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  /** Cancels the queue; called by `for await` on `break`, `return` or a thrown error. */
  return(): Promise<IteratorResult<T>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  /** The queue is its own iterator: it can be iterated once. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Hands `value` to a waiting reader or buffers it if there is room. */
  #accept(value: T): boolean {
    const reader = this.#readers.shift();
    if (reader) {
      reader.resolve({ done: false, value });
      return true;
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return true;
    }
    return false;
  }

  #admitPendingPushes(): void {
    while (this.#buffer.length < this.capacity) {
      const pending = this.#pendingPushes.shift();
      if (!pending) return;
      pending.release();
      this.#buffer.push(pending.value);
      pending.resolve(true);
    }
  }

  #removePending(target: PendingPush<T>): void {
    for (const pending of this.#pendingPushes.drain()) {
      if (pending !== target) this.#pendingPushes.push(pending);
    }
  }

  #rejectPendingPushes(): void {
    for (const pending of this.#pendingPushes.drain()) {
      pending.release();
      pending.resolve(false);
    }
  }

  #finish(reason: QueueEndReason): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    const failure = this.#failure;
    this.#failure = undefined;
    for (const reader of this.#readers.drain()) {
      if (failure) reader.reject(failure.error);
      else reader.resolve(DONE);
    }
    this.#resolveEnded(reason);
  }
}

/**
 * Subscribes to `source` and returns a {@link BoundedQueue} to read its values with
 * `for await`. Completion closes the queue, an error fails it, and cancelling the queue
 * unsubscribes at once (unlike RxJS's own async iteration, nothing waits for the next value).
 *
 * @param source - Anything with an RxJS-style `subscribe(observer)`: every `Observable` of
 *   rxjs 7 or 8 fits, and core does not depend on RxJS.
 */
export function fromSubscribable<T>(
  source: {
    subscribe(observer: {
      next: (value: T) => void;
      error: (error: unknown) => void;
      complete: () => void;
    }): { unsubscribe(): void };
  },
  {
    capacity,
    overflow = 'error',
  }: {
    /** How many values may wait for the reader, as for {@link BoundedQueue}. */
    capacity: number;
    /**
     * What happens when the reader falls behind, as for {@link BoundedQueue}. `error` by default
     * here (not `drop-newest`): a reader that falls behind an Observable learns it missed values
     * instead of silently skipping them.
     * @default 'error'
     */
    overflow?: 'drop-newest' | 'error';
  },
): BoundedQueue<T> {
  let subscription: { unsubscribe(): void } | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    subscription?.unsubscribe();
  };
  const queue = new BoundedQueue<T>({ capacity, overflow, onCancel: stop });
  subscription = source.subscribe({
    next: (value) => {
      queue.push(value);
      // An overflow under the `error` policy ends the queue: stop the source right away.
      if (!queue.isOpen && !stopped) stop();
    },
    error: (error) => queue.fail(error),
    complete: () => queue.close(),
  });
  // The reader may have cancelled, or the source overflowed, while `subscribe` was running.
  if (stopped) subscription.unsubscribe();
  return queue;
}
