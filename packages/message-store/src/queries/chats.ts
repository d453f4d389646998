import { InvalidArgumentError, readChatErrorInfo } from '@chatd/core';
import { and, asc, desc, eq, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { DbExecutor } from '../db/types.js';
import { ChatNotFoundError } from '../errors/store-errors.js';
import { type ChatRow, chats } from '../schema/tables.js';
import type { ResolvedLimits } from '../store/store-options.js';
import { validateJsonValue } from './content.js';
import { integerInRange, isUuid, nonEmptyString } from './validate.js';

/**
 * Loads one chat.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when it does not exist.
 */
export async function getChat(executor: DbExecutor, chatId: string): Promise<ChatRow> {
  if (!isUuid(chatId)) throw new ChatNotFoundError(String(chatId));
  const [row] = await executor.select().from(chats).where(eq(chats.id, chatId));
  if (row === undefined) throw new ChatNotFoundError(chatId);
  return readChatRow(row);
}

/**
 * A chat row with its JSON read tolerantly: a last error written by a newer version (an unknown
 * error kind) reads as `generic` instead of lying about its type.
 */
export function readChatRow(row: ChatRow): ChatRow {
  return row.lastError === null ? row : { ...row, lastError: readChatErrorInfo(row.lastError) };
}

/** Throws `CHAT_NOT_FOUND` unless the chat exists; cheap (no row data). */
export async function assertChatExists(executor: DbExecutor, chatId: string): Promise<void> {
  if (!isUuid(chatId)) throw new ChatNotFoundError(String(chatId));
  const [row] = await executor.select({ id: chats.id }).from(chats).where(eq(chats.id, chatId));
  if (row === undefined) throw new ChatNotFoundError(chatId);
}

/** Options of {@link MessageStore.listChats}. */
export interface ListChatsOptions {
  /**
   * Archived chats only (`true`), unarchived only (`false`), or both (omitted).
   */
  archived?: boolean;
  /**
   * Page size, 1 to 200.
   * @default 50
   */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /**
   * Include sub-chats (chats with a parent); by default only roots are listed.
   * @default false
   */
  includeChildren?: boolean;
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

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: unknown): Cursor {
  try {
    const value = JSON.parse(Buffer.from(String(text), 'base64url').toString()) as Cursor;
    if (typeof value.at === 'string' && isUuid(value.id)) return value;
  } catch {
    // Reported below.
  }
  throw new InvalidArgumentError('cursor', 'not a cursor returned by listChats');
}

/**
 * Lists an owner's chats, most recent user activity first (a user message or queued message
 * counts; creation too), keyset-paginated so pages stay stable while chats move.
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a bad limit or cursor.
 */
export async function listChats(
  executor: DbExecutor,
  ownerId: string,
  options: ListChatsOptions = {},
): Promise<ChatPage> {
  nonEmptyString(ownerId, 'ownerId');
  const limit = integerInRange(options.limit ?? 50, 'limit', 1, 200);
  const conditions: SQL[] = [eq(chats.ownerId, ownerId)];
  if (options.archived !== undefined) conditions.push(eq(chats.archived, options.archived));
  if (options.includeChildren !== true) conditions.push(isNull(chats.parentChatId));
  if (options.cursor !== undefined) {
    const cursor = decodeCursor(options.cursor);
    conditions.push(
      sql`(${chats.lastUserActivityAt}, ${chats.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  const rows = await executor
    .select({ chat: chats, at: sql<string>`${chats.lastUserActivityAt}::text` })
    .from(chats)
    .where(and(...conditions))
    .orderBy(desc(chats.lastUserActivityAt), desc(chats.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    chats: page.map((row) => readChatRow(row.chat)),
    ...(rows.length > limit && last !== undefined
      ? { nextCursor: encodeCursor({ at: last.at, id: last.chat.id }) }
      : {}),
  };
}

/** Metadata a caller may change outside the state machine. */
export interface ChatMetadataUpdate {
  /** New title, 1 to 500 characters. */
  title?: string;
  /** New labels, replacing the old ones: string values only. */
  labels?: Record<string, string>;
}

/**
 * Changes a chat's title and/or labels. Not a state transition: no version moves and nothing
 * is published (the app announces metadata changes on its own channels).
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for an empty update, a bad title or labels.
 */
export async function updateChatMetadata(
  executor: DbExecutor,
  limits: ResolvedLimits,
  chatId: string,
  update: ChatMetadataUpdate,
): Promise<ChatRow> {
  const values: { title?: string; labels?: Record<string, string> } = {};
  if (update.title !== undefined) values.title = nonEmptyString(update.title, 'title', 500);
  if (update.labels !== undefined) values.labels = validateLabels(update.labels, limits);
  if (Object.keys(values).length === 0) {
    throw new InvalidArgumentError('update', 'expected title or labels');
  }
  if (!isUuid(chatId)) throw new ChatNotFoundError(String(chatId));
  const [row] = await executor.update(chats).set(values).where(eq(chats.id, chatId)).returning();
  if (row === undefined) throw new ChatNotFoundError(chatId);
  return readChatRow(row);
}

function validateLabels(labels: unknown, limits: ResolvedLimits): Record<string, string> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidArgumentError('labels', 'expected an object of strings');
  }
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`labels.${key}`, 'expected a string');
    }
  }
  validateJsonValue(labels, 'labels', limits);
  return labels as Record<string, string>;
}

/**
 * Deletes a chat and everything that hangs off it: messages, queued messages, heartbeats and
 * sub-chats (cascading foreign keys). Irreversible.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function deleteChat(executor: DbExecutor, chatId: string): Promise<void> {
  if (!isUuid(chatId)) throw new ChatNotFoundError(String(chatId));
  const deleted = await executor
    .delete(chats)
    .where(eq(chats.id, chatId))
    .returning({ id: chats.id });
  if (deleted.length === 0) throw new ChatNotFoundError(chatId);
}

/**
 * A chat family: the root and its sub-chats, root first, then by creation (then id). Used by
 * family archive, which must lock and update members in this order to avoid deadlocks.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the root does not exist.
 */
export async function getFamilyChatIds(
  executor: DbExecutor,
  rootChatId: string,
): Promise<string[]> {
  if (!isUuid(rootChatId)) throw new ChatNotFoundError(String(rootChatId));
  const rows = await executor
    .select({ id: chats.id })
    .from(chats)
    .where(or(eq(chats.id, rootChatId), eq(chats.rootChatId, rootChatId)))
    .orderBy(sql`${chats.id} <> ${rootChatId}`, asc(chats.createdAt), asc(chats.id));
  if (rows[0]?.id !== rootChatId) throw new ChatNotFoundError(rootChatId);
  return rows.map((row) => row.id);
}

/**
 * The root of a chat's family: its `root_chat_id`, or itself for a root.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function getRootChatId(executor: DbExecutor, chatId: string): Promise<string> {
  if (!isUuid(chatId)) throw new ChatNotFoundError(String(chatId));
  const [row] = await executor
    .select({ rootChatId: chats.rootChatId })
    .from(chats)
    .where(eq(chats.id, chatId));
  if (row === undefined) throw new ChatNotFoundError(chatId);
  return row.rootChatId ?? chatId;
}
