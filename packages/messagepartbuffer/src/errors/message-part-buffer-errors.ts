import { ChatdError } from '@chatd/core';
import { copyKey, describeKey, type EpisodeKey } from '../buffer/episode-key.js';

/**
 * The codes of the errors a {@link MessagePartBuffer} throws, besides core's `INVALID_ARGUMENT`
 * for malformed options and arguments. Stable: never renamed once shipped.
 */
export type MessagePartBufferErrorCode =
  | 'EPISODE_EXISTS'
  | 'EPISODE_NOT_FOUND'
  | 'EPISODE_CLOSED'
  | 'EPISODE_FULL'
  | 'BUFFER_FULL'
  | 'BUFFER_CLOSED';

/** `createEpisode` was called for a key that was already created (or closed). */
export class EpisodeExistsError extends ChatdError<'EPISODE_EXISTS'> {
  /** The episode that already exists. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey) {
    super('EPISODE_EXISTS', `Episode (${describeKey(key)}) already exists`);
    this.name = 'EpisodeExistsError';
    this.key = copyKey(key);
  }
}

/**
 * `addPart` or `getParts` named an episode that was never created, or was already collected
 * after its retention window. A key that only has early subscribers counts as not found.
 */
export class EpisodeNotFoundError extends ChatdError<'EPISODE_NOT_FOUND'> {
  /** The episode that was not found. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey) {
    super('EPISODE_NOT_FOUND', `Episode (${describeKey(key)}) not found`);
    this.name = 'EpisodeNotFoundError';
    this.key = copyKey(key);
  }
}

/** `addPart` was called after `closeEpisode`: a closed episode accepts no more parts. */
export class EpisodeClosedError extends ChatdError<'EPISODE_CLOSED'> {
  /** The closed episode. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey) {
    super('EPISODE_CLOSED', `Episode (${describeKey(key)}) is closed`);
    this.name = 'EpisodeClosedError';
    this.key = copyKey(key);
  }
}

/**
 * Storing the part would take the episode past `maxEpisodeBytes`. The part was not stored and
 * consumed no `seq`. Not retryable: the episode only grows; close it (and start the next one,
 * if the producer rotates episodes).
 */
export class EpisodeFullError extends ChatdError<'EPISODE_FULL'> {
  /** The full episode. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey, partBytes: number, episodeBytes: number, maxEpisodeBytes: number) {
    super(
      'EPISODE_FULL',
      `Episode (${describeKey(key)}) is full: a ${partBytes}-byte part on top of ${episodeBytes} bytes exceeds maxEpisodeBytes (${maxEpisodeBytes})`,
    );
    this.name = 'EpisodeFullError';
    this.key = copyKey(key);
  }
}

/**
 * Storing the part would take the whole buffer past `maxTotalBytes`. The part was not stored and
 * consumed no `seq`. Retryable: closed episodes are collected after their retention window,
 * which frees their bytes.
 */
export class BufferFullError extends ChatdError<'BUFFER_FULL'> {
  /** The episode the part was meant for. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey, partBytes: number, totalBytes: number, maxTotalBytes: number) {
    super(
      'BUFFER_FULL',
      `Message part buffer is full: a ${partBytes}-byte part for episode (${describeKey(key)}) on top of ${totalBytes} bytes exceeds maxTotalBytes (${maxTotalBytes})`,
      { retryable: true },
    );
    this.name = 'BufferFullError';
    this.key = copyKey(key);
  }
}

/** The buffer was closed with `close()`; every later call fails with this error. */
export class BufferClosedError extends ChatdError<'BUFFER_CLOSED'> {
  /** The episode the failed call named. */
  readonly key: EpisodeKey;

  constructor(key: EpisodeKey) {
    super('BUFFER_CLOSED', `Message part buffer is closed (episode ${describeKey(key)})`);
    this.name = 'BufferClosedError';
    this.key = copyKey(key);
  }
}
