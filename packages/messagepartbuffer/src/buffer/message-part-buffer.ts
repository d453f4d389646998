import {
  CHAT_MESSAGE_ROLES,
  type ChatMessageRole,
  type ChatStreamPart,
  type Clock,
  InvalidArgumentError,
  type KnownOptions,
  realClock,
  requireKnownOptions,
  requirePositiveInteger,
  type TimerHandle,
} from '@chatd/core';
import {
  BufferClosedError,
  BufferFullError,
  EpisodeClosedError,
  EpisodeExistsError,
  EpisodeFullError,
  EpisodeNotFoundError,
} from '../errors/message-part-buffer-errors.js';
import { Episode } from './episode.js';
import { type EpisodeKey, episodeMapKey, isNonNegativeSafeInteger } from './episode-key.js';
import { envelopeByteLength, type StoredPart } from './stored-part.js';
import { type EpisodeSubscription, Subscription } from './subscription.js';

/** What {@link MessagePartBuffer} remembers of the last `addPart`'s episode. */
interface LastAdded {
  readonly key: EpisodeKey;
  readonly chatId: string;
  readonly historyVersion: number;
  readonly generationAttempt: number;
  readonly episode: Episode;
}

/** Options for {@link MessagePartBuffer}. Every number must be a positive integer. */
export interface MessagePartBufferOptions {
  /**
   * The most bytes one episode may hold, counting each part as its JSON envelope
   * `{"seq":…,"role":…,"part":…}` in UTF-8. `addPart` beyond it throws `EPISODE_FULL`.
   * @default 1048576 (1 MiB)
   */
  maxEpisodeBytes?: number;
  /**
   * The most bytes all episodes together may hold, counted the same way; independent of
   * `maxEpisodeBytes`. `addPart` beyond it throws `BUFFER_FULL`. Bytes are freed when an episode
   * is collected.
   * @default 67108864 (64 MiB)
   */
  maxTotalBytes?: number;
  /**
   * How long a closed episode stays readable (for late subscribers and interrupt recovery)
   * before it is collected; also the period of the collection timer. An episode that still has
   * subscribers when it expires is kept until the first collection after they have all left.
   * @default 15000
   */
  closedEpisodeRetentionMs?: number;
  /**
   * How long one part may wait for a subscriber to take it before that subscriber is dropped
   * (its subscription ends with `too-slow`).
   * @default 10000
   */
  subscriberSendTimeoutMs?: number;
  /**
   * The source of time for retention and send timeouts; tests pass a `ManualClock`.
   * @default realClock
   */
  clock?: Clock;
}

/** Options for {@link MessagePartBuffer.subscribe}. */
export interface SubscribeOptions {
  /** Ends the subscription (reason `cancelled`) when aborted. Ends only this subscriber. */
  signal?: AbortSignal;
  /**
   * Skip the parts with `seq <= afterSeq`, which the consumer already has: a reconnecting client
   * passes the last `seq` it received. A non-negative integer; larger than the episode's last
   * `seq` means "only parts not stored yet".
   * @default 0
   */
  afterSeq?: number;
}

const KNOWN_ROLES: ReadonlySet<string> = new Set(CHAT_MESSAGE_ROLES);

/** The longest timer Node supports: longer ones fire after 1 ms (with a warning). */
const MAX_TIMER_MS = 2_147_483_647;

/** Every option of {@link MessagePartBufferOptions}, for refusing a misspelt one. */
const OPTION_NAMES: KnownOptions<MessagePartBufferOptions> = {
  maxEpisodeBytes: true,
  maxTotalBytes: true,
  closedEpisodeRetentionMs: true,
  subscriberSendTimeoutMs: true,
  clock: true,
};

/**
 * Holds the parts that generations stream, in episodes keyed by chat, history version and
 * generation attempt, for live subscribers and for interrupt recovery. See the package
 * documentation for the design.
 *
 * Every method except {@link close} is synchronous and atomic: nothing interleaves with it.
 *
 * @example
 * ```ts
 * const buffer = new MessagePartBuffer();
 * const key = { chatId, historyVersion: 7, generationAttempt: 0 };
 *
 * // Producer (the generation task)
 * buffer.createEpisode(key);
 * buffer.addPart(key, 'assistant', { type: 'text-delta', id: 't1', delta: 'Hello' });
 * buffer.closeEpisode(key);
 *
 * // Consumer (a stream endpoint); may subscribe before the episode exists
 * for await (const { seq, part } of buffer.subscribe(key, { signal, afterSeq: lastSeq })) {
 *   send(seq, part);
 * }
 * ```
 */
export class MessagePartBuffer implements AsyncDisposable {
  readonly #maxEpisodeBytes: number;
  readonly #maxTotalBytes: number;
  readonly #retentionMs: number;
  readonly #sendTimeoutMs: number;
  readonly #clock: Clock;
  /** Episodes and placeholders by {@link episodeMapKey}. */
  readonly #episodes = new Map<string, Episode>();
  /**
   * Closed episodes not collected yet, in the order they closed. Every episode expires one
   * retention period after it closed, so close order is expiry order: a collection pass stops at
   * the first episode that has not expired (a wall clock stepped back can then only delay a
   * collection, never bring one forward). Expired episodes that subscribers still hold stay in
   * place at the front, so every pass looks at them again; a Set removes them in O(1) once they
   * are free. Each episode is added once: it closes once, and a key created again after
   * collection is a new episode.
   */
  readonly #closedEpisodes = new Set<Episode>();
  /** Subscriptions whose delivery loop has not exited yet; `close()` waits for them. */
  readonly #subscriptions = new Set<Subscription>();
  #totalBytes = 0;
  /** Runs collection every retention period while closed episodes wait for it; else unset. */
  #collectionTimer: TimerHandle | undefined;
  /** Set by the first `close()`; later calls return it. */
  #closing: Promise<void> | undefined;
  /**
   * The episode the last `addPart` went to, with the key object and values it was found by. A
   * generation adds every part of its episode with the same key object, so the next call can skip
   * checking the key and building its map key, which would otherwise cost more than storing the
   * part. Compared by value too, so a key object mutated in between is looked up afresh; dropped
   * when that episode is collected.
   */
  #lastAdded: LastAdded | undefined;

  /**
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for an unknown option or one out of
   *   range.
   */
  constructor(options: MessagePartBufferOptions = {}) {
    const {
      maxEpisodeBytes = 1024 * 1024,
      maxTotalBytes = 64 * 1024 * 1024,
      closedEpisodeRetentionMs = 15_000,
      subscriberSendTimeoutMs = 10_000,
      clock = realClock,
    } = requireKnownOptions(options, OPTION_NAMES) ?? {};
    this.#maxEpisodeBytes = requirePositiveInteger('maxEpisodeBytes', maxEpisodeBytes);
    this.#maxTotalBytes = requirePositiveInteger('maxTotalBytes', maxTotalBytes);
    this.#retentionMs = requirePositiveInteger(
      'closedEpisodeRetentionMs',
      closedEpisodeRetentionMs,
      MAX_TIMER_MS,
    );
    this.#sendTimeoutMs = requirePositiveInteger(
      'subscriberSendTimeoutMs',
      subscriberSendTimeoutMs,
      MAX_TIMER_MS,
    );
    this.#clock = clock;
  }

  /**
   * Creates the episode for `key` so that parts can be added. Subscribers that arrived early are
   * adopted; they receive the parts as they are added.
   *
   * @throws {@link EpisodeExistsError} `EPISODE_EXISTS` if `key` was already created or closed
   * (and not yet collected).
   * @throws {@link BufferClosedError} `BUFFER_CLOSED` after {@link close}.
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for a malformed key.
   */
  createEpisode(key: EpisodeKey): void {
    const mapKey = episodeMapKey(key);
    this.#assertOpen(key);
    this.#collectExpired();
    const episode = this.#episodeOrPlaceholder(mapKey);
    if (episode.created) throw new EpisodeExistsError(key);
    episode.created = true;
  }

  /**
   * Appends `part` to the episode with the next `seq` (1, 2, 3, … with no gaps) and wakes its
   * subscribers. The part is stored as given, not copied or re-validated: do not mutate it
   * afterwards.
   *
   * @returns The stored part, the same (frozen) object subscribers receive.
   * @throws {@link EpisodeNotFoundError} `EPISODE_NOT_FOUND` if the episode was never created
   * (or only has early subscribers), or was collected.
   * @throws {@link EpisodeClosedError} `EPISODE_CLOSED` after {@link closeEpisode}.
   * @throws {@link EpisodeFullError} `EPISODE_FULL` past `maxEpisodeBytes`; nothing is stored.
   * @throws {@link BufferFullError} `BUFFER_FULL` past `maxTotalBytes`; nothing is stored.
   * @throws {@link BufferClosedError} `BUFFER_CLOSED` after {@link close}.
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for a malformed key, an unknown role, or
   * a part that cannot be serialised to JSON.
   */
  addPart(key: EpisodeKey, role: ChatMessageRole, part: ChatStreamPart): StoredPart {
    const episode = this.#episodeToAddTo(key);
    if (episode.closed) throw new EpisodeClosedError(key);
    if (!KNOWN_ROLES.has(role)) {
      throw new InvalidArgumentError(
        'role',
        `must be one of ${CHAT_MESSAGE_ROLES.join(', ')}, got ${String(role)}`,
      );
    }
    const seq = episode.parts.length + 1;
    const size = envelopeByteLength(seq, role, part);
    if (episode.bytes + size > this.#maxEpisodeBytes) {
      throw new EpisodeFullError(key, size, episode.bytes, this.#maxEpisodeBytes);
    }
    if (this.#totalBytes + size > this.#maxTotalBytes) {
      // Expired episodes may not have been collected yet (the timer runs once per retention
      // period): collect them before refusing.
      this.#collectExpired();
      if (this.#totalBytes + size > this.#maxTotalBytes) {
        throw new BufferFullError(key, size, this.#totalBytes, this.#maxTotalBytes);
      }
    }
    // Frozen because every subscriber receives this same object.
    const stored: StoredPart = Object.freeze({ seq, role, part });
    episode.parts.push(stored);
    episode.bytes += size;
    this.#totalBytes += size;
    episode.wakeSubscribers();
    return stored;
  }

  /**
   * Closes the episode: it accepts no more parts, its subscribers end once they have everything,
   * and it is collected `closedEpisodeRetentionMs` later. Idempotent. A key that was never
   * created is created closed and empty, so an interrupt can settle an attempt whose worker died
   * before producing anything.
   *
   * @throws {@link BufferClosedError} `BUFFER_CLOSED` after {@link close}.
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for a malformed key.
   */
  closeEpisode(key: EpisodeKey): void {
    const mapKey = episodeMapKey(key);
    this.#assertOpen(key);
    const episode = this.#episodeOrPlaceholder(mapKey);
    episode.created = true;
    if (episode.closed) return;
    episode.closed = true;
    episode.closedAt = this.#clock.now();
    this.#queueForCollection(episode);
    episode.wakeSubscribers();
  }

  /**
   * The episode's parts so far, in `seq` order, for interrupt recovery. The array and the
   * `{ seq, role, part }` envelopes are fresh copies; the `part` objects themselves are shared
   * with the buffer (not deep-cloned), so treat them as read-only.
   *
   * @throws {@link EpisodeNotFoundError} `EPISODE_NOT_FOUND` if the episode was never created
   * (or only has early subscribers), or was collected.
   * @throws {@link BufferClosedError} `BUFFER_CLOSED` after {@link close}.
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for a malformed key.
   */
  getParts(key: EpisodeKey): StoredPart[] {
    const mapKey = episodeMapKey(key);
    this.#assertOpen(key);
    this.#collectExpired();
    const episode = this.#createdEpisode(mapKey, key);
    return episode.parts.map(({ seq, role, part }) => ({ seq, role, part }));
  }

  /**
   * Subscribes to the episode: its stored parts after `afterSeq`, then new parts as they are
   * added, ending once the episode is closed and everything was delivered. Works before the
   * episode exists (the subscription waits, and its placeholder is removed if it ends first).
   *
   * The subscription starts at once, not when iteration starts: a part that the consumer does
   * not take within `subscriberSendTimeoutMs` ends it with `too-slow`.
   *
   * @throws {@link BufferClosedError} `BUFFER_CLOSED` after {@link close}.
   * @throws `InvalidArgumentError` (`INVALID_ARGUMENT`) for a malformed key or `afterSeq`.
   */
  subscribe(key: EpisodeKey, { signal, afterSeq = 0 }: SubscribeOptions = {}): EpisodeSubscription {
    const mapKey = episodeMapKey(key);
    if (!isNonNegativeSafeInteger(afterSeq)) {
      throw new InvalidArgumentError(
        'afterSeq',
        `must be a non-negative integer, got ${String(afterSeq)}`,
      );
    }
    this.#assertOpen(key);
    const episode = this.#episodeOrPlaceholder(mapKey);
    const subscription = new Subscription({
      episode,
      afterSeq,
      clock: this.#clock,
      sendTimeoutMs: this.#sendTimeoutMs,
      signal,
      onEnd: (ended) => this.#detach(ended, episode),
    });
    episode.subscribers.add(subscription);
    this.#subscriptions.add(subscription);
    void subscription.ended.then(() => this.#subscriptions.delete(subscription));
    subscription.start();
    return subscription;
  }

  /**
   * Closes the buffer: at once, every later call throws `BUFFER_CLOSED`, every subscription ends
   * with `buffer-closed`, all parts are released and the collection timer stops. The promise
   * resolves once every subscription's delivery has stopped and its `ended` has settled; then
   * the buffer holds no timer, listener or pending promise. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#collectionTimer?.cancel();
    this.#collectionTimer = undefined;
    const subscriptions = [...this.#subscriptions];
    // Set before ending subscriptions, so their detaching skips collection bookkeeping.
    this.#closing = Promise.all(subscriptions.map((subscription) => subscription.ended)).then(
      () => undefined,
    );
    for (const subscription of subscriptions) subscription.end('buffer-closed');
    this.#episodes.clear();
    this.#closedEpisodes.clear();
    this.#lastAdded = undefined;
    this.#totalBytes = 0;
    return this.#closing;
  }

  /** Calls {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The bytes all episodes hold now, counted as each part's JSON envelope. For metrics. */
  get bytes(): number {
    return this.#totalBytes;
  }

  /**
   * How many keys the buffer holds state for: episodes not yet collected, plus placeholders of
   * early subscribers. Zero after {@link close}. For tests and metrics.
   */
  episodeCount(): number {
    return this.#episodes.size;
  }

  #assertOpen(key: EpisodeKey): void {
    if (this.#closing) throw new BufferClosedError(key);
  }

  #episodeOrPlaceholder(mapKey: string): Episode {
    let episode = this.#episodes.get(mapKey);
    if (episode === undefined) {
      episode = new Episode(mapKey);
      this.#episodes.set(mapKey, episode);
    }
    return episode;
  }

  /** The created episode of `key`, through {@link MessagePartBuffer.#lastAdded} when it matches. */
  #episodeToAddTo(key: EpisodeKey): Episode {
    const last = this.#lastAdded;
    if (
      last !== undefined &&
      last.key === key &&
      last.chatId === key.chatId &&
      last.historyVersion === key.historyVersion &&
      last.generationAttempt === key.generationAttempt
    ) {
      this.#assertOpen(key);
      return last.episode;
    }
    const mapKey = episodeMapKey(key);
    this.#assertOpen(key);
    const episode = this.#createdEpisode(mapKey, key);
    this.#lastAdded = {
      key,
      chatId: key.chatId,
      historyVersion: key.historyVersion,
      generationAttempt: key.generationAttempt,
      episode,
    };
    return episode;
  }

  #createdEpisode(mapKey: string, key: EpisodeKey): Episode {
    const episode = this.#episodes.get(mapKey);
    if (episode === undefined || !episode.created) throw new EpisodeNotFoundError(key);
    return episode;
  }

  /** Runs when a subscription ends, whatever the reason. */
  #detach(subscription: Subscription, episode: Episode): void {
    episode.subscribers.delete(subscription);
    if (this.#closing || episode.subscribers.size > 0) return;
    // A closed episode needs nothing here: it stays queued until a collection pass drops it.
    // A placeholder whose last early subscriber left is dropped now: no createEpisode or
    // closeEpisode is bound to come and reclaim it, so it would leak for the buffer's lifetime.
    if (!episode.created) this.#episodes.delete(episode.mapKey);
  }

  #queueForCollection(episode: Episode): void {
    this.#closedEpisodes.add(episode);
    // Started lazily and stopped when nothing is left to collect, so an idle buffer holds no
    // timer; unref'd so it never keeps the process alive.
    this.#collectionTimer ??= this.#clock
      .setInterval(() => this.#collectExpired(), this.#retentionMs)
      .unref();
  }

  /**
   * Drops the closed episodes that expired (closed at least `closedEpisodeRetentionMs` ago) and
   * have no subscribers, freeing their bytes. Expired episodes that still have subscribers are
   * retained where they are, so the first pass after their last subscriber leaves collects them.
   * The send timeout bounds how long a stalled subscriber can keep an episode alive.
   */
  #collectExpired(): void {
    const cutoff = this.#clock.now() - this.#retentionMs;
    // Deleting the entry being visited is safe while iterating a Set.
    for (const episode of this.#closedEpisodes) {
      if (episode.closedAt > cutoff) break;
      if (episode.subscribers.size > 0) continue;
      this.#closedEpisodes.delete(episode);
      this.#episodes.delete(episode.mapKey);
      this.#totalBytes -= episode.bytes;
      if (this.#lastAdded?.episode === episode) this.#lastAdded = undefined;
    }
    if (this.#closedEpisodes.size === 0) {
      this.#collectionTimer?.cancel();
      this.#collectionTimer = undefined;
    }
  }
}
