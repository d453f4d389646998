import { randomUUID } from 'node:crypto';
import type { ChatMessageRole, ChatStatus } from '@chatd/core';
import type { DbExecutor } from '../db/types.js';
import {
  type ChatMessageRow,
  chatMessages,
  chats,
  type MessageVisibility,
} from '../schema/tables.js';

/** Content with one text part. */
export function textContent(text: string) {
  return { version: 1 as const, parts: [{ type: 'text' as const, text }] };
}

/** Options of {@link seedChat}. */
export interface SeedChatOptions {
  ownerId?: string;
  status?: ChatStatus;
  archived?: boolean;
  parentChatId?: string;
  rootChatId?: string;
  workerId?: string;
  runnerId?: string;
}

/**
 * Inserts a chat row directly (bypassing the state machine) for query tests. Returns its id.
 */
export async function seedChat(db: DbExecutor, options: SeedChatOptions = {}): Promise<string> {
  const id = randomUUID();
  await db.insert(chats).values({
    id,
    ownerId: options.ownerId ?? 'owner-1',
    status: options.status ?? 'waiting',
    archived: options.archived ?? false,
    parentChatId: options.parentChatId ?? null,
    rootChatId: options.rootChatId ?? options.parentChatId ?? null,
    workerId: options.workerId ?? null,
    runnerId: options.runnerId ?? null,
  });
  return id;
}

/** Inserts one message directly; returns the row. */
export async function seedMessage(
  db: DbExecutor,
  chatId: string,
  options: { role?: ChatMessageRole; text?: string; visibility?: MessageVisibility } = {},
): Promise<ChatMessageRow> {
  const [row] = await db
    .insert(chatMessages)
    .values({
      chatId,
      role: options.role ?? 'user',
      content: textContent(options.text ?? 'hello'),
      visibility: options.visibility ?? 'both',
    })
    .returning();
  if (row === undefined) throw new Error('insert returned nothing');
  return row;
}
