import type { ChatErrorInfo, ChatStatus, JsonValue } from '@chatd/core';
import { inArray } from 'drizzle-orm';
import type { DbExecutor } from '../db/types.js';
import { chats } from '../schema/tables.js';
import { isUuid } from './validate.js';

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

const runnerColumns = {
  chatId: chats.id,
  status: chats.status,
  archived: chats.archived,
  workerId: chats.workerId,
  runnerId: chats.runnerId,
  snapshotVersion: chats.snapshotVersion,
  historyVersion: chats.historyVersion,
  queueVersion: chats.queueVersion,
  generationAttempt: chats.generationAttempt,
  retryStateVersion: chats.retryStateVersion,
};

function validIds(chatIds: readonly string[]): string[] {
  // Ids that are not UUIDs cannot exist: leave them out like deleted chats.
  return [...new Set(chatIds)].filter(isUuid);
}

/**
 * Sync rows of the given chats; chats that no longer exist are absent from the result (a
 * runner stops those). One query however many ids.
 */
export async function getRunnerSyncRows(
  executor: DbExecutor,
  chatIds: readonly string[],
): Promise<RunnerSyncRow[]> {
  const ids = validIds(chatIds);
  if (ids.length === 0) return [];
  return executor.select(runnerColumns).from(chats).where(inArray(chats.id, ids));
}

/** Stream sync rows of the given chats; deleted chats are absent. */
export async function getStreamSyncRows(
  executor: DbExecutor,
  chatIds: readonly string[],
): Promise<StreamSyncRow[]> {
  const ids = validIds(chatIds);
  if (ids.length === 0) return [];
  return executor
    .select({
      ...runnerColumns,
      retryState: chats.retryState,
      lastError: chats.lastError,
      requiresActionDeadlineAt: chats.requiresActionDeadlineAt,
    })
    .from(chats)
    .where(inArray(chats.id, ids));
}
