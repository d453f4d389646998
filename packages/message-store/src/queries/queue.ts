import type { ChatMessageContent } from '@chatd/core';
import { namedStatement, type Queryable } from '../db/database.js';
import { toSafeInteger } from '../db/safe-integer.js';
import { type ChatQueuedMessageRow, QUEUED_SELECT, readQueuedRow } from '../schema/rows.js';
import { contentJson } from '../validation/parse-input.js';
import { queryChildRows } from './chats.js';

const LIST_QUEUE = namedStatement(
  'list_queue',
  `SELECT ${QUEUED_SELECT} FROM chats c
     LEFT JOIN chat_queued_messages q ON q.chat_id = c.id
     WHERE c.id = $1 ORDER BY q.position, q.id`,
);

/**
 * The chat's queue in the order it will be used: by position, then id. (Clients and the worker
 * see one order; the reference showed clients creation order while the worker used position.)
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function listQueuedMessages(
  db: Queryable,
  chatId: string,
): Promise<ChatQueuedMessageRow[]> {
  const rows = await queryChildRows(db, chatId, LIST_QUEUE, [chatId]);
  return rows.map(readQueuedRow);
}

/** A user message to queue. */
export interface NewQueuedMessage {
  content: ChatMessageContent;
  createdBy: string;
  modelConfigId?: string | null | undefined;
  reasoningEffort?: string | null | undefined;
}

// The head is the lowest position (then id): `first` takes one below the current head, so the
// message is used next; otherwise it takes the next position of the sequence (the tail).
const ENQUEUE = namedStatement(
  'enqueue',
  `INSERT INTO chat_queued_messages (chat_id, content, created_by, model_config_id,
       reasoning_effort, position)
     VALUES ($1, $2::text::jsonb, $3, $4, $5, CASE WHEN $6::boolean
       THEN coalesce((SELECT min(position) - 1 FROM chat_queued_messages WHERE chat_id = $1),
                     nextval('chat_queued_messages_position_seq'))
       ELSE nextval('chat_queued_messages_position_seq') END)
     RETURNING id`,
);

/** Appends to the queue (or puts it first); returns the entry id. */
export async function enqueue(
  tx: Queryable,
  chatId: string,
  message: NewQueuedMessage,
  { first }: { first: boolean },
): Promise<number> {
  const [row] = await tx.query<{ id: unknown }>(ENQUEUE, [
    chatId,
    contentJson(message.content),
    message.createdBy,
    message.modelConfigId ?? null,
    message.reasoningEffort ?? null,
    first,
  ]);
  return toSafeInteger(row?.id);
}

/** Removes the queue head (lowest position, then id) and returns it. */
export async function takeQueueHead(
  tx: Queryable,
  chatId: string,
): Promise<ChatQueuedMessageRow | undefined> {
  const [row] = await tx.query(
    namedStatement(
      'take_head',
      `DELETE FROM chat_queued_messages q WHERE q.id = (
         SELECT id FROM chat_queued_messages WHERE chat_id = $1 ORDER BY position, id LIMIT 1)
       RETURNING ${QUEUED_SELECT}`,
    ),
    [chatId],
  );
  return row === undefined ? undefined : readQueuedRow(row);
}

/** Removes one entry of this chat's queue and returns it, or `undefined` if there is none. */
export async function takeQueued(
  tx: Queryable,
  chatId: string,
  queuedId: number,
): Promise<ChatQueuedMessageRow | undefined> {
  const [row] = await tx.query(
    `DELETE FROM chat_queued_messages q WHERE q.chat_id = $1 AND q.id = $2
     RETURNING ${QUEUED_SELECT}`,
    [chatId, queuedId],
  );
  return row === undefined ? undefined : readQueuedRow(row);
}

/**
 * Moves an entry to the head (one below the current head's position) unless it already is the
 * head, so a no-op promotion does not move `queue_version`. Returns whether the entry exists.
 */
export async function moveToHead(tx: Queryable, chatId: string, queuedId: number) {
  const [row] = await tx.query<{ found: boolean }>(
    `WITH head AS (
       SELECT id, position FROM chat_queued_messages WHERE chat_id = $1
       ORDER BY position, id LIMIT 1
     ), moved AS (
       UPDATE chat_queued_messages q SET position = head.position - 1 FROM head
       WHERE q.chat_id = $1 AND q.id = $2 AND head.id <> q.id RETURNING q.id
     )
     SELECT EXISTS (SELECT 1 FROM chat_queued_messages WHERE chat_id = $1 AND id = $2) AS found`,
    [chatId, queuedId],
  );
  return row?.found === true;
}

/** Deletes the whole queue; returns the deleted ids, ascending. */
export async function clearQueue(tx: Queryable, chatId: string): Promise<number[]> {
  const rows = await tx.query<{ id: unknown }>(
    'DELETE FROM chat_queued_messages WHERE chat_id = $1 RETURNING id',
    [chatId],
  );
  return rows.map((row) => toSafeInteger(row.id)).sort((a, b) => a - b);
}
