import { readChatMessageContent, type StoredChatMessageContent } from '@chatd/core';
import { namedStatement, type Queryable, type Transaction } from '../db/database.js';
import { toSafeInteger } from '../db/safe-integer.js';
import { ChatNotFoundError, MessageNotFoundError } from '../errors/store-errors.js';
import { rowReader, selectList } from '../schema/columns.js';
import {
  type ChatMessageRow,
  type ChatRow,
  chatColumns,
  MESSAGE_SELECT,
  messageColumns,
  readMessageRow,
} from '../schema/rows.js';
import type { ListMessagesOptions, NewMessage } from '../validation/inputs.js';
import { contentJson } from '../validation/parse-input.js';
import {
  type ChatRecord,
  type ExecutionWrite,
  executionParams,
  executionSet,
  RECORD,
  readRecord,
} from './chat-state.js';
import { queryChildRows } from './chats.js';

/** The visibility of a message written without one: both the transcript and the prompt. */
const DEFAULT_VISIBILITY = 'both';

// What a user's transcript shows; the model's prompt uses 'model' and 'both'.
const USER_VISIBLE = `m.visibility IN ('user', 'both')`;
/** Messages the model sees (the prompt history), as a condition on alias `m`. */
export const MODEL_VISIBLE = `m.visibility IN ('model', 'both')`;

/**
 * Loads one message of a chat, soft-deleted ones included (their `deleted` flag says so).
 * @throws MessageNotFoundError `MESSAGE_NOT_FOUND` when it does not exist in this chat.
 */
export async function getMessage(
  db: Queryable,
  chatId: string,
  messageId: number,
): Promise<ChatMessageRow> {
  const [row] = await db.query(
    `SELECT ${MESSAGE_SELECT} FROM chat_messages m WHERE m.chat_id = $1 AND m.id = $2`,
    [chatId, messageId],
  );
  if (row === undefined) throw new MessageNotFoundError(messageId);
  return readMessageRow(row);
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
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function listMessages(
  db: Queryable,
  chatId: string,
  options: ListMessagesOptions = {},
): Promise<MessagePage> {
  const limit = options.limit ?? 50;
  const ascending = options.after !== undefined && options.before === undefined;
  // One row more than asked tells whether another page exists, without a count.
  const rows = await queryChildRows(
    db,
    chatId,
    `SELECT ${MESSAGE_SELECT} FROM chats c
     LEFT JOIN chat_messages m ON m.chat_id = c.id AND NOT m.deleted AND ${USER_VISIBLE}
       AND ($2::bigint IS NULL OR m.id < $2) AND ($3::bigint IS NULL OR m.id > $3)
     WHERE c.id = $1
     ORDER BY m.id ${ascending ? 'ASC' : 'DESC'} LIMIT $4`,
    [chatId, options.before ?? null, options.after ?? null, limit + 1],
  );
  return { messages: rows.slice(0, limit).map(readMessageRow), hasMore: rows.length > limit };
}

const PROMPT_HISTORY = namedStatement(
  'prompt_history',
  `SELECT ${MESSAGE_SELECT} FROM chats c
     LEFT JOIN chat_messages m ON m.chat_id = c.id AND NOT m.deleted AND ${MODEL_VISIBLE}
     WHERE c.id = $1 ORDER BY m.id`,
);

/**
 * The history the model sees, oldest first: non-deleted messages visible to the model.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function getPromptHistory(db: Queryable, chatId: string): Promise<ChatMessageRow[]> {
  const rows = await queryChildRows(db, chatId, PROMPT_HISTORY, [chatId]);
  return rows.map(readMessageRow);
}

const CHAT_FIELD = 'chat.';
const readPrefixedChat = rowReader(chatColumns, CHAT_FIELD);
const CHAT_SINCE = namedStatement(
  'chat_since',
  `SELECT ${selectList(chatColumns, 'c', CHAT_FIELD)}, ${MESSAGE_SELECT} FROM chats c
     LEFT JOIN chat_messages m ON m.chat_id = c.id AND m.revision > $2 AND ${USER_VISIBLE}
     WHERE c.id = $1 ORDER BY m.id`,
);

/**
 * The chat with its user-visible messages written at a revision after `afterRevision`,
 * soft-deleted ones included, in id order, in one statement: both come from one snapshot, so
 * a view kept from them never holds messages newer than its chat row nor misses one. A stream
 * that saw revision N catches up with this and detects edits (a deleted message it already
 * showed means its history was rewritten).
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export async function getChatSince(
  db: Queryable,
  chatId: string,
  afterRevision: number,
): Promise<{ chat: ChatRow; messages: ChatMessageRow[] }> {
  const rows = await db.query(CHAT_SINCE, [chatId, afterRevision]);
  const [first] = rows;
  if (first === undefined) throw new ChatNotFoundError(chatId);
  return {
    chat: readPrefixedChat(first),
    messages: first.id === null ? [] : rows.map(readMessageRow),
  };
}

/**
 * The INSERT of a message document's rows into one chat, returning their ids (or `returning`,
 * a RETURNING list): the document is
 * one JSON parameter for all rows, parsed once by Postgres however many messages a step
 * commits. Fields are taken with `->`/`->>` rather than `jsonb_to_recordset`, which turns every
 * jsonb field (the content) back into text and parses it again: at 500 messages that doubled
 * the statement's time. Ids are drawn in ORDER BY order (RETURNING itself promises none).
 * `from` names what the chat id comes from (a CTE the rows must follow, or nothing).
 */
export function insertMessageRows(
  chatId: string,
  document: string,
  from = '',
  returning = 'id',
): string {
  return `INSERT INTO chat_messages (chat_id, role, content, visibility, input_tokens,
       output_tokens, total_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens,
       context_limit, cost_micros, runtime_ms, created_by, model_config_id, reasoning_effort,
       compressed)
     SELECT ${chatId}, m->>'role', m->'content', coalesce(m->>'visibility', '${DEFAULT_VISIBILITY}'),
       (m->>'input_tokens')::bigint, (m->>'output_tokens')::bigint, (m->>'total_tokens')::bigint,
       (m->>'reasoning_tokens')::bigint, (m->>'cache_read_tokens')::bigint,
       (m->>'cache_write_tokens')::bigint, (m->>'context_limit')::bigint,
       (m->>'cost_micros')::bigint, (m->>'runtime_ms')::bigint, m->>'created_by',
       m->>'model_config_id', m->>'reasoning_effort', coalesce((m->>'compressed')::boolean, false)
     FROM ${from} jsonb_array_elements(${document}::text::jsonb) WITH ORDINALITY AS r(m, ordinality)
     ORDER BY r.ordinality
     RETURNING ${returning}`;
}

/** The ids an {@link insertMessageRows} CTE named `inserted` returned, as one text value. */
export const INSERTED_IDS = `(SELECT string_agg(id::text, ',' ORDER BY id) FROM inserted) AS "messageIds"`;

/** Reads the {@link INSERTED_IDS} column. */
export const readInsertedIds = (raw: Record<string, unknown> | undefined): number[] =>
  String(raw?.messageIds).split(',').map(toSafeInteger);

/*
 * One statement inserts the messages and returns the chat as they leave it. The chat row is
 * updated here the way the chat_messages triggers would update it after the statement
 * (history_version, the generation attempt and with it the retry state, the last user
 * activity), so its RETURNING is the chat as committed and the transition needs no read
 * afterwards. The triggers still run and find nothing left to do; they stay the guarantee for
 * every other way of writing messages. `execution` adds an execution write (a turn's end).
 *
 * The chat is updated only once every row is in (the count consumes the whole insert first).
 * Updated earlier in the same statement, the row version each inserted message's foreign-key
 * check and revision trigger visit is one this statement itself wrote, and on Postgres that
 * made a 500-message insert take about twice as long.
 */
function insertMessagesStatement(name: string, execution = '') {
  return namedStatement(
    name,
    `WITH inserted AS (${insertMessageRows('$1::uuid', '$2')}
     ), chat AS (
       UPDATE chats AS c SET history_version = c.snapshot_version, generation_attempt = 0,
         last_user_activity_at = CASE WHEN $3::boolean
           THEN greatest(c.last_user_activity_at, now()) ELSE c.last_user_activity_at END${execution}
       WHERE c.id = $1 AND (SELECT count(*) FROM inserted) > 0
       RETURNING ${RECORD}
     )
     SELECT ${INSERTED_IDS}, now() AS "insertedAt", chat.* FROM chat`,
  );
}

const INSERT_MESSAGES = insertMessagesStatement('insert_messages');
// With the execution write that ends a turn, from $4 on.
const INSERT_MESSAGES_FINISH = insertMessagesStatement(
  'insert_messages_finish',
  `, ${executionSet(4)}`,
);

/**
 * The row document's fields besides content: its column name and how to read it. A field left
 * out of the document (undefined) takes the column's default: NULL, or for `visibility` and
 * `compressed` the defaults the insert and {@link insertedRows} both apply.
 */
const ROW_FIELDS: ReadonlyArray<readonly [string, (message: NewMessage) => unknown]> = [
  ['role', (message) => message.role],
  ['visibility', (message) => message.visibility],
  ['input_tokens', (message) => message.usage?.inputTokens],
  ['output_tokens', (message) => message.usage?.outputTokens],
  ['total_tokens', (message) => message.usage?.totalTokens],
  ['reasoning_tokens', (message) => message.usage?.reasoningTokens],
  ['cache_read_tokens', (message) => message.usage?.cacheReadTokens],
  ['cache_write_tokens', (message) => message.usage?.cacheCreationTokens],
  ['context_limit', (message) => message.usage?.contextLimit],
  ['cost_micros', (message) => message.costMicros],
  ['runtime_ms', (message) => message.runtimeMs],
  ['created_by', (message) => message.createdBy],
  ['model_config_id', (message) => message.modelConfigId],
  ['reasoning_effort', (message) => message.reasoningEffort],
  ['compressed', (message) => message.compressed],
];

/** The row fields of {@link ROW_FIELDS}' columns. */
const FIELD_OF_COLUMN = new Map(
  Object.entries(messageColumns).map(([field, column]) => [column.sqlName, field]),
);

/** What {@link insertMessages} inserted: the ids, the chat as it left it, and when. */
export interface InsertedRows {
  /** Message ids, ascending, in input order. */
  messageIds: number[];
  /** The chat as the insert left it. */
  chat: ChatRecord;
  /** The transaction's time, every row's `created_at`, as the driver returned it. */
  insertedAt: unknown;
}

/**
 * The rows an insert of `messages` wrote, as a read returns them, built from the messages
 * themselves and what the statement returned: their ids, the chat's snapshot version (every
 * row's revision) and the transaction's time (every row's `created_at`). The content is the
 * validated input as it is: reading it again would parse every message a second time.
 */
export function insertedRows(
  messages: readonly NewMessage[],
  { messageIds, chat, insertedAt }: InsertedRows,
): ChatMessageRow[] {
  const createdAt = messageColumns.createdAt.read(insertedAt);
  const revision = chat.row.snapshotVersion;
  const chatId = chat.row.id;
  return messages.map((message, index) => {
    const row: Record<string, unknown> = {
      id: messageIds[index],
      chatId,
      content: message.content,
      deleted: false,
      revision,
      createdAt,
    };
    for (const [column, read] of ROW_FIELDS) {
      row[FIELD_OF_COLUMN.get(column) as string] = read(message) ?? null;
    }
    row.visibility ??= DEFAULT_VISIBILITY;
    row.compressed ??= false;
    return row as unknown as ChatMessageRow;
  });
}

/**
 * The messages as the one JSON document {@link insertMessageRows} reads. Written by hand
 * rather than JSON.stringify of a row object: a step commits hundreds of messages, and the
 * content's JSON already exists (produced when it was validated). Content must be validated.
 */
export function messageDocument(messages: readonly NewMessage[]): string {
  let document = '[';
  for (const [index, message] of messages.entries()) {
    if (index > 0) document += ',';
    document += `{"content":${contentJson(message.content)}`;
    for (const [column, read] of ROW_FIELDS) {
      const value = read(message);
      if (value !== undefined) document += `,"${column}":${JSON.stringify(value)}`;
    }
    document += '}';
  }
  return `${document}]`;
}

/**
 * Inserts messages in order with one statement and returns their ids, ascending in input
 * order, with the chat as they leave it ({@link insertedRows} builds their rows from that, for
 * a caller that wants them). Each row's revision is the chat's current
 * `snapshot_version` (a trigger), and `history_version` moves to it. Content must be validated
 * first; at least one message. With `execution`, the same statement also writes the execution
 * state (a turn's end, which the caller checked); with `commit`, it ends the transaction.
 */
export async function insertMessages(
  tx: Transaction,
  chatId: string,
  messages: readonly NewMessage[],
  execution?: ExecutionWrite,
  commit = false,
): Promise<InsertedRows> {
  const document = messageDocument(messages);
  const byUser = messages.some((message) => message.role === 'user');
  const [statement, params] =
    execution === undefined
      ? [INSERT_MESSAGES, [chatId, document, byUser]]
      : [INSERT_MESSAGES_FINISH, [chatId, document, byUser, ...executionParams(execution)]];
  const [raw] = await (commit ? tx.queryAndCommit(statement, params) : tx.query(statement, params));
  return {
    messageIds: readInsertedIds(raw),
    chat: readRecord(raw) as ChatRecord,
    insertedAt: raw?.insertedAt,
  };
}

/** The parts of a history message the tool-call rules look at. */
export interface ToolCallHistoryMessage {
  /** Message id; history is ordered by it. */
  id: number;
  /** Who the message is from. */
  role: ChatMessageRow['role'];
  /** The stored content. */
  content: StoredChatMessageContent;
}

/** The chat's non-deleted messages from its last assistant message on, in id order. */
export async function getHistoryTail(
  tx: Queryable,
  chatId: string,
): Promise<ToolCallHistoryMessage[]> {
  const rows = await tx.query<{ id: unknown; role: ChatMessageRow['role']; content: unknown }>(
    namedStatement(
      'history_tail',
      `SELECT m.id, m.role, m.content FROM chat_messages m
       WHERE m.chat_id = $1 AND NOT m.deleted AND m.id >= coalesce((
         SELECT max(id) FROM chat_messages
         WHERE chat_id = $1 AND NOT deleted AND role = 'assistant'), 0)
       ORDER BY m.id`,
    ),
    [chatId],
  );
  return rows.map((row) => ({
    id: toSafeInteger(row.id),
    role: row.role,
    content: readChatMessageContent(row.content),
  }));
}

/** Soft-deletes the chat's non-deleted messages with `id >= fromId`; returns their ids. */
export async function softDeleteMessagesFrom(
  tx: Queryable,
  chatId: string,
  fromId: number,
): Promise<number[]> {
  const rows = await tx.query<{ id: unknown }>(
    `UPDATE chat_messages SET deleted = true
     WHERE chat_id = $1 AND id >= $2 AND NOT deleted RETURNING id`,
    [chatId, fromId],
  );
  return rows.map((row) => toSafeInteger(row.id)).sort((a, b) => a - b);
}
