import type { ChatErrorInfo, ChatMessagePart, ChatStatus } from '@chatd/core';
import type { ChatRow } from '@chatd/message-store';

/** Message content as callers write it: plain text (one text part) or parts. */
export type MessageContentInput = string | ChatMessagePart[];

/** Turns {@link MessageContentInput} into stored message content. */
export function toContent(content: MessageContentInput) {
  const parts: ChatMessagePart[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  return { version: 1 as const, parts };
}

/** A chat as chatd's API returns it: plain data, dates as ISO strings. */
export interface Chat {
  /** The chat id. */
  id: string;
  /** The owner (opaque, app-defined). */
  ownerId: string;
  /** The title. */
  title: string;
  /** Execution status. */
  status: ChatStatus;
  /** Whether the chat (with its family) is archived. */
  archived: boolean;
  /** The parent of a sub-chat. */
  parentChatId: string | null;
  /** The root of a sub-chat's family; the chat's own id for a root. */
  rootChatId: string;
  /** The model configuration the chat last used. */
  modelConfigId: string | null;
  /** MCP servers (or other tool sources) the chat may use. */
  mcpServerIds: string[];
  /** App-defined labels. */
  labels: Record<string, string>;
  /** Why the last turn failed (status `error`). */
  lastError: ChatErrorInfo | null;
  /** When the chat was created. */
  createdAt: string;
  /** When its execution state last changed. */
  updatedAt: string;
  /** The last user activity; orders the owner's chat list. */
  lastUserActivityAt: string;
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
