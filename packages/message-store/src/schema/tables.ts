import type {
  ChatErrorInfo,
  ChatMessageRole,
  ChatStatus,
  JsonObject,
  JsonValue,
  StoredChatMessageContent,
} from '@chatd/core';
import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { int8 } from './int8.js';

/*
 * Drizzle table definitions used for typed queries. The DDL itself lives in the versioned SQL
 * migrations (src/migrations), which are the source of truth: keep both in step.
 *
 * Columns the database fills in (identities, trigger-maintained counters) carry a
 * `.default(sql`…`)` marker so inserts may omit them; drizzle then sends `DEFAULT`.
 */

/** Who may see a message: the user's transcript, the model's prompt, or both. */
export type MessageVisibility = 'user' | 'model' | 'both';

/** A client-executed (dynamic) tool a chat declares; the model may call it. */
export interface DynamicToolDeclaration {
  /** Tool name, unique within the chat. */
  name: string;
  /** What the tool does, for the model. */
  description?: string;
  /** JSON Schema of the tool's input. */
  inputSchema: JsonObject;
}

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One row per chat: execution state, ownership, version counters and metadata. */
export const chats = pgTable('chats', {
  id: uuid('id').primaryKey(),
  ownerId: text('owner_id').notNull(),
  title: text('title').notNull().default('New Chat'),
  parentChatId: uuid('parent_chat_id'),
  rootChatId: uuid('root_chat_id'),
  status: text('status').$type<ChatStatus>().notNull().default('waiting'),
  archived: boolean('archived').notNull().default(false),
  workerId: text('worker_id'),
  runnerId: text('runner_id'),
  lastError: jsonb('last_error').$type<ChatErrorInfo>(),
  lastModelConfigId: text('last_model_config_id'),
  mcpServerIds: text('mcp_server_ids').array().notNull().default(sql`'{}'`),
  labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  dynamicTools: jsonb('dynamic_tools').$type<DynamicToolDeclaration[]>().notNull().default([]),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  lastUserActivityAt: timestamptz('last_user_activity_at').notNull().defaultNow(),
  snapshotVersion: int8('snapshot_version').notNull().default(1),
  historyVersion: int8('history_version').notNull().default(0),
  queueVersion: int8('queue_version').notNull().default(0),
  generationAttempt: integer('generation_attempt').notNull().default(0),
  retryState: jsonb('retry_state').$type<JsonValue>(),
  retryStateVersion: int8('retry_state_version').notNull().default(0),
  requiresActionDeadlineAt: timestamptz('requires_action_deadline_at'),
  compactionRequestedAt: timestamptz('compaction_requested_at'),
});

/** Committed messages; `id` orders history (never order by time). */
export const chatMessages = pgTable('chat_messages', {
  id: int8('id').primaryKey().default(sql`nextval('chat_messages_id_seq')`),
  chatId: uuid('chat_id').notNull(),
  role: text('role').$type<ChatMessageRole>().notNull(),
  content: jsonb('content').$type<StoredChatMessageContent>().notNull(),
  visibility: text('visibility').$type<MessageVisibility>().notNull().default('both'),
  inputTokens: int8('input_tokens'),
  outputTokens: int8('output_tokens'),
  totalTokens: int8('total_tokens'),
  reasoningTokens: int8('reasoning_tokens'),
  cacheReadTokens: int8('cache_read_tokens'),
  cacheWriteTokens: int8('cache_write_tokens'),
  contextLimit: int8('context_limit'),
  costMicros: int8('cost_micros'),
  runtimeMs: int8('runtime_ms'),
  createdBy: text('created_by'),
  modelConfigId: text('model_config_id'),
  reasoningEffort: text('reasoning_effort'),
  compressed: boolean('compressed').notNull().default(false),
  deleted: boolean('deleted').notNull().default(false),
  // Assigned by a BEFORE trigger (the chat's snapshot_version); writing it raises.
  revision: int8('revision').notNull().default(sql`NULL`),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

/** User messages waiting for their turn; head = lowest `position`, then lowest `id`. */
export const chatQueuedMessages = pgTable('chat_queued_messages', {
  id: int8('id').primaryKey().default(sql`nextval('chat_queued_messages_id_seq')`),
  chatId: uuid('chat_id').notNull(),
  content: jsonb('content').$type<StoredChatMessageContent>().notNull(),
  position: int8('position').notNull().default(sql`nextval('chat_queued_messages_position_seq')`),
  createdBy: text('created_by').notNull(),
  modelConfigId: text('model_config_id'),
  reasoningEffort: text('reasoning_effort'),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

/** Ownership leases: one row per (chat, runner), refreshed by the owning worker. */
export const chatHeartbeats = pgTable('chat_heartbeats', {
  chatId: uuid('chat_id').notNull(),
  runnerId: text('runner_id').notNull(),
  workerId: text('worker_id'),
  heartbeatAt: timestamptz('heartbeat_at').notNull().defaultNow(),
});

export type { ChatHeartbeatRow, ChatMessageRow, ChatQueuedMessageRow, ChatRow } from './rows.js';

/** The store's drizzle schema: its four tables, keyed by their TypeScript names. */
export const storeSchema = { chats, chatMessages, chatQueuedMessages, chatHeartbeats };
