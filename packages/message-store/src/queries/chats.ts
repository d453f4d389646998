import { InvalidArgumentError } from '@chatd/core';
import { namedStatement, type Queryable, type Statement } from '../db/database.js';
import { ChatNotFoundError } from '../errors/store-errors.js';
import { CHAT_SELECT, type ChatRow, readChatRow } from '../schema/rows.js';
import type { ChatMetadataUpdate, ListChatsOptions } from '../validation/inputs.js';
import { isUuid } from '../validation/inputs.js';

const GET_CHAT = namedStatement('get_chat', `SELECT ${CHAT_SELECT} FROM chats c WHERE c.id = $1`);

/**
 * Loads one chat.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when it does not exist.
 */
export async function getChat(db: Queryable, chatId: string): Promise<ChatRow> {
  const [row] = await db.query(GET_CHAT, [chatId]);
  if (row === undefined) throw new ChatNotFoundError(chatId);
  return readChatRow(row);
}

/** Whether a chat with this id exists. */
export async function chatExists(db: Queryable, chatId: string): Promise<boolean> {
  return (await db.query(GET_CHAT, [chatId])).length > 0;
}

/**
 * Runs a query of a chat's child rows written as `FROM chats c LEFT JOIN <child> … WHERE
 * c.id = $1`, so one statement both reads them and proves the chat exists: no row means no
 * chat, and a single row without an `id` means a chat with no matching child.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function queryChildRows(
  db: Queryable,
  chatId: string,
  statement: Statement | string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  const rows = await db.query(statement, params);
  if (rows.length === 0) throw new ChatNotFoundError(chatId);
  return rows.length === 1 && rows[0]?.id === null ? [] : rows;
}

/** One page of an owner's chats. */
export interface ChatPage {
  /** The chats, most recent user activity first. */
  chats: ChatRow[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

interface Cursor {
  /** last_user_activity_at as Postgres text: microsecond precision, unlike a JS Date. */
  at: string;
  id: string;
}

// Postgres' text form of a timestamptz, as the cursor carries it.
const TIMESTAMP_TEXT = /^\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString()) as Cursor;
    if (typeof value.at === 'string' && TIMESTAMP_TEXT.test(value.at) && isUuid(value.id)) {
      return value;
    }
  } catch {
    // Reported below.
  }
  throw new InvalidArgumentError('options.cursor', 'not a cursor returned by listChats');
}

/**
 * Lists an owner's chats, most recent user activity first (a user message or queued message
 * counts; creation too), keyset-paginated so pages stay stable while chats move.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a cursor listChats did not return.
 */
export async function listChats(
  db: Queryable,
  ownerId: string,
  options: ListChatsOptions = {},
): Promise<ChatPage> {
  const limit = options.limit ?? 50;
  const params: unknown[] = [ownerId, limit + 1];
  const conditions = ['c.owner_id = $1'];
  if (options.archived !== undefined) {
    params.push(options.archived);
    conditions.push(`c.archived = $${params.length}`);
  }
  if (options.labels !== undefined && Object.keys(options.labels).length > 0) {
    params.push(JSON.stringify(options.labels));
    conditions.push(`c.labels @> $${params.length}::text::jsonb`);
  }
  if (options.includeChildren !== true) conditions.push('c.parent_chat_id IS NULL');
  if (options.cursor !== undefined) {
    const cursor = decodeCursor(options.cursor);
    params.push(cursor.at, cursor.id);
    conditions.push(
      `(c.last_user_activity_at, c.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
    );
  }
  const rows = await db.query(
    `SELECT ${CHAT_SELECT}, c.last_user_activity_at::text AS "cursorAt" FROM chats c
     WHERE ${conditions.join(' AND ')}
     ORDER BY c.last_user_activity_at DESC, c.id DESC LIMIT $2`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    chats: page.map(readChatRow),
    ...(rows.length > limit && last !== undefined
      ? { nextCursor: encodeCursor({ at: String(last.cursorAt), id: String(last.id) }) }
      : {}),
  };
}

/** Named: the engine sets the title of every new chat with it. */
const UPDATE_CHAT_METADATA = namedStatement(
  'update_chat_metadata',
  `UPDATE chats AS c SET title = coalesce($2, c.title), labels = coalesce($3::text::jsonb, c.labels)
   WHERE c.id = $1 AND ($4::text IS NULL OR c.title = $4) RETURNING ${CHAT_SELECT}`,
);

/**
 * Changes a chat's title and/or labels. Not a state transition: no version moves and nothing
 * is published (the app announces metadata changes on its own channels).
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function updateChatMetadata(
  db: Queryable,
  chatId: string,
  update: ChatMetadataUpdate,
): Promise<ChatRow> {
  const [row] = await db.query(UPDATE_CHAT_METADATA, [
    chatId,
    update.title ?? null,
    update.labels === undefined ? null : JSON.stringify(update.labels),
    update.onlyIfTitle ?? null,
  ]);
  if (row !== undefined) return readChatRow(row);
  // No row: the chat is missing (getChat says so), or its title did not match (it is as is).
  return getChat(db, chatId);
}

/**
 * Deletes a chat and everything that hangs off it: messages, queued messages, heartbeats and
 * sub-chats (cascading foreign keys). Irreversible.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function deleteChat(db: Queryable, chatId: string): Promise<void> {
  const rows = await db.query('DELETE FROM chats WHERE id = $1 RETURNING id', [chatId]);
  if (rows.length === 0) throw new ChatNotFoundError(chatId);
}

/**
 * A chat family: the root and its sub-chats, root first, then by creation (then id). Family
 * archive locks and updates members in this order, so two family operations cannot deadlock.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the root does not exist.
 */
export async function getFamilyChatIds(db: Queryable, rootChatId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM chats WHERE id = $1 OR root_chat_id = $1
     ORDER BY id <> $1, created_at, id`,
    [rootChatId],
  );
  if (rows[0]?.id !== rootChatId) throw new ChatNotFoundError(rootChatId);
  return rows.map((row) => row.id);
}

/**
 * Idle root chats whose whole family has been quiet since before `cutoff`: unarchived, created
 * before it, not busy, and no non-deleted message in any member after it. Oldest first.
 */
export async function getIdleRootChatIds(
  db: Queryable,
  cutoff: Date,
  limit: number,
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT c.id FROM chats c
     WHERE c.parent_chat_id IS NULL AND NOT c.archived AND c.created_at < $1
       AND NOT EXISTS (
         SELECT 1 FROM chats f
         WHERE (f.id = c.id OR f.root_chat_id = c.id)
           AND (f.status NOT IN ('waiting', 'error') OR EXISTS (
             SELECT 1 FROM chat_messages m
             WHERE m.chat_id = f.id AND NOT m.deleted AND m.created_at >= $1)))
     ORDER BY c.created_at, c.id
     LIMIT $2`,
    [cutoff, limit],
  );
  return rows.map((row) => row.id);
}

/**
 * The root of a chat's family: its `root_chat_id`, or itself for a root.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function getRootChatId(db: Queryable, chatId: string): Promise<string> {
  const [row] = await db.query<{ root: string }>(
    'SELECT coalesce(root_chat_id, id) AS root FROM chats WHERE id = $1',
    [chatId],
  );
  if (row === undefined) throw new ChatNotFoundError(chatId);
  return row.root;
}

/** The database's `now()`: the start of the current transaction (or statement, outside one). */
export async function getDatabaseTime(db: Queryable): Promise<Date> {
  // Epoch milliseconds as float8: parsed to a number by both drivers, unlike timestamptz text.
  const [row] = await db.query<{ ms: number }>(
    'SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms',
  );
  return new Date(Number(row?.ms));
}
