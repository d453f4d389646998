import {
  ChatdError,
  type Clock,
  InvalidArgumentError,
  type JsonValue,
  type Logger,
  type TimerHandle,
} from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import type { Database } from '../db/database.js';
import { DraftWriteFailedError, StoreClosedError } from '../errors/store-errors.js';
import { insertDraftBatch } from '../queries/drafts.js';
import {
  type DraftAnnouncement,
  type DraftEnvelope,
  type DraftKey,
  draftChannel,
  episodeId,
  isDraftEnvelope,
  parseDraftKey,
} from './draft-types.js';

/** Options of the draft writer, given to `openStore` as `drafts`. */
export interface DraftOptions {
  /**
   * The throttle window: the first append of an idle episode is written at once, later ones
   * within this long after a write go into one trailing write.
   * @default 33
   */
  windowMs?: number;
}

/** A failed write is retried after 100 ms, doubling up to 5 s, until it succeeds. */
const RETRY_INITIAL_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 5000;
/** How long `close()` waits for pending batches before it drops them. */
const CLOSE_FLUSH_BUDGET_MS = 2000;

interface FlushWaiter {
  /** Resolved once everything up to this seq is written. */
  seq: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** One episode's writing state. */
class EpisodeState {
  readonly key: DraftKey;
  pending: DraftEnvelope[] = [];
  appendedSeq = 0;
  writtenSeq = 0;
  writing = false;
  /** Everything up to this seq is to be written without waiting for the window. */
  urgentThrough = 0;
  timer: TimerHandle | undefined;
  lastWriteAt = Number.NEGATIVE_INFINITY;
  failures = 0;
  error: DraftWriteFailedError | undefined;
  readonly waiters = new Set<FlushWaiter>();

  constructor(key: DraftKey) {
    this.key = key;
  }

  cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

/** What the writer needs from its store. */
export interface DraftWriterContext {
  readonly db: Database;
  readonly pubsub: PubSub;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * Writes the parts of in-flight episodes durably, in batches, and announces each batch on
 * `chat:draft:<chatId>`: what lets another replica follow an episode and a replica that takes
 * over a crashed chat recover its partial answer. One per store (`store.drafts`).
 *
 * - `append` never waits for the database. The first append of an idle episode is written at
 *   once; later appends within `windowMs` of a write go into one trailing write, and a write
 *   in flight never strands what was appended meanwhile: its completion schedules the next.
 * - `urgent: true` (a tool call completed, a step or the stream finished) writes at once,
 *   after everything appended before it.
 * - Writes of one episode run one at a time, in seq order, one row per batch; announcements
 *   follow the same order. A batch for an episode the chat has moved past writes nothing.
 * - A failed write is logged and retried with backoff; the next `flush` reports it (and tries
 *   again at once). Nothing appended is dropped while the store is open.
 *
 * @example
 * ```ts
 * const key = { chatId, historyVersion: 7, generationAttempt: 1 };
 * store.drafts.append(key, [{ seq: 1, role: 'assistant', part: { type: 'text-start', id: 't' } }]);
 * store.drafts.append(key, [{ seq: 2, role: 'assistant', part: { type: 'text-end', id: 't' } }], { urgent: true });
 * await store.drafts.end(key); // written; the writer forgets the episode
 * ```
 */
export class DraftWriter {
  readonly #context: DraftWriterContext;
  readonly #windowMs: number;
  readonly #episodes = new Map<string, EpisodeState>();
  #closed = false;

  /** @internal Created by `openStore`. */
  constructor(context: DraftWriterContext, { windowMs = 33 }: DraftOptions = {}) {
    this.#context = context;
    this.#windowMs = windowMs;
  }

  /** How many episodes the writer holds state for (ended ones are forgotten). */
  get episodeCount(): number {
    return this.#episodes.size;
  }

  /**
   * Queues envelopes of an episode for writing; returns at once.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key or envelope, or a seq
   *   that does not follow the episode's last one (seqs start at 1 and have no gaps).
   * @throws StoreClosedError `STORE_CLOSED` after the store closed.
   */
  append(key: DraftKey, envelopes: readonly DraftEnvelope[], { urgent = false } = {}): void {
    if (this.#closed) throw new StoreClosedError();
    const parsed = parseDraftKey(key);
    if (!Array.isArray(envelopes)) throw new InvalidArgumentError('envelopes', 'expected an array');
    const id = episodeId(parsed);
    const episode = this.#episodes.get(id) ?? new EpisodeState(parsed);
    envelopes.forEach((envelope, index) => {
      if (!isDraftEnvelope(envelope)) {
        throw new InvalidArgumentError(
          `envelopes[${index}]`,
          'expected { seq, role, part } with a positive seq, a message role and a part with a type',
        );
      }
      const expected = episode.appendedSeq + 1 + index;
      if (envelope.seq !== expected) {
        throw new InvalidArgumentError(
          `envelopes[${index}].seq`,
          `expected ${expected}, got ${envelope.seq}`,
        );
      }
    });
    if (envelopes.length === 0) return;
    this.#episodes.set(id, episode);
    episode.pending.push(...envelopes);
    episode.appendedSeq += envelopes.length;
    if (urgent) episode.urgentThrough = episode.appendedSeq;
    this.#schedule(episode);
  }

  /**
   * Resolves once the rows hold everything appended to the episode so far. Rejects with
   * `DRAFT_WRITE_FAILED` when the write fails (the envelopes stay queued and are retried), and
   * with `signal`'s reason when it aborts (the write goes on).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key.
   */
  flush(key: DraftKey, { signal }: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    const episode = this.#episodes.get(episodeId(parseDraftKey(key)));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (episode === undefined) return Promise.resolve();
    if (episode.writtenSeq >= episode.appendedSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        episode.waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: FlushWaiter = {
        seq: episode.appendedSeq,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      episode.waiters.add(waiter);
      episode.urgentThrough = episode.appendedSeq;
      // A flush retries a failed write at once instead of waiting out the backoff.
      if (episode.error !== undefined && !episode.writing) episode.cancelTimer();
      this.#schedule(episode);
    });
  }

  /** {@link flush} for every episode with pending envelopes. */
  async flushAll({ signal }: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    await Promise.all(
      [...this.#episodes.values()].map((episode) => this.flush(episode.key, { signal })),
    );
  }

  /**
   * Flushes the episode, then forgets it: call when the episode is over (its step committed
   * or the attempt failed). Appending to it again starts a new episode at seq 1.
   */
  async end(key: DraftKey, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    await this.flush(key, options);
    const id = episodeId(parseDraftKey(key));
    const episode = this.#episodes.get(id);
    if (episode !== undefined && episode.pending.length === 0 && !episode.writing) {
      episode.cancelTimer();
      this.#episodes.delete(id);
    }
  }

  /**
   * @internal Called by `store.close()` before the database closes: writes what it can within
   * two seconds, then drops the rest and releases every timer.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const budget = new AbortController();
    const timer = this.#context.clock.setTimeout(
      () => budget.abort(new StoreClosedError()),
      CLOSE_FLUSH_BUDGET_MS,
    );
    try {
      await this.flushAll({ signal: budget.signal });
    } catch (error) {
      this.#context.logger.warn({ err: error }, 'message-store: draft batches dropped at close');
    } finally {
      timer.cancel();
    }
    // A write still running finishes against the open database; nothing new starts.
    for (const episode of this.#episodes.values()) {
      episode.cancelTimer();
      for (const waiter of episode.waiters) waiter.reject(new StoreClosedError());
    }
    this.#episodes.clear();
  }

  #schedule(episode: EpisodeState): void {
    if (episode.writing || episode.pending.length === 0 || this.#closedAndIdle(episode)) return;
    // Backing off after a failure: the retry timer writes (a flush cancels it to retry now).
    if (episode.error !== undefined && episode.timer !== undefined) return;
    const waitMs =
      episode.urgentThrough > episode.writtenSeq
        ? 0
        : episode.lastWriteAt + this.#windowMs - this.#context.clock.now();
    if (waitMs <= 0) {
      episode.cancelTimer();
      void this.#write(episode);
      return;
    }
    episode.timer ??= this.#context.clock.setTimeout(() => {
      episode.timer = undefined;
      void this.#write(episode);
    }, waitMs);
    episode.timer.unref();
  }

  /** After close only flushes may still write (close flushes within its budget). */
  #closedAndIdle(episode: EpisodeState): boolean {
    return this.#closed && episode.waiters.size === 0;
  }

  async #write(episode: EpisodeState): Promise<void> {
    if (episode.writing || episode.pending.length === 0) return;
    episode.writing = true;
    const batch = episode.pending.splice(0);
    try {
      await insertDraftBatch(this.#context.db, episode.key, batch);
    } catch (error) {
      episode.pending.unshift(...batch);
      episode.writing = false;
      this.#failed(episode, error);
      return;
    }
    episode.writing = false;
    episode.failures = 0;
    episode.error = undefined;
    episode.writtenSeq = (batch.at(-1) as DraftEnvelope).seq;
    episode.lastWriteAt = this.#context.clock.now();
    this.#announce(episode.key, batch);
    for (const waiter of episode.waiters) {
      if (waiter.seq <= episode.writtenSeq) {
        episode.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    // Appended while this write ran: written by the next one, within the window.
    this.#schedule(episode);
  }

  #failed(episode: EpisodeState, cause: unknown): void {
    episode.failures += 1;
    episode.error = new DraftWriteFailedError(episode.key.chatId, { cause });
    this.#context.logger.warn(
      { err: cause, chatId: episode.key.chatId, failures: episode.failures },
      'message-store: writing a draft batch failed; retrying',
    );
    for (const waiter of episode.waiters) waiter.reject(episode.error);
    episode.waiters.clear();
    if (this.#closed) return;
    const delayMs = Math.min(
      RETRY_INITIAL_DELAY_MS * 2 ** (episode.failures - 1),
      RETRY_MAX_DELAY_MS,
    );
    episode.cancelTimer();
    episode.timer = this.#context.clock.setTimeout(() => {
      episode.timer = undefined;
      void this.#write(episode);
    }, delayMs);
    episode.timer.unref();
  }

  /** Announces a written batch, with its envelopes when the message fits the transport. */
  #announce(key: DraftKey, batch: DraftEnvelope[]): void {
    const announcement: DraftAnnouncement = {
      historyVersion: key.historyVersion,
      generationAttempt: key.generationAttempt,
      firstSeq: (batch[0] as DraftEnvelope).seq,
      lastSeq: (batch.at(-1) as DraftEnvelope).seq,
    };
    const channel = draftChannel(key.chatId);
    try {
      this.#context.pubsub.publish(channel, {
        ...announcement,
        envelopes: batch,
      } as unknown as JsonValue);
    } catch (error) {
      if (!ChatdError.isInstance(error, 'PAYLOAD_TOO_LARGE')) {
        this.#context.logger.warn(
          { err: error, channel },
          'message-store: announcing drafts failed',
        );
        return;
      }
      this.#context.pubsub.publish(channel, announcement as unknown as JsonValue);
    }
  }
}
