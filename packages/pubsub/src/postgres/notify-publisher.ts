import { type Clock, withDeadline } from '@chatd/core';
import { TransportClosedError, TransportFailedError } from './errors.js';

interface PendingNotify {
  readonly channel: string;
  readonly payload: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Options of {@link NotifyPublisher}. @internal */
export interface NotifyPublisherOptions {
  /** Sends one batch in one transaction, in order; `signal` aborts once the deadline passed. */
  send(
    channels: readonly string[],
    payloads: readonly string[],
    signal: AbortSignal,
  ): Promise<void>;
  clock: Clock;
  timeoutMs: number;
}

/** The most notifications sent in one statement. */
const MAX_BATCH_COUNT = 1000;
/** The most payload characters sent in one statement (about 1 MB of ASCII). */
const MAX_BATCH_CHARACTERS = 1_000_000;

/**
 * Sends NOTIFYs one statement at a time, batching whatever queued up while the previous
 * statement was out (group commit): one round trip for one message, and throughput well beyond
 * one round trip per message under load.
 *
 * Why one at a time: statements on several pooled connections would commit, and so notify, in
 * any order, and PubSub promises publish order per publisher. Why batches stop at a repeated
 * (channel, payload) pair: Postgres folds identical notifications within one transaction into
 * one, and every publish must arrive.
 * @internal
 */
export class NotifyPublisher {
  readonly #options: NotifyPublisherOptions;
  #queue: PendingNotify[] = [];
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: NotifyPublisherOptions) {
    this.#options = options;
  }

  /** Queues one notification; resolves once its statement committed. */
  publish(channel: string, payload: string): Promise<void> {
    if (this.#closed) return Promise.reject(new TransportClosedError());
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ channel, payload, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  /** Refuses what is still queued, then waits for the statement in flight (bounded). */
  async close(): Promise<void> {
    this.#closed = true;
    const queued = this.#queue.splice(0);
    for (const pending of queued) pending.reject(new TransportClosedError());
    await this.#running;
  }

  async #run(): Promise<void> {
    // Cleared in the same synchronous step that sees the queue empty, so a publish made in a
    // reaction to the last resolve starts a new run instead of finding a finished one.
    for (;;) {
      if (this.#queue.length === 0) {
        this.#running = undefined;
        return;
      }
      const batch = this.#takeBatch();
      const { send, clock, timeoutMs } = this.#options;
      try {
        // A statement past the deadline is given up (the driver destroys its connection), but
        // it may have committed already: the caller learns it failed, though it may arrive.
        await withDeadline(
          {
            clock,
            timeoutMs,
            onTimeout: () =>
              new TransportFailedError(`NOTIFY did not complete within ${timeoutMs} ms`, {
                retryable: true,
              }),
          },
          (signal) =>
            send(
              batch.map((pending) => pending.channel),
              batch.map((pending) => pending.payload),
              signal,
            ),
        );
        for (const pending of batch) pending.resolve();
      } catch (error) {
        const failure = TransportFailedError.isInstance(error)
          ? error
          : new TransportFailedError(`NOTIFY failed: ${describe(error)}`, {
              cause: error,
              retryable: true,
            });
        for (const pending of batch) pending.reject(failure);
      }
    }
  }

  #takeBatch(): PendingNotify[] {
    const seen = new Set<string>();
    let characters = 0;
    let count = 0;
    for (const pending of this.#queue) {
      const key = `${pending.channel}\0${pending.payload}`;
      if (count > 0) {
        if (seen.has(key)) break;
        if (count >= MAX_BATCH_COUNT) break;
        if (characters + pending.payload.length > MAX_BATCH_CHARACTERS) break;
      }
      seen.add(key);
      characters += pending.payload.length;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
