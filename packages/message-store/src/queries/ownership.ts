import { namedStatement, type Queryable } from '../db/database.js';
import { toSafeInteger } from '../db/safe-integer.js';
import type { HeartbeatEntry } from '../validation/inputs.js';

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

/**
 * Runnable, unarchived chats without a live owner (no owner, or no heartbeat of the owning
 * runner newer than `staleAfterMs` by database time), oldest update first.
 *
 * `FOR NO KEY UPDATE SKIP LOCKED`: rows another worker's poll or a transition holds are skipped
 * rather than waited for, so workers polling at the same time get disjoint sets instead of
 * queueing behind each other. The weaker of the two update locks on purpose: it does not
 * conflict with the `FOR KEY SHARE` lock a foreign-key check takes, so a row that an app's own
 * table is referencing at that moment (say, right after the chat was created) is still offered;
 * with `FOR UPDATE` that chat would wait for the next poll. Outside a transaction the locks last
 * only for the statement; the acquiring `update` re-checks ownership under its own row lock
 * either way.
 */
export async function getAcquisitionCandidates(
  db: Queryable,
  staleAfterMs: number,
  limit: number,
): Promise<AcquisitionCandidate[]> {
  const rows = await db.query<{
    id: string;
    snapshot_version: unknown;
    worker_id: string | null;
    runner_id: string | null;
  }>(
    `SELECT c.id, c.snapshot_version, c.worker_id, c.runner_id
     FROM chats c
     WHERE c.status IN ('running', 'interrupting', 'requires-action')
       AND NOT c.archived
       AND (c.worker_id IS NULL OR c.runner_id IS NULL OR NOT EXISTS (
         SELECT 1 FROM chat_heartbeats h
         WHERE h.chat_id = c.id AND h.runner_id = c.runner_id
           AND h.heartbeat_at > now() - $1::bigint * interval '1 millisecond'))
     ORDER BY c.updated_at, c.id
     LIMIT $2
     FOR NO KEY UPDATE OF c SKIP LOCKED`,
    [staleAfterMs, limit],
  );
  return rows.map((row) => ({
    chatId: row.id,
    snapshotVersion: toSafeInteger(row.snapshot_version),
    workerId: row.worker_id,
    runnerId: row.runner_id,
  }));
}

const UPSERT_HEARTBEATS = namedStatement(
  'upsert_heartbeats',
  `INSERT INTO chat_heartbeats (chat_id, runner_id, worker_id, heartbeat_at)
     SELECT t.chat_id, t.runner_id, $1, now()
     FROM unnest($2::uuid[], $3::text[]) AS t(chat_id, runner_id)
     WHERE EXISTS (SELECT 1 FROM chats c WHERE c.id = t.chat_id)
     ON CONFLICT (chat_id, runner_id)
       DO UPDATE SET heartbeat_at = excluded.heartbeat_at, worker_id = excluded.worker_id
     RETURNING 1`,
);

/**
 * Refreshes leases in one statement to the database's `now()`. Entries of chats deleted
 * meanwhile are skipped. Returns how many rows were written.
 */
export async function upsertHeartbeats(
  db: Queryable,
  workerId: string,
  entries: readonly HeartbeatEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await db.query(UPSERT_HEARTBEATS, [
    workerId,
    entries.map((entry) => entry.chatId),
    entries.map((entry) => entry.runnerId),
  ]);
  return rows.length;
}

/** Removes the given leases; returns how many rows were deleted. */
export async function deleteHeartbeats(
  db: Queryable,
  entries: readonly HeartbeatEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await db.query(
    `DELETE FROM chat_heartbeats h
     USING unnest($1::uuid[], $2::text[]) AS t(chat_id, runner_id)
     WHERE h.chat_id = t.chat_id AND h.runner_id = t.runner_id
     RETURNING 1`,
    [entries.map((entry) => entry.chatId), entries.map((entry) => entry.runnerId)],
  );
  return rows.length;
}

/** Deletes leases older than `staleAfterMs` by database time; returns how many. */
export async function deleteStaleHeartbeats(db: Queryable, staleAfterMs: number) {
  const rows = await db.query(
    `DELETE FROM chat_heartbeats
     WHERE heartbeat_at <= now() - $1::bigint * interval '1 millisecond'
     RETURNING 1`,
    [staleAfterMs],
  );
  return rows.length;
}
