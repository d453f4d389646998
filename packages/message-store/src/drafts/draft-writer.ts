import {
  ChatdError,
  type Clock,
  InvalidArgumentError,
  type JsonValue,
  type Logger,
  requirePositiveNumber,
  type TimerHandle,
} from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import { type Database, outsideTransactions } from '../db/database.js';
import {
  DraftWriteFailedError,
  RootHandleInTransactionError,
  StoreClosedError,
} from '../errors/store-errors.js';
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
   * The throttle window: the first append of an idle episode is written at once (with
   * {@link DraftOptions.remoteFollowers}), later ones within this long after a write go into
   * one trailing write.
   * @default 33 with remote followers (they trail the reply by about this much); 1000 without
   */
  windowMs?: number;
  /**
   * Whether another store may read this database's drafts while they are written: a replica
   * following a reply generated here. Then the first append of an idle episode and urgent
   * appends are written at once, so a follower trails by a round trip rather than a window.
   * When no other store can (an embedded PGlite database this store opened itself: its data
   * folder is locked to this process), the drafts only serve a restart after a crash, so every
   * write waits for the window's trailing edge, urgent or not (a `flush` still writes at once),
   * a step committed within the window has written no draft at all, and the window defaults to
   * a second.
   * @default false on an exclusive store (`dataDir`, `memory`, `{ pglite, exclusive: true }`), true otherwise
   */
  remoteFollowers?: boolean;
}

/** The default window with remote followers: they trail a streaming reply by about this much. */
const FOLLOWER_WINDOW_MS = 33;
/**
 * The default window without: the drafts then only serve a restart after a crash, which loses
 * at most this much of a reply. A streaming reply costs one write per window: at 33 ms, about 30
 * writes a second per chat (70 per reply and 11% of the reference server's CPU with 50 chats
 * streaming 50 tokens a second on its embedded PGlite).
 */
const RECOVERY_WINDOW_MS = 1000;
/** A failed write is retried after 100 ms, doubling up to 5 s, until it succeeds. */
const RETRY_INITIAL_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 5000;
/** How long `close()` waits for pending batches before it drops them. */
const CLOSE_FLUSH_BUDGET_MS = 2000;
/**
 * No envelope serialises to fewer bytes than `{"seq":1,"role":"user","part":{"type":""}}`: a batch
 * with more envelopes than the transport's limit divided by this cannot be announced in one
 * message, so the writer splits it without first trying a publish bound to fail.
 */
const MIN_ENVELOPE_JSON_BYTES = '{"seq":1,"role":"user","part":{"type":""}}'.length;
/**
 * Room left in each message of a split announcement for everything but its envelopes: the
 * announcement's other fields and the transport's wrapping, with a wide margin.
 */
const ANNOUNCEMENT_OVERHEAD_BYTES = 256;

const FLUSH_IN_TRANSACTION =
  'store.drafts.flush/end/flushAll/announceUnwritten was awaited inside a transaction of the store: ' +
  'the write it waits for needs the chat row (and, on PGlite, the connection) that transaction ' +
  'holds; call it after the transaction';

interface FlushWaiter {
  /** Resolved once everything up to this seq is written. */
  seq: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** One episode's writing state. */
class EpisodeState {
  /** Appended, not yet in a write. */
  pending: DraftEnvelope[] = [];
  /** A batch whose write failed: retried exactly as it was (same seq range) before the rest. */
  failedBatch: DraftEnvelope[] | undefined;
  /** The batch of the write in flight, if one is. */
  inFlightBatch: DraftEnvelope[] | undefined;
  appendedSeq = 0;
  /** Everything up to this seq is written (or was dropped because the chat moved past it). */
  writtenSeq = 0;
  /** Everything up to this seq was announced with its envelopes (by a write or before a commit). */
  announcedSeq = 0;
  /** Everything up to this seq is to be written without waiting for the window. */
  urgentThrough = 0;
  /** `end` was called: forget the episode once everything is written. */
  ending = false;
  /** `discard` was called: the writer has forgotten the episode; a failed write is not retried. */
  discarded = false;
  timer: TimerHandle | undefined;
  lastWriteAt = Number.NEGATIVE_INFINITY;
  /** When the oldest envelope not yet written was appended (for a writer without followers). */
  pendingSince = Number.NEGATIVE_INFINITY;
  failures = 0;
  error: DraftWriteFailedError | undefined;
  readonly waiters = new Set<FlushWaiter>();

  constructor(
    readonly key: DraftKey,
    readonly id: string,
  ) {}

  /** A write is in flight. */
  get writing(): boolean {
    return this.inFlightBatch !== undefined;
  }

  /** Something appended is not written yet. */
  get hasWork(): boolean {
    return this.failedBatch !== undefined || this.pending.length > 0;
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
 * - Without remote followers (`remoteFollowers: false`, the default on an exclusive store)
 *   neither happens: every write waits for the window after its oldest append.
 * - Writes of one episode run one at a time, in seq order, one row per batch; announcements
 *   follow the same order. A batch for an episode the chat has moved past writes nothing and
 *   is not announced.
 * - A failed write is logged and retried with backoff (the same batch again, so a write whose
 *   reply was lost is not written twice); the next `flush` reports it (and tries again at
 *   once). Nothing appended is dropped while the store is open.
 * - `flush`, `flushAll` and `end` must not be awaited inside a `store.update`, `store.lock`
 *   or `store.readLock` callback (they reject with `ROOT_HANDLE_IN_TRANSACTION`: the write
 *   would wait for that transaction); `append` is fine there (the write runs after it).
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
  readonly #remoteFollowers: boolean;
  readonly #episodes = new Map<string, EpisodeState>();
  /** Writes in flight, so `close()` can let them finish before the database closes. */
  readonly #writes = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #batchesWritten = 0;
  /**
   * The episode the last `append` went to, with the key object it was found by. A generation
   * appends every part of its episode, one at a time, with the same key object, so the next
   * call skips checking the key (a UUID match) and building the episode's map key. Compared by
   * value too (with the episode's own parsed key), so a mutated key object is looked up afresh;
   * cleared whenever an episode is forgotten.
   */
  #lastAppended: { key: DraftKey; episode: EpisodeState } | undefined;

  /** @internal Created by `openStore`. */
  constructor(
    context: DraftWriterContext,
    { windowMs, remoteFollowers = true }: DraftOptions = {},
  ) {
    this.#context = context;
    this.#windowMs = requirePositiveNumber(
      'windowMs',
      windowMs ?? (remoteFollowers ? FOLLOWER_WINDOW_MS : RECOVERY_WINDOW_MS),
    );
    this.#remoteFollowers = remoteFollowers;
  }

  /**
   * Whether another store may read the drafts while they are written (see
   * {@link DraftOptions.remoteFollowers}). Only then does the engine call
   * {@link DraftWriter.announceUnwritten} before committing a step: the commit deletes the
   * rows, so parts not yet announced would never reach a follower.
   */
  get remoteFollowers(): boolean {
    return this.#remoteFollowers;
  }

  /** Batches written to the database so far (one INSERT each). For metrics. */
  get batchesWritten(): number {
    return this.#batchesWritten;
  }

  /** How many episodes the writer holds state for (ended ones are forgotten). */
  get episodeCount(): number {
    return this.#episodes.size;
  }

  /**
   * Queues envelopes of an episode for writing; returns at once.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key or envelope, or a seq
   *   that does not follow the episode's last one (seqs start at 1 and have no gaps); nothing
   *   of a refused call is queued.
   * @throws StoreClosedError `STORE_CLOSED` after the store closed.
   */
  append(key: DraftKey, envelopes: readonly DraftEnvelope[], { urgent = false } = {}): void {
    if (this.#closing !== undefined) throw new StoreClosedError();
    const episode = this.#episodeToAppendTo(key);
    if (!Array.isArray(envelopes)) throw new InvalidArgumentError('envelopes', 'expected an array');
    // Called once per streamed token: a plain loop, no closure.
    for (let index = 0; index < envelopes.length; index += 1) {
      const envelope = envelopes[index];
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
    }
    if (envelopes.length === 0) return;
    if (this.#episodes.get(episode.id) !== episode) {
      this.#episodes.set(episode.id, episode);
      this.#lastAppended = { key, episode };
    }
    if (episode.pending.length === 0) episode.pendingSince = this.#context.clock.now();
    for (const envelope of envelopes) episode.pending.push(envelope);
    episode.appendedSeq += envelopes.length;
    // Appending again after `end` (before it resolved) continues the episode.
    episode.ending = false;
    if (urgent && this.#remoteFollowers) episode.urgentThrough = episode.appendedSeq;
    this.#schedule(episode);
  }

  /**
   * Drops what the episode has not written yet and forgets it: call once its step is
   * committed. The commit deletes the episode's draft rows in its own transaction and every
   * replica hears of it and reads the committed messages instead, so a batch written now would
   * be deleted at once, or find the chat moved on and write nothing: a statement, a
   * serialisation and an announcement for nothing. A write already in flight finishes (its row
   * goes with the others) and is not retried if it fails; `flush` waiters resolve, as they do
   * when the chat has moved past an episode. Appending to the key afterwards starts a new
   * episode at seq 1. Does nothing for an episode the writer does not hold.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key.
   */
  discard(key: DraftKey): void {
    const episode = this.#episodes.get(episodeId(parseDraftKey(key)));
    if (episode === undefined) return;
    episode.discarded = true;
    episode.ending = true;
    episode.cancelTimer();
    episode.pending = [];
    episode.failedBatch = undefined;
    episode.error = undefined;
    for (const waiter of episode.waiters) waiter.resolve();
    episode.waiters.clear();
    this.#forget(episode);
  }

  /**
   * Resolves once the rows hold everything appended to the episode so far (or the chat has
   * moved past the episode, so there is nothing to hold). Waits on the write itself, no
   * polling. Rejects with `DRAFT_WRITE_FAILED` (its `cause` the driver's error) when the write
   * fails: the envelopes stay queued and are retried with backoff; a later flush tries again at
   * once. Rejects with `signal`'s reason when it aborts (the write goes on).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key.
   * @throws RootHandleInTransactionError `ROOT_HANDLE_IN_TRANSACTION` inside a transaction of
   *   the store (as a rejection).
   */
  flush(key: DraftKey, { signal }: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    const episode = this.#episodes.get(episodeId(parseDraftKey(key)));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#context.db.insideTransaction()) {
      return Promise.reject(new RootHandleInTransactionError(FLUSH_IN_TRANSACTION));
    }
    if (episode === undefined || episode.writtenSeq >= episode.appendedSeq) {
      return Promise.resolve();
    }
    const written = this.#writtenThrough(episode, episode.appendedSeq, signal);
    episode.urgentThrough = episode.appendedSeq;
    // A flush retries a failed write at once instead of waiting out the backoff.
    if (episode.error !== undefined && !episode.writing) episode.cancelTimer();
    this.#schedule(episode);
    return written;
  }

  /**
   * Announces everything appended to the episode that no write has announced, without writing
   * it: for the moment just before the step's commit, which deletes the episode's rows. Followers
   * on other replicas then have every part of the reply when they hear of the commit, and no row
   * is written only to be deleted. The batch of a write in flight is announced too, ahead of the
   * rest, rather than waited for: that write would announce nothing if the commit landed first,
   * and waiting for it would hold the commit up by its round trip. The envelopes stay queued: if
   * no commit follows, they are written as usual, and no write announces them again.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key.
   * @throws RootHandleInTransactionError `ROOT_HANDLE_IN_TRANSACTION` inside a transaction of
   *   the store (as a rejection).
   */
  async announceUnwritten(
    key: DraftKey,
    { signal }: { signal?: AbortSignal | undefined } = {},
  ): Promise<void> {
    const episode = this.#episodes.get(episodeId(parseDraftKey(key)));
    signal?.throwIfAborted();
    if (this.#context.db.insideTransaction()) {
      throw new RootHandleInTransactionError(FLUSH_IN_TRANSACTION);
    }
    if (episode === undefined) return;
    // A write in flight has taken its batch off `pending`; a failed one left it in `failedBatch`.
    const unwritten = [...(episode.inFlightBatch ?? episode.failedBatch ?? []), ...episode.pending];
    if (unwritten.length > 0) this.#announce(episode, unwritten);
  }

  /** Resolves once the episode's rows hold `seq`; rejects when the write fails or `signal` aborts. */
  #writtenThrough(
    episode: EpisodeState,
    seq: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        episode.waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: FlushWaiter = {
        seq,
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
    });
  }

  /**
   * {@link flush} for every episode the writer holds, all at once. Settles when every one
   * has; rejects with the first failure (or `signal`'s reason).
   */
  async flushAll({ signal }: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    signal?.throwIfAborted();
    const results = await Promise.allSettled(
      [...this.#episodes.values()].map((episode) => this.flush(episode.key, { signal })),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Flushes the episode, then forgets it (its state is dropped): call when the episode is
   * over (its step committed or the attempt failed). When the flush rejects, the writer still
   * forgets the episode once its retries have written everything. Appending to an ended key
   * starts a new episode at seq 1.
   * @throws as {@link flush}.
   */
  async end(key: DraftKey, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    const episode = this.#episodes.get(episodeId(parseDraftKey(key)));
    if (episode !== undefined) episode.ending = true;
    await this.flush(key, options);
    if (episode !== undefined) this.#forgetIfEnded(episode);
  }

  /**
   * @internal Called by `store.close()` before the database closes: refuses new appends,
   * writes what is pending and lets writes in flight finish, within two seconds; then drops the
   * rest (logged) and releases every timer. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const budget = new AbortController();
    const timer = this.#context.clock
      .setTimeout(() => budget.abort(new StoreClosedError()), CLOSE_FLUSH_BUDGET_MS)
      .unref();
    const timedOut = new Promise<void>((resolve) =>
      budget.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    try {
      const results = await Promise.allSettled(
        [...this.#episodes.values()].map((episode) =>
          this.flush(episode.key, { signal: budget.signal }),
        ),
      );
      const failures = results.filter((result) => result.status === 'rejected');
      if (failures.length > 0) {
        this.#context.logger.warn(
          { err: failures[0]?.reason, episodes: failures.length },
          'message-store: draft batches dropped at close',
        );
      }
      // A write nobody waits for (an episode the chat moved past) ends before the database.
      if (this.#writes.size > 0) await Promise.race([Promise.allSettled(this.#writes), timedOut]);
    } finally {
      timer.cancel();
      budget.abort();
    }
    for (const episode of this.#episodes.values()) {
      episode.cancelTimer();
      for (const waiter of episode.waiters) waiter.reject(new StoreClosedError());
      episode.waiters.clear();
    }
    this.#episodes.clear();
    this.#lastAppended = undefined;
  }

  /** The state of `key`'s episode (new and not yet held, for an episode without one). */
  #episodeToAppendTo(key: DraftKey): EpisodeState {
    const last = this.#lastAppended;
    if (
      last !== undefined &&
      last.key === key &&
      last.episode.key.chatId === key.chatId &&
      last.episode.key.historyVersion === key.historyVersion &&
      last.episode.key.generationAttempt === key.generationAttempt
    ) {
      return last.episode;
    }
    const parsed = parseDraftKey(key);
    const id = episodeId(parsed);
    const episode = this.#episodes.get(id);
    if (episode === undefined) return new EpisodeState(parsed, id);
    this.#lastAppended = { key, episode };
    return episode;
  }

  /** Stops holding the episode's state. */
  #forget(episode: EpisodeState): void {
    episode.cancelTimer();
    if (this.#episodes.get(episode.id) === episode) this.#episodes.delete(episode.id);
    if (this.#lastAppended?.episode === episode) this.#lastAppended = undefined;
  }

  #schedule(episode: EpisodeState): void {
    if (episode.writing || !episode.hasWork || episode.discarded) return;
    // The window's timer is already set and nothing asks for a write now: it will write this
    // too. (Checked first because `append` lands here once per streamed token.)
    if (
      episode.timer !== undefined &&
      episode.error === undefined &&
      episode.failedBatch === undefined &&
      episode.urgentThrough <= episode.writtenSeq
    ) {
      return;
    }
    // After close only flushes (close's own) may still write.
    if (this.#closing !== undefined && episode.waiters.size === 0) return;
    // Backing off after a failure: the retry timer writes (a flush cancels it to retry now).
    if (episode.error !== undefined && episode.timer !== undefined) return;
    // Followers want the first part of an idle episode at once; without them the window
    // starts at the oldest unwritten append.
    const windowStart = this.#remoteFollowers
      ? episode.lastWriteAt
      : Math.max(episode.lastWriteAt, episode.pendingSince);
    const waitMs =
      episode.failedBatch !== undefined || episode.urgentThrough > episode.writtenSeq
        ? 0
        : windowStart + this.#windowMs - this.#context.clock.now();
    if (waitMs <= 0) {
      episode.cancelTimer();
      this.#startWrite(episode);
      return;
    }
    episode.timer ??= this.#writeAfter(episode, waitMs);
  }

  /** A timer that starts the episode's next write after `delayMs`. */
  #writeAfter(episode: EpisodeState, delayMs: number): TimerHandle {
    return this.#context.clock
      .setTimeout(() => {
        episode.timer = undefined;
        this.#startWrite(episode);
      }, delayMs)
      .unref();
  }

  #startWrite(episode: EpisodeState): void {
    const write = this.#write(episode).catch((error: unknown) => {
      this.#context.logger.error({ err: error }, 'message-store: the draft writer failed');
    });
    this.#writes.add(write);
    void write.then(() => this.#writes.delete(write));
  }

  async #write(episode: EpisodeState): Promise<void> {
    if (episode.writing || !episode.hasWork) return;
    // A failed batch is retried as it was, before anything appended since.
    const batch = episode.failedBatch ?? episode.pending;
    if (batch === episode.pending) episode.pending = [];
    episode.failedBatch = undefined;
    episode.inFlightBatch = batch;
    // A batch too big for one announcement is serialised envelope by envelope, once: the same
    // strings make the row and size the announcement's messages.
    const envelopeJsons = this.#fitsOneAnnouncement(batch)
      ? undefined
      : batch.map((envelope) => JSON.stringify(envelope));
    let stored: boolean;
    try {
      // Not part of any transaction the append happened to be called in.
      stored = await outsideTransactions(() =>
        insertDraftBatch(
          this.#context.db,
          episode.key,
          batch,
          envelopeJsons === undefined ? undefined : `[${envelopeJsons.join(',')}]`,
        ),
      );
    } catch (error) {
      episode.failedBatch = batch;
      episode.inFlightBatch = undefined;
      this.#failed(episode, error);
      return;
    }
    episode.inFlightBatch = undefined;
    episode.failures = 0;
    episode.error = undefined;
    episode.writtenSeq = (batch.at(-1) as DraftEnvelope).seq;
    episode.lastWriteAt = this.#context.clock.now();
    if (stored) {
      this.#batchesWritten += 1;
      // What announceUnwritten announced while this write was in flight is not announced twice.
      const first = batch.findIndex((envelope) => envelope.seq > episode.announcedSeq);
      if (first !== -1) {
        this.#announce(episode, batch.slice(first), envelopeJsons?.slice(first));
      }
    } else {
      this.#context.logger.debug(
        { chatId: episode.key.chatId, firstSeq: batch[0]?.seq, lastSeq: episode.writtenSeq },
        'message-store: draft batch of an episode the chat has moved past; not written',
      );
    }
    for (const waiter of episode.waiters) {
      if (waiter.seq <= episode.writtenSeq) {
        episode.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    if (!this.#forgetIfEnded(episode)) {
      // Appended while this write ran: written by the next one, within the window.
      this.#schedule(episode);
    }
  }

  /** Drops an ended episode's state once nothing of it is left to write (W8). */
  #forgetIfEnded(episode: EpisodeState): boolean {
    if (!episode.ending || episode.writing || episode.hasWork || episode.waiters.size > 0) {
      return false;
    }
    this.#forget(episode);
    return true;
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
    // A discarded episode's batch is superseded by the commit: retrying it is pointless.
    if (this.#closing !== undefined || episode.discarded) return;
    const delayMs = Math.min(
      RETRY_INITIAL_DELAY_MS * 2 ** (episode.failures - 1),
      RETRY_MAX_DELAY_MS,
    );
    episode.cancelTimer();
    episode.timer = this.#writeAfter(episode, delayMs);
  }

  /** Whether `batch` may fit one announcement (no envelope serialises to fewer bytes). */
  #fitsOneAnnouncement(batch: readonly DraftEnvelope[]): boolean {
    return batch.length * MIN_ENVELOPE_JSON_BYTES <= this.#context.pubsub.maxPayloadBytes;
  }

  /**
   * Announces envelopes (a written batch, or before a commit the unwritten ones) inline, in as
   * many messages as the transport needs:
   * a follower then has every part without reading the rows, which the commit that ends the
   * episode deletes, perhaps before the follower could read them. Only an envelope too large
   * for a message on its own is announced by its seq alone.
   */
  #announce(episode: EpisodeState, batch: DraftEnvelope[], envelopeJsons?: string[]): void {
    const { key } = episode;
    const channel = draftChannel(key.chatId);
    const { pubsub } = this.#context;
    const publish = (envelopes: DraftEnvelope[], inline: boolean) => {
      const lastSeq = (envelopes.at(-1) as DraftEnvelope).seq;
      const announcement: DraftAnnouncement = {
        historyVersion: key.historyVersion,
        generationAttempt: key.generationAttempt,
        firstSeq: (envelopes[0] as DraftEnvelope).seq,
        lastSeq,
        ...(inline ? { envelopes } : {}),
      };
      pubsub.publish(channel, announcement as unknown as JsonValue);
      // Without its envelopes, an announcement points followers at rows: the write of those
      // rows announces them again.
      if (inline) episode.announcedSeq = Math.max(episode.announcedSeq, lastSeq);
    };
    /** Publishes `envelopes` inline; `false` when they do not fit one message. */
    const publishedInline = (envelopes: DraftEnvelope[]): boolean => {
      try {
        publish(envelopes, true);
        return true;
      } catch (error) {
        if (!ChatdError.isInstance(error, 'PAYLOAD_TOO_LARGE')) throw error;
        return false;
      }
    };
    try {
      // The usual batch (a window of small parts) fits one message: no sizing needed.
      if (
        envelopeJsons === undefined &&
        this.#fitsOneAnnouncement(batch) &&
        publishedInline(batch)
      ) {
        return;
      }
      for (const chunk of chunksWithin(
        batch,
        envelopeJsons ?? batch.map((envelope) => JSON.stringify(envelope)),
        pubsub.maxPayloadBytes - ANNOUNCEMENT_OVERHEAD_BYTES,
      )) {
        if (!publishedInline(chunk)) publish(chunk, false);
      }
    } catch (error) {
      this.#context.logger.warn({ err: error, channel }, 'message-store: announcing drafts failed');
    }
  }
}

/**
 * Splits `envelopes`, in order, into runs whose JSON (`jsons`, one per envelope) takes at most
 * `maxBytes` (UTF-8); an envelope larger than that is a run of its own.
 */
function chunksWithin(
  envelopes: DraftEnvelope[],
  jsons: readonly string[],
  maxBytes: number,
): DraftEnvelope[][] {
  const chunks: DraftEnvelope[][] = [];
  let chunk: DraftEnvelope[] = [];
  let bytes = 0;
  for (const [index, envelope] of envelopes.entries()) {
    // +1 for the comma between envelopes.
    const size = Buffer.byteLength(jsons[index] as string) + 1;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(envelope);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
