import {
  type ChatMessage,
  type ChatMessageContent,
  type ChatMessageRole,
  type ChatMessageUsage,
  type QueuedChatMessage,
  readChatMessageContent,
} from '@chatd/core';
import type { ChatMessageRow, ChatQueuedMessageRow, MessageVisibility } from '../schema/tables.js';

/** A message to insert; `content` must already be validated (see `validateContent`). */
export interface NewChatMessage {
  /** The chat it belongs to. */
  chatId: string;
  /** Who the message is from. */
  role: ChatMessageRole;
  /** Validated content. */
  content: ChatMessageContent;
  /**
   * Who sees it.
   * @default 'both'
   */
  visibility?: MessageVisibility;
  /** Token usage (assistant messages). */
  usage?: ChatMessageUsage;
  /** Cost in millionths of the currency unit. */
  costMicros?: number;
  /** Wall time the model call(s) took. */
  runtimeMs?: number;
  /** The user who wrote it. */
  createdBy?: string;
  /** The model configuration that produced or will answer it. */
  modelConfigId?: string;
  /** Reasoning effort requested for it. */
  reasoningEffort?: string;
  /**
   * Whether it is a compaction summary standing in for older history.
   * @default false
   */
  compressed?: boolean;
}

/** The row values for {@link NewChatMessage} (revision and id come from the database). */
export function toMessageValues(message: NewChatMessage) {
  const usage = message.usage ?? {};
  return {
    chatId: message.chatId,
    role: message.role,
    content: message.content,
    visibility: message.visibility ?? 'both',
    inputTokens: usage.inputTokens ?? null,
    outputTokens: usage.outputTokens ?? null,
    totalTokens: usage.totalTokens ?? null,
    reasoningTokens: usage.reasoningTokens ?? null,
    cacheReadTokens: usage.cacheReadTokens ?? null,
    cacheWriteTokens: usage.cacheCreationTokens ?? null,
    contextLimit: usage.contextLimit ?? null,
    costMicros: message.costMicros ?? null,
    runtimeMs: message.runtimeMs ?? null,
    createdBy: message.createdBy ?? null,
    modelConfigId: message.modelConfigId ?? null,
    reasoningEffort: message.reasoningEffort ?? null,
    compressed: message.compressed ?? false,
  };
}

/** Reads a row's content with core's tolerant reader (newer versions' parts are kept). */
export function readMessageRow<Row extends { content: unknown }>(row: Row): Row {
  return { ...row, content: readChatMessageContent(row.content) };
}

function usageOf(row: ChatMessageRow): ChatMessageUsage | undefined {
  const usage: ChatMessageUsage = {};
  if (row.inputTokens !== null) usage.inputTokens = row.inputTokens;
  if (row.outputTokens !== null) usage.outputTokens = row.outputTokens;
  if (row.totalTokens !== null) usage.totalTokens = row.totalTokens;
  if (row.reasoningTokens !== null) usage.reasoningTokens = row.reasoningTokens;
  if (row.cacheWriteTokens !== null) usage.cacheCreationTokens = row.cacheWriteTokens;
  if (row.cacheReadTokens !== null) usage.cacheReadTokens = row.cacheReadTokens;
  if (row.contextLimit !== null) usage.contextLimit = row.contextLimit;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** The protocol's `ChatMessage` (from `@chatd/core`) for a stored row (what streams and the API send). */
export function toChatMessage(row: ChatMessageRow): ChatMessage {
  const usage = usageOf(row);
  return {
    id: row.id,
    chatId: row.chatId,
    role: row.role,
    content: readChatMessageContent(row.content),
    createdAt: row.createdAt.toISOString(),
    revision: row.revision,
    ...(row.createdBy === null ? {} : { createdBy: row.createdBy }),
    ...(row.modelConfigId === null ? {} : { modelConfigId: row.modelConfigId }),
    ...(usage === undefined ? {} : { usage }),
  };
}

/** The protocol's `QueuedChatMessage` (from `@chatd/core`) for a stored queue row. */
export function toQueuedChatMessage(row: ChatQueuedMessageRow): QueuedChatMessage {
  return {
    id: row.id,
    chatId: row.chatId,
    content: readChatMessageContent(row.content),
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    ...(row.modelConfigId === null ? {} : { modelConfigId: row.modelConfigId }),
  };
}
