import { BoundedQueue, type Clock } from '@chatd/core';
import type { Episode } from './episode.js';
import type { StoredPart } from './stored-part.js';

/**
 * Why a subscription ended.
 * - `completed`: the episode closed and every part after `afterSeq` was delivered.
 * - `cancelled`: the consumer gave up: `cancel()`, `break` out of `for await`, or its `signal`
 *   aborted.
 * - `too-slow`: a part waited longer than `subscriberSendTimeoutMs` for the consumer to take it;
 *   the consumer may have missed parts and should resubscribe with `afterSeq`.
 * - `buffer-closed`: the buffer was closed.
 */
export type SubscriptionEndReason = 'completed' | 'cancelled' | 'too-slow' | 'buffer-closed';

/**
 * A live view of one episode: the parts already stored (after `afterSeq`), then each new part as
 * it is added, ending once the episode is closed and delivered.
 *
 * Iterate it once with `for await`; leaving the loop early cancels it. Parts are delivered one
 * at a time and each waits for the consumer to take it, for at most `subscriberSendTimeoutMs`.
 */
export interface EpisodeSubscription extends AsyncIterable<StoredPart> {
  /**
   * Resolves once the subscription has ended and released everything it held, with the reason.
   * Never rejects.
   */
  readonly ended: Promise<SubscriptionEndReason>;
  /**
   * Ends the subscription (reason `cancelled`) and detaches it from its episode at once. A
   * pending `next()` resolves done. Idempotent; a no-op once ended for another reason.
   */
  cancel(): void;
}

/** What a {@link Subscription} needs from its buffer. */
interface SubscriptionOptions {
  episode: Episode;
  /** Parts with `seq <= afterSeq` are skipped. */
  afterSeq: number;
  clock: Clock;
  sendTimeoutMs: number;
  signal: AbortSignal | undefined;
  /** Called once, synchronously, when the subscription ends: detach it from the episode. */
  onEnd: (subscription: Subscription) => void;
}

/**
 * The per-subscriber delivery loop: the counterpart of the delivery goroutine in Coder's
 * buffer.
 *
 * One loop per subscriber, so a slow consumer only ever delays itself. The loop reads the
 * episode's parts past its cursor and hands them over one by one; when it has caught up it sleeps
 * until the buffer wakes it.
 * @internal
 */
export class Subscription implements EpisodeSubscription {
  readonly ended: Promise<SubscriptionEndReason>;

  readonly #episode: Episode;
  readonly #clock: Clock;
  readonly #sendTimeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onEnd: (subscription: Subscription) => void;
  /**
   * Capacity 0 makes every part a hand-off, like the unbuffered channel of Coder's buffer: the loop
   * only moves on once the consumer has taken the part. So a consumer never has parts queued up
   * in front of it (memory per subscriber stays constant), and "the consumer is too slow" is a
   * precise, per-part question the send timeout can answer.
   */
  readonly #queue: BoundedQueue<StoredPart>;
  /**
   * Aborted when the subscription ends for any reason, which makes a send that is waiting for the
   * consumer give up. The send-timeout timer ends the subscription, and so aborts it too.
   */
  readonly #stopDelivery = new AbortController();
  /** Number of parts delivered or skipped: the next part to send is `parts[cursor]`. */
  #cursor: number;
  /**
   * The one-slot wake-up signal. Wake-ups can be merged: every time the loop wakes, it sends
   * everything up to the episode's current end, so one pending wake-up stands for any number of
   * `addPart` calls made meanwhile, and nothing is lost.
   */
  #wakeUpPending = false;
  #resolveWakeUp: (() => void) | undefined;
  #endReason: SubscriptionEndReason | undefined;
  #resolveEnded!: (reason: SubscriptionEndReason) => void;

  constructor({ episode, afterSeq, clock, sendTimeoutMs, signal, onEnd }: SubscriptionOptions) {
    this.#episode = episode;
    this.#cursor = afterSeq;
    this.#clock = clock;
    this.#sendTimeoutMs = sendTimeoutMs;
    this.#signal = signal;
    this.#onEnd = onEnd;
    // `cancel()` and `break` out of `for await` both cancel the queue, which lands here.
    this.#queue = new BoundedQueue<StoredPart>({
      capacity: 0,
      onCancel: () => this.end('cancelled'),
    });
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  /**
   * Starts the delivery loop. Separate from the constructor so the buffer can attach the
   * subscription to its episode first: the loop may end it (and detach it) before returning.
   */
  start(): void {
    if (this.#signal?.aborted) this.end('cancelled');
    else this.#signal?.addEventListener('abort', this.#onSignalAbort, { once: true });
    void this.#deliver();
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredPart> {
    return this.#queue;
  }

  cancel(): void {
    this.#queue.cancel();
  }

  /** Something changed in the episode (a new part, or the close): deliver it. */
  wake(): void {
    this.#wakeUpPending = true;
    const resolve = this.#resolveWakeUp;
    this.#resolveWakeUp = undefined;
    resolve?.();
  }

  /**
   * Ends the subscription with `reason` and releases what it holds, synchronously; the first
   * reason wins. The loop then exits within a few microtasks and resolves {@link ended}.
   */
  end(reason: SubscriptionEndReason): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    this.#signal?.removeEventListener('abort', this.#onSignalAbort);
    this.#stopDelivery.abort(); // a send waiting for the consumer resolves false
    this.#queue.close(); // a consumer waiting in next() gets done
    this.wake(); // a loop waiting for parts exits
    this.#onEnd(this);
  }

  readonly #onSignalAbort = (): void => this.end('cancelled');

  async #deliver(): Promise<void> {
    const parts = this.#episode.parts;
    while (this.#endReason === undefined) {
      this.#wakeUpPending = false;
      // `parts.length` is re-read after every await, so parts added while a send waited go out
      // in this same pass; the pending wake-up they set only costs one empty pass.
      while (this.#cursor < parts.length) {
        if (!(await this.#send(parts[this.#cursor] as StoredPart))) break;
        this.#cursor += 1;
      }
      if (this.#endReason !== undefined) break;
      // Read-and-close is atomic here: there is no await between finding the cursor at the end
      // of `parts` and reading `closed`, and JavaScript runs one thing at a time, so no part can
      // be added in between (Coder's Go buffer needs a mutex for this). A closed episode takes no
      // more parts, so caught up and closed means complete.
      if (this.#episode.closed) {
        this.end('completed');
        break;
      }
      if (!this.#wakeUpPending) {
        await new Promise<void>((resolve) => {
          this.#resolveWakeUp = resolve;
        });
      }
    }
    this.#resolveEnded(this.#endReason ?? 'completed');
  }

  /**
   * Hands `part` to the consumer. Resolves true once taken, false if the subscription ended
   * first. The send timeout starts as soon as the part is offered, whether or not the consumer
   * has started iterating, so a consumer that never reads is evicted too.
   */
  #send(part: StoredPart): Promise<boolean> {
    const accepted = this.#queue.pushWhenReady(part, this.#stopDelivery.signal);
    // Taken at once by a consumer already waiting in next() (the usual case for a consumer that
    // keeps up), or refused because the subscription ended: no timer needed.
    if (this.#queue.waitingPushCount === 0) return accepted;
    const timeout = this.#clock.setTimeout(() => this.end('too-slow'), this.#sendTimeoutMs).unref();
    return accepted.then((taken) => {
      timeout.cancel();
      return taken;
    });
  }
}
