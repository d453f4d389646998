import type { Chat, ChatMessagePart } from '@chatd/core';
import type { ChatRow } from '@chatd/message-store';

/** Message content as callers write it: plain text (one text part) or parts. */
export type MessageContentInput = string | ChatMessagePart[];

/** Turns {@link MessageContentInput} into stored message content. */
export function toContent(content: MessageContentInput) {
  const parts: ChatMessagePart[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  return { version: 1 as const, parts };
}

/** The API's view of a stored chat. */
export function toChat(row: ChatRow): Chat {
  return {
    id: row.id,
    ownerId: row.ownerId,
    title: row.title,
    status: row.status,
    archived: row.archived,
    parentChatId: row.parentChatId,
    rootChatId: row.rootChatId ?? row.id,
    modelConfigId: row.lastModelConfigId,
    mcpServerIds: [...row.mcpServerIds],
    labels: { ...row.labels },
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastUserActivityAt: row.lastUserActivityAt.toISOString(),
  };
}
