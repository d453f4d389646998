import type {
  ChatErrorInfo,
  ChatMessageRole,
  ChatStatus,
  JsonValue,
  StoredChatMessageContent,
} from '@chatd/core';
import type { DynamicToolDeclaration, MessageVisibility } from './tables.js';

/*
 * The rows as drizzle reads them, spelled out so each field is documented. rows.test.ts checks
 * they equal the tables' inferred select types.
 */

/** A chat row: execution state, ownership, version counters and metadata. */
export interface ChatRow {
  /** The chat id (a UUID the store generates). */
  id: string;
  /** The owner (opaque, app-defined). */
  ownerId: string;
  /** The title. */
  title: string;
  /** The parent chat of a sub-chat; `null` for a root. */
  parentChatId: string | null;
  /** The root of a sub-chat's family; `null` for a root. */
  rootChatId: string | null;
  /** Execution status. */
  status: ChatStatus;
  /** Whether the chat is archived. */
  archived: boolean;
  /** The owning worker, if any. */
  workerId: string | null;
  /** The owning worker's runner, if any. */
  runnerId: string | null;
  /** Why the last generation failed (status `error`). */
  lastError: ChatErrorInfo | null;
  /** The model config the chat last used. */
  lastModelConfigId: string | null;
  /** MCP servers the chat may use (opaque ids). */
  mcpServerIds: string[];
  /** App-defined labels. */
  labels: Record<string, string>;
  /** Client-executed tools the model may call. */
  dynamicTools: DynamicToolDeclaration[];
  /** When the chat was created. */
  createdAt: Date;
  /** When its execution state last changed. */
  updatedAt: Date;
  /** The last user message or queued message (or creation): orders the owner's chat list. */
  lastUserActivityAt: Date;
  /** +1 per state transition; starts at 1. */
  snapshotVersion: number;
  /** The snapshot at which messages last changed. */
  historyVersion: number;
  /** The snapshot at which the queue last changed. */
  queueVersion: number;
  /** Generation attempts since history last changed. */
  generationAttempt: number;
  /** The pending retry, if any (cleared by a new attempt). */
  retryState: JsonValue | null;
  /** The snapshot at which `retryState` last changed. */
  retryStateVersion: number;
  /** When requires-action times out. */
  requiresActionDeadlineAt: Date | null;
  /** When compaction was requested, until a step consumes it. */
  compactionRequestedAt: Date | null;
}

/** A committed message row. */
export interface ChatMessageRow {
  /** Message id; orders history. */
  id: number;
  /** The chat. */
  chatId: string;
  /** Who the message is from. */
  role: ChatMessageRole;
  /** The content, read tolerantly (may come from a newer version). */
  content: StoredChatMessageContent;
  /** Who sees it: the user's transcript, the model's prompt, or both. */
  visibility: MessageVisibility;
  /** Prompt tokens. */
  inputTokens: number | null;
  /** Generated tokens. */
  outputTokens: number | null;
  /** Input plus output tokens, as reported. */
  totalTokens: number | null;
  /** Reasoning tokens among the output. */
  reasoningTokens: number | null;
  /** Prompt tokens read from the provider's cache. */
  cacheReadTokens: number | null;
  /** Prompt tokens written to the provider's cache. */
  cacheWriteTokens: number | null;
  /** The model's context window. */
  contextLimit: number | null;
  /** Cost in millionths of the currency unit. */
  costMicros: number | null;
  /** Wall time of the model call(s). */
  runtimeMs: number | null;
  /** The user who wrote it. */
  createdBy: string | null;
  /** The model config that produced or answers it. */
  modelConfigId: string | null;
  /** Reasoning effort requested. */
  reasoningEffort: string | null;
  /** Whether it is a compaction summary. */
  compressed: boolean;
  /** Soft-deleted (edited away); kept so streams can see the rewrite. */
  deleted: boolean;
  /** The chat's snapshot version when the row was last written. */
  revision: number;
  /** When it was committed. */
  createdAt: Date;
}

/** A queued user message row. */
export interface ChatQueuedMessageRow {
  /** Queue entry id. */
  id: number;
  /** The chat. */
  chatId: string;
  /** What the user wrote. */
  content: StoredChatMessageContent;
  /** Queue order: the head has the lowest position (then the lowest id). */
  position: number;
  /** The user who queued it. */
  createdBy: string;
  /** The model config chosen for it. */
  modelConfigId: string | null;
  /** Reasoning effort chosen for it. */
  reasoningEffort: string | null;
  /** When it was queued. */
  createdAt: Date;
}

/** An ownership lease row. */
export interface ChatHeartbeatRow {
  /** The owned chat. */
  chatId: string;
  /** The owning runner. */
  runnerId: string;
  /** The owning worker. */
  workerId: string | null;
  /** The last refresh, by database time. */
  heartbeatAt: Date;
}
