import { CHAT_STATUSES, type ChatStatus, InvalidArgumentError } from '@chatd/core';

/**
 * What a subscriber has seen of a chat, as far as resuming needs: the versions of the history,
 * queue and retry state it has applied, its place inside a history change it was being sent,
 * the status it last reported, and its place in the current preview episode (history version
 * and attempt, and the last part's `seq`).
 */
export interface StreamPosition {
  /** Every message written at or before this history version was sent. */
  historyVersion: number;
  /**
   * Inside the messages of a history change (sent one event each, in id order): that change's
   * history version, and the last message of it sent. Messages written at or before
   * `batchRevision` with an id up to `batchMessageId` were sent too. Both 0 between changes.
   */
  batchRevision: number;
  /** See {@link StreamPosition.batchRevision}. */
  batchMessageId: number;
  /** The queue as of this version was sent. */
  queueVersion: number;
  /** The retry state as of this version was sent. */
  retryStateVersion: number;
  /** The status last sent; `undefined` before the first. */
  status: ChatStatus | undefined;
  /** The episode's generation attempt (0: no episode). */
  generationAttempt: number;
  /** The last part of the episode sent (0: none). */
  seq: number;
}

const VERSION_TAG = 'c2';
/** Cursors of the version before, without the place inside a history change: still read. */
const PREVIOUS_VERSION_TAG = 'c1';

/**
 * The cursor of a stream event: the subscriber's {@link StreamPosition} after the event, as
 * `c2.<historyVersion>.<queueVersion>.<retryStateVersion>.<generationAttempt>.<seq>.<status>.<batchRevision>.<batchMessageId>`.
 * Clients treat it as opaque; it holds no chat id and no secret, and any replica reads it.
 */
export function encodeCursor(position: StreamPosition): string {
  const { historyVersion, queueVersion, retryStateVersion, generationAttempt, seq } = position;
  return `${VERSION_TAG}.${historyVersion}.${queueVersion}.${retryStateVersion}.${generationAttempt}.${seq}.${position.status ?? ''}.${position.batchRevision}.${position.batchMessageId}`;
}

const counter = /^(0|[1-9]\d{0,15})$/;

/**
 * Reads a cursor written by {@link encodeCursor}.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming `cursor` when it is not one.
 */
export function decodeCursor(cursor: string): StreamPosition {
  const fields = typeof cursor === 'string' ? cursor.split('.') : [];
  const [tag, history, queue, retry, attempt, seq, status, batchAt = '0', batchId = '0'] = fields;
  const length = tag === VERSION_TAG ? 9 : tag === PREVIOUS_VERSION_TAG ? 7 : undefined;
  const numbers = [history, queue, retry, attempt, seq, batchAt, batchId];
  const known = status === '' || (CHAT_STATUSES as readonly string[]).includes(status as string);
  if (
    fields.length !== length ||
    !numbers.every((value) => value !== undefined && counter.test(value)) ||
    !known
  ) {
    throw new InvalidArgumentError('cursor', 'is not a cursor of this chat stream');
  }
  const [
    historyVersion,
    queueVersion,
    retryStateVersion,
    generationAttempt,
    lastSeq,
    batchRevision,
    batchMessageId,
  ] = numbers.map(Number) as [number, number, number, number, number, number, number];
  return {
    historyVersion,
    batchRevision,
    batchMessageId,
    queueVersion,
    retryStateVersion,
    generationAttempt,
    seq: lastSeq,
    status: status === '' ? undefined : (status as ChatStatus),
  };
}
