/*
 * Raw-SQL seeding for the query tests (not part of the package's API): rows go straight into
 * the tables through `database.query`, bypassing the state machine, so a test can build a
 * state (an owned chat, a model-only message) without driving transitions to it.
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessageContent, ChatMessageRole, ChatStatus } from '@chatd/core';
import type { ChatMessageRow } from '../schema/rows.js';
import type { TestDatabase } from './databases.js';

/** Content with one text part. */
export function textContent(text: string): ChatMessageContent {
  return { version: 1, parts: [{ type: 'text', text }] };
}

/** Options of {@link seedChat}. */
export interface SeedChatOptions {
  /** @default 'owner-1' */
  ownerId?: string;
  /** @default 'waiting' */
  status?: ChatStatus;
  /** @default false */
  archived?: boolean;
  /** Makes it a sub-chat; its root defaults to the parent. */
  parentChatId?: string;
  rootChatId?: string;
  workerId?: string;
  runnerId?: string;
}

/** Inserts a chat row directly (bypassing the state machine). Returns its id. */
export async function seedChat(
  database: TestDatabase,
  options: SeedChatOptions = {},
): Promise<string> {
  const id = randomUUID();
  await database.query(
    `INSERT INTO chats (id, owner_id, status, archived, parent_chat_id, root_chat_id, worker_id,
       runner_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      id,
      options.ownerId ?? 'owner-1',
      options.status ?? 'waiting',
      options.archived ?? false,
      options.parentChatId ?? null,
      options.rootChatId ?? options.parentChatId ?? null,
      options.workerId ?? null,
      options.runnerId ?? null,
    ],
  );
  return id;
}

/** Options of {@link seedMessage}. */
export interface SeedMessageOptions {
  /** @default 'user' */
  role?: ChatMessageRole;
  /** The text of its one text part. @default 'hello' */
  text?: string;
  /** @default 'both' */
  visibility?: ChatMessageRow['visibility'];
}

/** A seeded message: its id and the revision the database stamped on it. */
export interface SeededMessage {
  id: number;
  revision: number;
}

/** Inserts one message directly (its revision is the chat's current snapshot version). */
export async function seedMessage(
  database: TestDatabase,
  chatId: string,
  options: SeedMessageOptions = {},
): Promise<SeededMessage> {
  const [row] = await database.query<{ id: string | number; revision: string | number }>(
    `INSERT INTO chat_messages (chat_id, role, content, visibility)
     VALUES ($1, $2, $3::jsonb, $4) RETURNING id, revision`,
    [
      chatId,
      options.role ?? 'user',
      JSON.stringify(textContent(options.text ?? 'hello')),
      options.visibility ?? 'both',
    ],
  );
  if (row === undefined) throw new Error('insert returned nothing');
  return { id: Number(row.id), revision: Number(row.revision) };
}
