import { CHAT_STATUSES, type ChatStatus, InvalidArgumentError } from '@chatd/core';

/**
 * What a subscriber has seen of a chat, as far as resuming needs: the versions of the history,
 * queue and retry state it has applied, the status it last reported, and its place in the
 * current preview episode (history version and attempt, and the last part's `seq`).
 */
export interface StreamPosition {
  /** Every message written at or before this history version was sent. */
  historyVersion: number;
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

const VERSION_TAG = 'c1';

/**
 * The cursor of a stream event: the subscriber's {@link StreamPosition} after the event, as
 * `c1.<historyVersion>.<queueVersion>.<retryStateVersion>.<generationAttempt>.<seq>.<status>`.
 * Clients treat it as opaque; it holds no chat id and no secret, and any replica reads it.
 */
export function encodeCursor(position: StreamPosition): string {
  const { historyVersion, queueVersion, retryStateVersion, generationAttempt, seq } = position;
  return `${VERSION_TAG}.${historyVersion}.${queueVersion}.${retryStateVersion}.${generationAttempt}.${seq}.${position.status ?? ''}`;
}

const counter = /^(0|[1-9]\d{0,15})$/;

/**
 * Reads a cursor written by {@link encodeCursor}.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming `cursor` when it is not one.
 */
export function decodeCursor(cursor: string): StreamPosition {
  const fields = typeof cursor === 'string' ? cursor.split('.') : [];
  const [tag, history, queue, retry, attempt, seq, status] = fields;
  const numbers = [history, queue, retry, attempt, seq];
  const known = status === '' || (CHAT_STATUSES as readonly string[]).includes(status as string);
  if (
    fields.length !== 7 ||
    tag !== VERSION_TAG ||
    !numbers.every((value) => value !== undefined && counter.test(value)) ||
    !known
  ) {
    throw new InvalidArgumentError('cursor', 'is not a cursor of this chat stream');
  }
  const [historyVersion, queueVersion, retryStateVersion, generationAttempt, lastSeq] = numbers.map(
    Number,
  ) as [number, number, number, number, number];
  return {
    historyVersion,
    queueVersion,
    retryStateVersion,
    generationAttempt,
    seq: lastSeq,
    status: status === '' ? undefined : (status as ChatStatus),
  };
}
