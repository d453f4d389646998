import {
  CHAT_MESSAGE_ROLES,
  type ChatMessageRole,
  type ChatStreamPart,
  InvalidArgumentError,
} from '@chatd/core';
import { isUuid } from '../validation/inputs.js';

/**
 * An in-flight episode: the parts one generation attempt streams from one history version of
 * a chat (the same key as a `@chatd/messagepartbuffer` episode).
 */
export interface DraftKey {
  /** The chat. */
  chatId: string;
  /** The history version the generation started from. */
  historyVersion: number;
  /** The generation attempt, from 1. */
  generationAttempt: number;
}

/** One streamed part of an episode, numbered from 1 without gaps. */
export interface DraftEnvelope {
  /** Position in the episode. */
  seq: number;
  /** Role of the message being streamed. */
  role: ChatMessageRole;
  /** The part. */
  part: ChatStreamPart;
}

/**
 * Published on `chat:draft:<chatId>` after each batch of an episode is written, in seq order
 * per episode; a batch too large for one message of the transport takes several, each with a
 * consecutive run of its envelopes. `envelopes` is missing only for an envelope too large for a
 * message on its own: read it with `store.readDraft(key, { afterSeq: firstSeq - 1 })`.
 */
export interface DraftAnnouncement {
  /** The episode's history version. */
  historyVersion: number;
  /** The episode's generation attempt. */
  generationAttempt: number;
  /** The first seq announced. */
  firstSeq: number;
  /** The last seq announced. */
  lastSeq: number;
  /** The envelopes from `firstSeq` to `lastSeq`, unless they did not fit a message. */
  envelopes?: DraftEnvelope[];
}

/** The channel a chat's {@link DraftAnnouncement}s are published on. */
export function draftChannel(chatId: string): string {
  return `chat:draft:${chatId}`;
}

const isCount = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

const roles: ReadonlySet<string> = new Set(CHAT_MESSAGE_ROLES);

/** Whether `value` has the shape of a {@link DraftEnvelope} (the part: an object with a type). */
export function isDraftEnvelope(value: unknown): value is DraftEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const { seq, role, part } = value as Record<string, unknown>;
  return (
    isCount(seq, 1) &&
    typeof role === 'string' &&
    roles.has(role) &&
    typeof part === 'object' &&
    part !== null &&
    typeof (part as { type?: unknown }).type === 'string'
  );
}

/**
 * Reads a {@link DraftAnnouncement} received from another process, tolerantly: `undefined`
 * for anything that is not one (a newer or foreign message on the channel is skipped, not
 * thrown), and no `envelopes` when they are malformed (the receiver then reads the rows).
 */
export function readDraftAnnouncement(payload: unknown): DraftAnnouncement | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { historyVersion, generationAttempt, firstSeq, lastSeq, envelopes } = payload as Record<
    string,
    unknown
  >;
  if (
    !isCount(historyVersion, 0) ||
    !isCount(generationAttempt, 1) ||
    !isCount(firstSeq, 1) ||
    !isCount(lastSeq, firstSeq)
  ) {
    return undefined;
  }
  const announcement: DraftAnnouncement = { historyVersion, generationAttempt, firstSeq, lastSeq };
  if (
    Array.isArray(envelopes) &&
    envelopes.length === lastSeq - firstSeq + 1 &&
    envelopes.every(
      (envelope, index) => isDraftEnvelope(envelope) && envelope.seq === firstSeq + index,
    )
  ) {
    announcement.envelopes = envelopes;
  }
  return announcement;
}

/**
 * Checks a key at the boundary.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the bad field.
 */
export function parseDraftKey(key: unknown): DraftKey {
  if (typeof key !== 'object' || key === null) {
    throw new InvalidArgumentError('key', 'expected { chatId, historyVersion, generationAttempt }');
  }
  const { chatId, historyVersion, generationAttempt } = key as Record<string, unknown>;
  if (!isUuid(chatId)) throw new InvalidArgumentError('key.chatId', 'expected a chat id (UUID)');
  if (!isCount(historyVersion, 0)) {
    throw new InvalidArgumentError('key.historyVersion', 'expected a non-negative integer');
  }
  if (!isCount(generationAttempt, 1)) {
    throw new InvalidArgumentError('key.generationAttempt', 'expected a positive integer');
  }
  return { chatId, historyVersion, generationAttempt };
}

/** The map key of an episode. */
export function episodeId(key: DraftKey): string {
  return `${key.chatId}/${key.historyVersion}/${key.generationAttempt}`;
}
