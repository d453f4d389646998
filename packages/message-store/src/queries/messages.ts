import { and, asc, desc, eq, gt, inArray, lt, type SQL } from 'drizzle-orm';
import type { DbExecutor } from '../db/types.js';
import { MessageNotFoundError } from '../errors/store-errors.js';
import {
  type ChatMessageRow,
  type ChatQueuedMessageRow,
  chatMessages,
  chatQueuedMessages,
} from '../schema/tables.js';
import { assertChatExists } from './chats.js';
import { readMessageRow } from './message-rows.js';
import { integerInRange, isUuid } from './validate.js';

/** The largest page {@link MessageStore.listMessages} returns. */
export const MAX_MESSAGE_PAGE = 200;

// What a user's transcript shows; the model's prompt uses 'model' | 'both'.
const USER_VISIBLE = ['user', 'both'] as const;
const MODEL_VISIBLE = ['model', 'both'] as const;

/**
 * Loads one message of a chat, soft-deleted ones included (their `deleted` flag says so).
 *
 * @throws MessageNotFoundError `MESSAGE_NOT_FOUND` when it does not exist in this chat.
 */
export async function getMessage(
  executor: DbExecutor,
  chatId: string,
  messageId: number,
): Promise<ChatMessageRow> {
  if (!Number.isSafeInteger(messageId) || !isUuid(chatId)) {
    throw new MessageNotFoundError(Number(messageId));
  }
  const [row] = await executor
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.chatId, chatId), eq(chatMessages.id, messageId)));
  if (row === undefined) throw new MessageNotFoundError(messageId);
  return readMessageRow(row);
}

/** Options of {@link MessageStore.listMessages}. */
export interface ListMessagesOptions {
  /** Only messages with a smaller id. */
  before?: number;
  /** Only messages with a larger id. */
  after?: number;
  /**
   * Page size, 1 to {@link MAX_MESSAGE_PAGE}.
   * @default 50
   */
  limit?: number;
}

/** One page of messages. */
export interface MessagePage {
  /**
   * The messages: ascending by id when only `after` was given (reading forward from a point),
   * descending otherwise (the newest page first, scrolling back with `before`).
   */
  messages: ChatMessageRow[];
  /** Whether more messages exist beyond this page in the same direction. */
  hasMore: boolean;
}

/**
 * A page of the user's transcript: non-deleted messages visible to the user.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..200 or a bad cursor.
 */
export async function listMessages(
  executor: DbExecutor,
  chatId: string,
  options: ListMessagesOptions = {},
): Promise<MessagePage> {
  const limit = integerInRange(options.limit ?? 50, 'limit', 1, MAX_MESSAGE_PAGE);
  const conditions: SQL[] = [
    eq(chatMessages.chatId, chatId),
    eq(chatMessages.deleted, false),
    inArray(chatMessages.visibility, [...USER_VISIBLE]),
  ];
  if (options.before !== undefined) {
    const before = integerInRange(options.before, 'before', 0, Number.MAX_SAFE_INTEGER);
    conditions.push(lt(chatMessages.id, before));
  }
  if (options.after !== undefined) {
    const after = integerInRange(options.after, 'after', 0, Number.MAX_SAFE_INTEGER);
    conditions.push(gt(chatMessages.id, after));
  }
  await assertChatExists(executor, chatId);
  const ascending = options.after !== undefined && options.before === undefined;
  // One row more than asked tells whether another page exists, without a count.
  const rows = await executor
    .select()
    .from(chatMessages)
    .where(and(...conditions))
    .orderBy(ascending ? asc(chatMessages.id) : desc(chatMessages.id))
    .limit(limit + 1);
  return { messages: rows.slice(0, limit).map(readMessageRow), hasMore: rows.length > limit };
}

/**
 * The history the model sees, oldest first: non-deleted messages visible to the model.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function getPromptHistory(
  executor: DbExecutor,
  chatId: string,
): Promise<ChatMessageRow[]> {
  await assertChatExists(executor, chatId);
  const rows = await executor
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.chatId, chatId),
        eq(chatMessages.deleted, false),
        inArray(chatMessages.visibility, [...MODEL_VISIBLE]),
      ),
    )
    .orderBy(asc(chatMessages.id));
  return rows.map(readMessageRow);
}

/**
 * User-visible messages written at a revision after `afterRevision`, soft-deleted ones
 * included, in id order: a stream that saw revision N catches up with this and detects edits
 * (a deleted message it already showed means its history was rewritten).
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a negative or non-integer revision.
 */
export async function getMessagesByRevision(
  executor: DbExecutor,
  chatId: string,
  afterRevision: number,
): Promise<ChatMessageRow[]> {
  integerInRange(afterRevision, 'afterRevision', 0, Number.MAX_SAFE_INTEGER);
  await assertChatExists(executor, chatId);
  const rows = await executor
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.chatId, chatId),
        gt(chatMessages.revision, afterRevision),
        inArray(chatMessages.visibility, [...USER_VISIBLE]),
      ),
    )
    .orderBy(asc(chatMessages.id));
  return rows.map(readMessageRow);
}

/**
 * The chat's queue in the order it will be used: by position, then id. (The reference showed
 * clients creation order while the worker used position, spec §7.1 item 2; one order here.)
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function listQueuedMessages(
  executor: DbExecutor,
  chatId: string,
): Promise<ChatQueuedMessageRow[]> {
  await assertChatExists(executor, chatId);
  const rows = await executor
    .select()
    .from(chatQueuedMessages)
    .where(eq(chatQueuedMessages.chatId, chatId))
    .orderBy(asc(chatQueuedMessages.position), asc(chatQueuedMessages.id));
  return rows.map(readMessageRow);
}
