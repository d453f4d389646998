import type { ChatMessage, ChatMessageUsage, QueuedChatMessage } from '@chatd/core';
import type { ChatMessageRow, ChatQueuedMessageRow } from '../schema/rows.js';

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
    content: row.content,
    createdAt: row.createdAt.toISOString(),
    revision: row.revision,
    ...(row.createdBy === null ? {} : { createdBy: row.createdBy }),
    ...(row.modelConfigId === null ? {} : { modelConfigId: row.modelConfigId }),
    ...(usage === undefined ? {} : { usage }),
    ...(row.costMicros === null ? {} : { costMicros: row.costMicros }),
    ...(row.runtimeMs === null ? {} : { runtimeMs: row.runtimeMs }),
  };
}

/** The protocol's `QueuedChatMessage` (from `@chatd/core`) for a stored queue row. */
export function toQueuedChatMessage(row: ChatQueuedMessageRow): QueuedChatMessage {
  return {
    id: row.id,
    chatId: row.chatId,
    content: row.content,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    ...(row.modelConfigId === null ? {} : { modelConfigId: row.modelConfigId }),
  };
}
