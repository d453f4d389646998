/*
 * The store's tables as TypeScript reads them: one description per table, from which the row
 * types, the select lists and the row readers are all derived. The DDL itself is the SQL of
 * the migrations (src/migrations); a test compares each description with the migrated
 * database's columns, so the two cannot drift apart unnoticed.
 */
import {
  type ChatErrorInfo,
  type ChatMessageRole,
  type ChatStatus,
  type JsonValue,
  readChatErrorInfo,
  readChatMessageContent,
  type StoredChatMessageContent,
} from '@chatd/core';
import type { DynamicToolDeclaration } from '../validation/inputs.js';
import {
  bool,
  int4,
  int8,
  json,
  nullable,
  type RowOf,
  rowReader,
  selectList,
  text,
  textArray,
  textEnum,
  timestamp,
} from './columns.js';

const content = json<StoredChatMessageContent>(readChatMessageContent);

/** The `chats` table. */
export const chatColumns = {
  /** The chat id (a UUID the store generates). */
  id: text('id'),
  /** The owner (opaque, app-defined). */
  ownerId: text('owner_id'),
  /** The title. */
  title: text('title'),
  /** The parent chat of a sub-chat; `null` for a root. */
  parentChatId: nullable(text('parent_chat_id')),
  /** The root of a sub-chat's family; `null` for a root. */
  rootChatId: nullable(text('root_chat_id')),
  /** Execution status. */
  status: textEnum<ChatStatus>()('status'),
  /** Whether the chat is archived. */
  archived: bool('archived'),
  /** The owning worker, if any. */
  workerId: nullable(text('worker_id')),
  /** The owning worker's runner, if any. */
  runnerId: nullable(text('runner_id')),
  /**
   * Why the last generation failed (status `error`), read tolerantly: an error kind written by
   * a newer version reads as `generic`.
   */
  lastError: nullable(json<ChatErrorInfo>(readChatErrorInfo)('last_error')),
  /** The model config the chat last used. */
  lastModelConfigId: nullable(text('last_model_config_id')),
  /** MCP servers the chat may use (opaque ids). */
  mcpServerIds: textArray('mcp_server_ids'),
  /** App-defined labels. */
  labels: json<Record<string, string>>()('labels'),
  /** Client-executed tools the model may call. */
  dynamicTools: json<DynamicToolDeclaration[]>()('dynamic_tools'),
  /** When the chat was created. */
  createdAt: timestamp('created_at'),
  /** When its execution state last changed. */
  updatedAt: timestamp('updated_at'),
  /** The last user message or queued message (or creation): orders the owner's chat list. */
  lastUserActivityAt: timestamp('last_user_activity_at'),
  /** +1 per state transition; starts at 1. */
  snapshotVersion: int8('snapshot_version'),
  /** The snapshot at which messages last changed. */
  historyVersion: int8('history_version'),
  /** The snapshot at which the queue last changed. */
  queueVersion: int8('queue_version'),
  /** Generation attempts since history last changed. */
  generationAttempt: int4('generation_attempt'),
  /** The pending retry, if any (cleared by a new attempt). */
  retryState: nullable(json<JsonValue>()('retry_state')),
  /** The snapshot at which `retryState` last changed. */
  retryStateVersion: int8('retry_state_version'),
  /** When requires-action times out. */
  requiresActionDeadlineAt: nullable(timestamp('requires_action_deadline_at')),
  /** When compaction was requested, until a step consumes it. */
  compactionRequestedAt: nullable(timestamp('compaction_requested_at')),
};

/** The `chat_messages` table. */
export const messageColumns = {
  /** Message id; orders history. */
  id: int8('id'),
  /** The chat. */
  chatId: text('chat_id'),
  /** Who the message is from. */
  role: textEnum<ChatMessageRole>()('role'),
  /** The content, read tolerantly (may come from a newer version). */
  content: content('content'),
  /** Who sees it: the user's transcript, the model's prompt, or both. */
  visibility: textEnum<'user' | 'model' | 'both'>()('visibility'),
  /** Prompt tokens. */
  inputTokens: nullable(int8('input_tokens')),
  /** Generated tokens. */
  outputTokens: nullable(int8('output_tokens')),
  /** Input plus output tokens, as reported. */
  totalTokens: nullable(int8('total_tokens')),
  /** Reasoning tokens among the output. */
  reasoningTokens: nullable(int8('reasoning_tokens')),
  /** Prompt tokens read from the provider's cache. */
  cacheReadTokens: nullable(int8('cache_read_tokens')),
  /** Prompt tokens written to the provider's cache. */
  cacheWriteTokens: nullable(int8('cache_write_tokens')),
  /** The model's context window. */
  contextLimit: nullable(int8('context_limit')),
  /** Cost in millionths of the currency unit. */
  costMicros: nullable(int8('cost_micros')),
  /** Wall time of the model call(s). */
  runtimeMs: nullable(int8('runtime_ms')),
  /** The user who wrote it. */
  createdBy: nullable(text('created_by')),
  /** The model config that produced or answers it. */
  modelConfigId: nullable(text('model_config_id')),
  /** Reasoning effort requested. */
  reasoningEffort: nullable(text('reasoning_effort')),
  /** Whether it is a compaction summary. */
  compressed: bool('compressed'),
  /** Soft-deleted (edited away); kept so streams can see the rewrite. */
  deleted: bool('deleted'),
  /** The chat's snapshot version when the row was last written. */
  revision: int8('revision'),
  /** When it was committed. */
  createdAt: timestamp('created_at'),
};

/** The `chat_queued_messages` table. */
export const queuedMessageColumns = {
  /** Queue entry id. */
  id: int8('id'),
  /** The chat. */
  chatId: text('chat_id'),
  /** What the user wrote. */
  content: content('content'),
  /** Queue order: the head has the lowest position (then the lowest id). */
  position: int8('position'),
  /** The user who queued it. */
  createdBy: text('created_by'),
  /** The model config chosen for it. */
  modelConfigId: nullable(text('model_config_id')),
  /** Reasoning effort chosen for it. */
  reasoningEffort: nullable(text('reasoning_effort')),
  /** When it was queued. */
  createdAt: timestamp('created_at'),
};

/** The `chat_heartbeats` table (ownership leases: one row per chat and runner). */
export const heartbeatColumns = {
  /** The owned chat. */
  chatId: text('chat_id'),
  /** The owning runner. */
  runnerId: text('runner_id'),
  /** The owning worker. */
  workerId: nullable(text('worker_id')),
  /** The last refresh, by database time. */
  heartbeatAt: timestamp('heartbeat_at'),
};

/**
 * The chat columns the state machine reads on every statement: all but the metadata and
 * timestamps, which no transition looks at (fewer columns to send and parse per transition).
 */
const {
  title: _title,
  mcpServerIds: _mcpServerIds,
  labels: _labels,
  createdAt: _createdAt,
  updatedAt: _updatedAt,
  lastUserActivityAt: _lastUserActivityAt,
  ...chatStateColumns
} = chatColumns;

/** A chat row: execution state, ownership, version counters and metadata. */
export interface ChatRow extends RowOf<typeof chatColumns> {}
/** The execution state, ownership and version columns of a chat row, as transitions see them. */
export interface ChatStateRow extends RowOf<typeof chatStateColumns> {}
/** A committed message row. */
export interface ChatMessageRow extends RowOf<typeof messageColumns> {}
/** A queued user message row. */
export interface ChatQueuedMessageRow extends RowOf<typeof queuedMessageColumns> {}

const CHAT_STATE_KEYS = Object.keys(chatStateColumns) as Array<keyof ChatStateRow>;

/** The {@link ChatStateRow} part of a chat row. */
export function toChatStateRow(row: ChatRow): ChatStateRow {
  return Object.fromEntries(CHAT_STATE_KEYS.map((key) => [key, row[key]])) as ChatStateRow;
}

/** `c.id AS "id", …` for `chats c`. */
export const CHAT_SELECT = selectList(chatColumns, 'c');
/** `m.id AS "id", …` for `chat_messages m`. */
export const MESSAGE_SELECT = selectList(messageColumns, 'm');
/** The {@link ChatStateRow} columns of `chats c`. */
export const CHAT_STATE_SELECT = selectList(chatStateColumns, 'c');
/** `q.id AS "id", …` for `chat_queued_messages q`. */
export const QUEUED_SELECT = selectList(queuedMessageColumns, 'q');

/** Reads a row selected with {@link CHAT_SELECT}. */
export const readChatRow = rowReader(chatColumns);
/** Reads a row selected with {@link CHAT_STATE_SELECT}. */
export const readChatStateRow = rowReader(chatStateColumns);
/** Reads a row selected with {@link MESSAGE_SELECT}. */
export const readMessageRow = rowReader(messageColumns);
/** Reads a row selected with {@link QUEUED_SELECT}. */
export const readQueuedRow = rowReader(queuedMessageColumns);
