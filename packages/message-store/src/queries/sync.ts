import type { ChatErrorInfo, JsonValue } from '@chatd/core';
import type { Queryable } from '../db/database.js';
import { CHAT_STATE_SELECT, type ChatStateRow, readChatStateRow } from '../schema/rows.js';
import type { ChatUpdatePayload } from '../state/payloads.js';
import { isUuid } from '../validation/inputs.js';

/** What a stream re-reads to catch up after missing notifications. */
export interface StreamSyncRow extends ChatUpdatePayload {
  /** The current retry state, if a retry is pending. */
  retryState: JsonValue | null;
  /** The last error (status `error`). */
  lastError: ChatErrorInfo | null;
  /** When the requires-action deadline expires. */
  requiresActionDeadlineAt: Date | null;
}

/** A chat's versions, status and ownership: what `chat:update` carries and runners re-check. */
export function toChatUpdate(row: ChatStateRow): ChatUpdatePayload {
  return {
    chatId: row.id,
    snapshotVersion: row.snapshotVersion,
    workerId: row.workerId,
    runnerId: row.runnerId,
    historyVersion: row.historyVersion,
    queueVersion: row.queueVersion,
    retryStateVersion: row.retryStateVersion,
    generationAttempt: row.generationAttempt,
    status: row.status,
    archived: row.archived,
  };
}

async function readChats(db: Queryable, chatIds: readonly string[]): Promise<ChatStateRow[]> {
  // Ids that are not UUIDs cannot exist: absent, like deleted chats.
  const ids = [...new Set(chatIds)].filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await db.query(
    `SELECT ${CHAT_STATE_SELECT} FROM chats c WHERE c.id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map(readChatStateRow);
}

/** What runners re-check of the given chats, in one query; deleted chats are absent. */
export async function getRunnerSyncRows(db: Queryable, chatIds: readonly string[]) {
  return (await readChats(db, chatIds)).map(toChatUpdate);
}

/** What streams re-read of the given chats, in one query; deleted chats are absent. */
export async function getStreamSyncRows(
  db: Queryable,
  chatIds: readonly string[],
): Promise<StreamSyncRow[]> {
  return (await readChats(db, chatIds)).map((row) => ({
    ...toChatUpdate(row),
    retryState: row.retryState,
    lastError: row.lastError,
    requiresActionDeadlineAt: row.requiresActionDeadlineAt,
  }));
}
