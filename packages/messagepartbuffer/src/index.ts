/**
 * The transient stream of message parts that a generation produces before anything is
 * committed to the database, held in memory for the two consumers that need it.
 *
 * **Two consumers, different timing.** Stream endpoints forward each part to clients the moment
 * it exists, and a client may connect before the generation has produced anything, or late, or
 * reconnect after a drop. The interrupt task reads a whole episode at once, when it must rebuild
 * and commit the partial assistant or tool message of a generation that was stopped. So the
 * buffer keeps every part of an episode (for late subscribers, reconnects and interrupt
 * recovery) and also pushes each new part to live subscribers.
 *
 * **Keyed by chat, history version and generation attempt.** An episode is the parts one
 * attempt streams for one version of a chat's history. A stale worker still writing under an old
 * history version or attempt writes to its own episode, and a subscriber always names the episode
 * it wants, so parts of different generations never mix. Parts get contiguous `seq` numbers from
 * 1, so a consumer detects a gap, and resumes with `afterSeq` without replays.
 *
 * **In memory, never persisted.** These parts are previews: the durable record is the message
 * the generation commits at the end of each step. Losing the buffer (a crash) loses only the
 * preview; a new worker regenerates. One buffer per process; other replicas get parts through
 * their own channel.
 *
 * **Limits, and what happens at each:**
 * - `maxEpisodeBytes` (1 MiB): `addPart` throws `EPISODE_FULL` and stores nothing (no `seq` is
 *   used). Sizes count each part as its JSON envelope `{"seq","role","part"}` in UTF-8.
 * - `maxTotalBytes` (64 MiB, across all episodes): `addPart` throws `BUFFER_FULL` (retryable)
 *   and stores nothing; bytes come back as closed episodes are collected.
 * - `subscriberSendTimeoutMs` (10 s): delivery hands each part over and waits for the
 *   subscriber to take it, so a slow subscriber delays only itself and holds no backlog. A part
 *   not taken within the timeout, counted from when it was ready even if iteration never
 *   started, ends that subscription with `too-slow`; the client resubscribes with `afterSeq`.
 * - `closedEpisodeRetentionMs` (15 s): a closed episode stays readable for late subscribers and
 *   interrupt recovery, then is collected (`EPISODE_NOT_FOUND` afterwards). One that still has
 *   subscribers is kept until the first collection after they leave, which the send timeout
 *   bounds. Collection runs on `createEpisode`, `getParts`, before a `BUFFER_FULL`, and on a
 *   timer that exists only while closed episodes wait for it.
 * - Early subscribers create a placeholder for a key that does not exist yet; it is removed when
 *   its last subscriber leaves before the episode is created, so giving up never leaks.
 *
 * **Atomicity.** Every method except `close()` is synchronous, so each runs to completion with
 * nothing interleaved (Coder's Go buffer needs a mutex for this). The only interleaving is in
 * delivery: each subscription runs its own loop, which awaits the consumer for every part;
 * parts added or the episode closed meanwhile are picked up when the loop resumes, and one
 * wake-up stands for any number of changes. Parts are stored as given (not validated or copied
 * again on this hot path) and every subscriber receives the same frozen envelope.
 *
 * **`close()`** marks the buffer closed at once (every later call throws `BUFFER_CLOSED`), ends
 * every subscription with `buffer-closed` and releases all episodes. Its promise resolves once
 * every delivery loop has exited: then every promise the buffer handed out has settled and it
 * holds no timer or listener. `await using` calls it.
 *
 * Modelled on the `messagepartbuffer` package of coder/coder's chatd; beyond it: the `ended`
 * reason, `afterSeq`, the `maxTotalBytes` cap, and options that throw instead of falling back to
 * defaults.
 *
 * @packageDocumentation
 */
export {
  type EpisodeKey,
  type EpisodeSubscription,
  MessagePartBuffer,
  type MessagePartBufferOptions,
  type StoredPart,
  type SubscribeOptions,
  type SubscriptionEndReason,
} from './buffer/index.js';
export {
  BufferClosedError,
  BufferFullError,
  EpisodeClosedError,
  EpisodeExistsError,
  EpisodeFullError,
  EpisodeNotFoundError,
  type MessagePartBufferErrorCode,
} from './errors/index.js';
