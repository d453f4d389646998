import type { ChatErrorInfo, ChatStatus, JsonValue } from '@chatd/core';
import type { Queryable } from '../db/database.js';
import { CHAT_SELECT, readChatRow } from '../schema/rows.js';
import { isUuid } from '../validation/inputs.js';

/** What a runner re-checks about the chats it runs (ownership and versions). */
export interface RunnerSyncRow {
  /** The chat. */
  chatId: string;
  /** Its status. */
  status: ChatStatus;
  /** Whether it is archived. */
  archived: boolean;
  /** Owning worker, if any. */
  workerId: string | null;
  /** Owning runner, if any. */
  runnerId: string | null;
  /** Snapshot version (+1 per state transition). */
  snapshotVersion: number;
  /** History version. */
  historyVersion: number;
  /** Queue version. */
  queueVersion: number;
  /** Generation attempt. */
  generationAttempt: number;
  /** Retry-state version. */
  retryStateVersion: number;
}

/** What a stream re-reads to catch up after missing notifications. */
export interface StreamSyncRow extends RunnerSyncRow {
  /** The current retry state, if a retry is pending. */
  retryState: JsonValue | null;
  /** The last error (status `error`). */
  lastError: ChatErrorInfo | null;
  /** When the requires-action deadline expires. */
  requiresActionDeadlineAt: Date | null;
}

/**
 * Sync rows of the given chats in one query; chats that do not exist (deleted, or ids that
 * are not UUIDs) are absent from the result.
 */
export async function getStreamSyncRows(
  db: Queryable,
  chatIds: readonly string[],
): Promise<StreamSyncRow[]> {
  const ids = [...new Set(chatIds)].filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await db.query(`SELECT ${CHAT_SELECT} FROM chats c WHERE c.id = ANY($1::uuid[])`, [
    ids,
  ]);
  return rows.map((raw) => {
    const row = readChatRow(raw);
    return {
      chatId: row.id,
      status: row.status,
      archived: row.archived,
      workerId: row.workerId,
      runnerId: row.runnerId,
      snapshotVersion: row.snapshotVersion,
      historyVersion: row.historyVersion,
      queueVersion: row.queueVersion,
      generationAttempt: row.generationAttempt,
      retryStateVersion: row.retryStateVersion,
      retryState: row.retryState,
      lastError: row.lastError,
      requiresActionDeadlineAt: row.requiresActionDeadlineAt,
    };
  });
}

/** Runner sync rows: the stream rows without the stream-only fields. */
export async function getRunnerSyncRows(
  db: Queryable,
  chatIds: readonly string[],
): Promise<RunnerSyncRow[]> {
  return (await getStreamSyncRows(db, chatIds)).map(
    ({ retryState: _r, lastError: _l, requiresActionDeadlineAt: _d, ...row }) => row,
  );
}
