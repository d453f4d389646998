import { InvalidArgumentError } from '@chatd/core';

/**
 * Identifies one episode: the parts one generation attempt streams for one version of a chat's
 * history.
 *
 * All three fields take part in equality. A new `historyVersion` (a message was sent or edited)
 * or a new `generationAttempt` (a retry) is a new episode, so parts from a stale worker or an
 * earlier attempt never reach a subscriber of the current one.
 */
export interface EpisodeKey {
  /** The chat's id; any non-empty string. */
  readonly chatId: string;
  /** The chat's history version the generation started from; a non-negative safe integer. */
  readonly historyVersion: number;
  /** The generation attempt within that history version; a non-negative safe integer. */
  readonly generationAttempt: number;
}

/**
 * Checks `key` and returns the string the buffer's map is keyed by.
 *
 * The two numbers come first because they cannot contain `:`, so every `chatId` (even one
 * containing `:`) yields a distinct string.
 *
 * @throws {@link InvalidArgumentError} `INVALID_ARGUMENT` for a malformed key.
 * @internal
 */
export function episodeMapKey(key: EpisodeKey): string {
  if (typeof key !== 'object' || key === null) {
    throw new InvalidArgumentError('key', 'must be an object');
  }
  const { chatId, historyVersion, generationAttempt } = key;
  if (typeof chatId !== 'string' || chatId.length === 0) {
    throw new InvalidArgumentError('key.chatId', 'must be a non-empty string');
  }
  if (!isNonNegativeSafeInteger(historyVersion)) {
    throw new InvalidArgumentError(
      'key.historyVersion',
      `must be a non-negative safe integer, got ${String(historyVersion)}`,
    );
  }
  if (!isNonNegativeSafeInteger(generationAttempt)) {
    throw new InvalidArgumentError(
      'key.generationAttempt',
      `must be a non-negative safe integer, got ${String(generationAttempt)}`,
    );
  }
  return `${historyVersion}:${generationAttempt}:${chatId}`;
}

/**
 * A frozen copy of `key`, so errors and internal state never alias the caller's object.
 * @internal
 */
export function copyKey(key: EpisodeKey): EpisodeKey {
  return Object.freeze({
    chatId: key.chatId,
    historyVersion: key.historyVersion,
    generationAttempt: key.generationAttempt,
  });
}

/**
 * `chat "c1", history version 3, attempt 0`: how error messages name an episode.
 * @internal
 */
export function describeKey(key: EpisodeKey): string {
  return `chat ${JSON.stringify(key.chatId)}, history version ${key.historyVersion}, attempt ${key.generationAttempt}`;
}

/**
 * Whether `value` is an integer in `[0, Number.MAX_SAFE_INTEGER]`.
 * @internal
 */
export function isNonNegativeSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
