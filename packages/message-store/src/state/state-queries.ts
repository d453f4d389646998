import type {
  ChatErrorInfo,
  ChatMessageContent,
  ChatMessageRole,
  ChatStatus,
  JsonValue,
} from '@chatd/core';
import type { NewChatMessage } from '../queries/message-rows.js';
import type { ChatRow, MessageVisibility } from '../schema/tables.js';
import type { ToolCallHistoryMessage } from './tool-calls.js';

/** The execution-state columns of a chat row, as the state machine reads them. */
export interface ChatStateRow
  extends Pick<
    ChatRow,
    | 'id'
    | 'ownerId'
    | 'parentChatId'
    | 'status'
    | 'archived'
    | 'workerId'
    | 'runnerId'
    | 'lastError'
    | 'lastModelConfigId'
    | 'snapshotVersion'
    | 'historyVersion'
    | 'queueVersion'
    | 'generationAttempt'
    | 'retryState'
    | 'retryStateVersion'
    | 'requiresActionDeadlineAt'
    | 'compactionRequestedAt'
  > {
  /** Names of the chat's declared client-executed (dynamic) tools. */
  dynamicToolNames: string[];
}

/** The execution state columns every state-setting transition writes. */
export interface ExecutionWrite {
  /** New status. */
  status: ChatStatus;
  /** New archived flag. */
  archived: boolean;
  /** New owning worker. */
  workerId: string | null;
  /** New owning runner. */
  runnerId: string | null;
  /** New last error. */
  lastError: ChatErrorInfo | null;
  /** New requires-action deadline. */
  requiresActionDeadlineAt: Date | null;
  /** New compaction marker. */
  compactionRequestedAt: Date | null;
}

/**
 * A message a transition inserts: the database layer's `NewChatMessage` without `chatId` (the
 * transition's chat). Content is validated strictly and size-checked on insert.
 */
export type StateMessageInsert = Omit<NewChatMessage, 'chatId'>;

/** The ids of the messages a transition inserted, in history order. */
export interface InsertedMessages {
  /** Message ids, ascending. */
  messageIds: number[];
}

/** A message looked up by id for `editMessage`. */
export interface StateMessageRow {
  /** The message id. */
  id: number;
  /** The chat it belongs to. */
  chatId: string;
  /** Its role. */
  role: ChatMessageRole;
  /** Whether it is soft-deleted. */
  deleted: boolean;
  /** Its visibility. */
  visibility: MessageVisibility;
  /** Its model config, if any. */
  modelConfigId: string | null;
  /** Its reasoning effort, if any. */
  reasoningEffort: string | null;
}

/** A queued message as the state machine reads it. */
export interface StateQueuedRow {
  /** Queue entry id. */
  id: number;
  /** The content. */
  content: ChatMessageContent;
  /** Who queued it. */
  createdBy: string;
  /** The model config chosen for it. */
  modelConfigId: string | null;
  /** The reasoning effort chosen for it. */
  reasoningEffort: string | null;
}

/** A user message to queue. */
export interface StateQueuedInsert {
  /** The content. */
  content: ChatMessageContent;
  /** Who queued it. */
  createdBy: string;
  /** The model config chosen for it. */
  modelConfigId?: string;
  /** The reasoning effort chosen for it. */
  reasoningEffort?: string;
}

/**
 * Every query the state machine runs, bound to one open transaction. Implemented over the
 * store's transaction handle by `sql-state-queries.ts`; kept as an interface so the transition
 * code reads as the spec does, without SQL in the way.
 */
export interface StateQueries {
  /** The database's current time (transaction start). */
  now(): Promise<Date>;
  /** `UPDATE … SET snapshot_version = snapshot_version + 1 … RETURNING`: locks and bumps. */
  lockAndBump(chatId: string): Promise<ChatStateRow | undefined>;
  /** `SELECT … FOR UPDATE` / `FOR SHARE`, no bump. */
  lockRow(chatId: string, mode: 'update' | 'share'): Promise<ChatStateRow | undefined>;
  /** The row (already locked by the caller) and its queue length. */
  read(chatId: string): Promise<{ row: ChatStateRow; queuedCount: number } | undefined>;
  /** Writes the execution state columns and `updated_at = now()`. */
  writeExecution(chatId: string, write: ExecutionWrite): Promise<void>;
  /** Inserts messages in order; returns their ids. */
  insertMessages(chatId: string, messages: readonly StateMessageInsert[]): Promise<number[]>;
  /** The non-deleted messages from the last assistant message on, in id order. */
  historyTail(chatId: string): Promise<ToolCallHistoryMessage[]>;
  /** A message by id (deleted ones included), or `undefined`. */
  getMessage(messageId: number): Promise<StateMessageRow | undefined>;
  /** Soft-deletes the chat's non-deleted messages with `id >= fromId`; returns their ids. */
  softDeleteFrom(chatId: string, fromId: number): Promise<number[]>;
  /** Queue length. */
  queueCount(chatId: string): Promise<number>;
  /** Appends to the queue; returns the entry id. */
  enqueue(chatId: string, message: StateQueuedInsert): Promise<number>;
  /** The queue head: lowest position, then lowest id. */
  queueHead(chatId: string): Promise<StateQueuedRow | undefined>;
  /** A queue entry of this chat by id. */
  getQueued(chatId: string, queuedId: number): Promise<StateQueuedRow | undefined>;
  /** Deletes one queue entry. */
  deleteQueued(chatId: string, queuedId: number): Promise<void>;
  /** Deletes the whole queue; returns the deleted ids. */
  clearQueue(chatId: string): Promise<number[]>;
  /** Moves an entry to the head (position = min − 1) unless it already is the head. */
  moveToHead(chatId: string, queuedId: number): Promise<void>;
  /** Upserts the (chat, runner) heartbeat, owned by `workerId`, at DB now. */
  upsertHeartbeat(chatId: string, runnerId: string, workerId: string): Promise<void>;
  /** Whether no (chat, runner) heartbeat is newer than DB now minus `staleAfterMs`. */
  isHeartbeatStale(chatId: string, runnerId: string, staleAfterMs: number): Promise<boolean>;
  /** `generation_attempt + 1`; returns the new value. */
  incrementGenerationAttempt(chatId: string): Promise<number>;
  /** Writes `retry_state`. */
  setRetryState(chatId: string, retryState: JsonValue): Promise<void>;
  /** The family of a root: root first, then descendants by created_at, id. */
  familyIds(rootId: string): Promise<string[]>;
}
