import type { Transaction } from '../db/database.js';
import { ChatNotFoundError } from '../errors/store-errors.js';
import {
  type ChatRecord,
  type ExecutionWrite,
  readChat,
  writeExecution,
} from '../queries/chat-state.js';
import { insertMessages } from '../queries/messages.js';
import type { NewMessage } from '../validation/inputs.js';
import { classifyExecutionState, type ExecutionState } from './classify.js';

/** The chat as a transition or lock reads it: row, queue length, owner's lease and state. */
export interface ChatStateSnapshot extends ChatRecord {
  /** The classified execution state. */
  state: ExecutionState;
}

/** Adds the execution state to a record. */
export function toSnapshot(record: ChatRecord): ChatStateSnapshot {
  const { row, queuedCount } = record;
  const state = classifyExecutionState({ status: row.status, archived: row.archived, queuedCount });
  return { ...record, state };
}

const key = (chatId: string) => `chat:${chatId}`;

/** Keeps what a chat statement just returned, for reads until the next statement. */
export function rememberChat(tx: Transaction, record: ChatRecord): ChatStateSnapshot {
  const snapshot = toSnapshot(record);
  tx.remember(key(record.row.id), snapshot);
  return snapshot;
}

/**
 * Remembers `record` in place of `was` while `was` is still what the transaction remembers of
 * the chat (no statement has run since).
 */
export function replaceRemembered(
  tx: Transaction,
  was: ChatStateSnapshot,
  record: ChatRecord,
): void {
  if (tx.recall(key(was.row.id)) === was) rememberChat(tx, record);
}

/**
 * The chat as the transaction sees it now: what the last statement returned when that was a
 * statement about this chat, otherwise read again.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND`
 */
export async function currentChat(tx: Transaction, chatId: string): Promise<ChatStateSnapshot> {
  const remembered = tx.recall<ChatStateSnapshot>(key(chatId));
  if (remembered !== undefined) return remembered;
  const record = await readChat(tx, chatId);
  if (record === undefined) throw new ChatNotFoundError(chatId);
  return rememberChat(tx, record);
}

/** Inserts messages in order (see `insertMessages`); returns their ids, ascending. */
export async function appendMessages(
  tx: Transaction,
  chatId: string,
  messages: readonly NewMessage[],
): Promise<number[]> {
  if (messages.length === 0) return [];
  const { messageIds, chat } = await insertMessages(tx, chatId, messages);
  rememberChat(tx, chat);
  return messageIds;
}

/**
 * The execution state a transition writes: the values `chat` had when it started, overlaid with
 * `changes`. The compaction marker is cleared unless `changes` sets it or `carryCompaction`
 * keeps it: a marker that outlived the turn it was meant for would compact a conversation
 * nobody asked to compact.
 */
export function executionAfter(
  { row }: ChatStateSnapshot,
  changes: Partial<ExecutionWrite>,
  { carryCompaction = false } = {},
): ExecutionWrite {
  return {
    status: row.status,
    archived: row.archived,
    workerId: row.workerId,
    runnerId: row.runnerId,
    lastError: row.lastError,
    requiresActionDeadlineAt: row.requiresActionDeadlineAt,
    compactionRequestedAt: carryCompaction ? row.compactionRequestedAt : null,
    ...changes,
  };
}

/** The options of a {@link setExecution} that keeps the compaction marker. */
export const carry = { carryCompaction: true };

/** Writes {@link executionAfter} `changes`. */
export async function setExecution(
  tx: Transaction,
  chat: ChatStateSnapshot,
  changes: Partial<ExecutionWrite>,
  options: { carryCompaction?: boolean } = {},
): Promise<void> {
  rememberChat(tx, await writeExecution(tx, chat.row.id, executionAfter(chat, changes, options)));
}
