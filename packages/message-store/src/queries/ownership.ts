import { InvalidArgumentError } from '@chatd/core';
import { sql } from 'drizzle-orm';
import { toSafeInteger } from '../db/safe-integer.js';
import { type DbExecutor, queryRows } from '../db/types.js';
import type { ResolvedLease } from '../store/store-options.js';
import { integerInRange, isUuid, nonEmptyString } from './validate.js';

/** A chat a worker may try to acquire. */
export interface AcquisitionCandidate {
  /** The chat. */
  chatId: string;
  /** Its snapshot version when read; the acquiring `update` re-checks under the row lock. */
  snapshotVersion: number;
  /** The previous owner, if any (its lease is stale). */
  workerId: string | null;
  /** The previous owner's runner, if any. */
  runnerId: string | null;
}

/** The statuses a worker runs; the others wait for a user. */
export const RUNNABLE_STATUSES = ['running', 'interrupting', 'requires-action'] as const;

/**
 * Runnable, unarchived chats without a live owner (no owner, or no heartbeat of the owning
 * runner newer than `lease.staleAfterMs` by database time), oldest update first.
 *
 * `FOR UPDATE SKIP LOCKED`: chats another transaction is changing right now are skipped
 * rather than waited for. Run inside a transaction to keep the candidates locked until it
 * ends; outside one the locks last only for the statement, and the acquiring `update`
 * re-checks ownership under its own row lock either way.
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..1000.
 */
export async function getAcquisitionCandidates(
  executor: DbExecutor,
  lease: ResolvedLease,
  limit: number,
): Promise<AcquisitionCandidate[]> {
  integerInRange(limit, 'limit', 1, 1000);
  const rows = await queryRows<{
    id: string;
    snapshot_version: unknown;
    worker_id: string | null;
    runner_id: string | null;
  }>(
    executor,
    sql`SELECT c.id, c.snapshot_version, c.worker_id, c.runner_id
        FROM chats c
        WHERE c.status IN ('running', 'interrupting', 'requires-action')
          AND NOT c.archived
          AND (c.worker_id IS NULL OR c.runner_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM chat_heartbeats h
            WHERE h.chat_id = c.id AND h.runner_id = c.runner_id
              AND h.heartbeat_at > now() - ${lease.staleAfterMs}::bigint * interval '1 millisecond'))
        ORDER BY c.updated_at, c.id
        LIMIT ${limit}
        FOR UPDATE OF c SKIP LOCKED`,
  );
  return rows.map((row) => ({
    chatId: row.id,
    snapshotVersion: toSafeInteger(row.snapshot_version),
    workerId: row.worker_id,
    runnerId: row.runner_id,
  }));
}

/** One ownership lease to refresh. */
export interface HeartbeatEntry {
  /** The owned chat. */
  chatId: string;
  /** The runner that owns it. */
  runnerId: string;
}

function checkEntries(entries: readonly HeartbeatEntry[]): void {
  if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'expected an array');
  entries.forEach((entry, index) => {
    if (!isUuid(entry?.chatId)) {
      throw new InvalidArgumentError(`entries.${index}.chatId`, 'expected a chat id (UUID)');
    }
    nonEmptyString(entry.runnerId, `entries.${index}.runnerId`);
  });
}

/**
 * Refreshes many leases in one statement (`unnest` of two arrays) to the database's `now()`.
 * Entries of chats deleted meanwhile are skipped. Returns how many rows were written.
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry or worker id.
 */
export async function upsertHeartbeats(
  executor: DbExecutor,
  workerId: string,
  entries: readonly HeartbeatEntry[],
): Promise<number> {
  nonEmptyString(workerId, 'workerId');
  checkEntries(entries);
  if (entries.length === 0) return 0;
  const rows = await queryRows(
    executor,
    sql`INSERT INTO chat_heartbeats (chat_id, runner_id, worker_id, heartbeat_at)
        SELECT t.chat_id, t.runner_id, ${workerId}, now()
        FROM unnest(${sql.param(entries.map((entry) => entry.chatId))}::uuid[],
                    ${sql.param(entries.map((entry) => entry.runnerId))}::text[])
          AS t(chat_id, runner_id)
        WHERE EXISTS (SELECT 1 FROM chats c WHERE c.id = t.chat_id)
        ON CONFLICT (chat_id, runner_id)
          DO UPDATE SET heartbeat_at = excluded.heartbeat_at, worker_id = excluded.worker_id
        RETURNING 1 AS written`,
  );
  return rows.length;
}

/**
 * Removes the given leases (a worker letting go of its chats on shutdown). Returns how many
 * rows were deleted.
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry.
 */
export async function deleteHeartbeats(
  executor: DbExecutor,
  entries: readonly HeartbeatEntry[],
): Promise<number> {
  checkEntries(entries);
  if (entries.length === 0) return 0;
  const rows = await queryRows(
    executor,
    sql`DELETE FROM chat_heartbeats h
        USING unnest(${sql.param(entries.map((entry) => entry.chatId))}::uuid[],
                     ${sql.param(entries.map((entry) => entry.runnerId))}::text[])
          AS t(chat_id, runner_id)
        WHERE h.chat_id = t.chat_id AND h.runner_id = t.runner_id
        RETURNING 1 AS deleted`,
  );
  return rows.length;
}

/**
 * Deletes leases older than `lease.staleAfterMs` by database time (they prove nothing any
 * more). Returns how many rows were deleted.
 */
export async function deleteStaleHeartbeats(
  executor: DbExecutor,
  lease: ResolvedLease,
): Promise<number> {
  const rows = await queryRows(
    executor,
    sql`DELETE FROM chat_heartbeats
        WHERE heartbeat_at <= now() - ${lease.staleAfterMs}::bigint * interval '1 millisecond'
        RETURNING 1 AS deleted`,
  );
  return rows.length;
}
