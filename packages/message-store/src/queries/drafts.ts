import { namedStatement, type Queryable } from '../db/database.js';
import { toSafeInteger } from '../db/safe-integer.js';
import { type DraftEnvelope, type DraftKey, isDraftEnvelope } from '../drafts/draft-types.js';

/*
 * One statement per batch. It writes only while the chat is still at the episode: a batch that
 * arrives after the step was committed (or the next attempt started) is dropped here instead of
 * leaving an orphan row. A batch already written (the retry of a write whose reply was lost;
 * the writer retries exactly the same batch) is a no-op. `stored` says whether the row is
 * there now (the second EXISTS sees the table as it was before this statement).
 */
const INSERT_BATCH = namedStatement(
  'insert_draft_batch',
  `WITH inserted AS (
       INSERT INTO chat_draft_batches
         (chat_id, history_version, generation_attempt, first_seq, last_seq, envelopes)
       SELECT $1::uuid, $2::bigint, $3::integer, $4::integer, $5::integer, $6::jsonb
       WHERE EXISTS (SELECT 1 FROM chats c WHERE c.id = $1::uuid
                       AND c.history_version = $2::bigint AND c.generation_attempt = $3::integer)
       ON CONFLICT DO NOTHING
       RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM inserted)
         OR EXISTS (SELECT 1 FROM chat_draft_batches b
                     WHERE b.chat_id = $1::uuid AND b.history_version = $2::bigint
                       AND b.generation_attempt = $3::integer AND b.first_seq = $4::integer)
       AS stored`,
);

/**
 * Writes one batch of an episode. Returns whether the batch's row is there (written now or by
 * an earlier try); `false` when the chat has moved past the episode and nothing was written.
 * `envelopesJson` is the envelopes' JSON when the caller already has it.
 */
export async function insertDraftBatch(
  db: Queryable,
  key: DraftKey,
  envelopes: readonly DraftEnvelope[],
  envelopesJson = JSON.stringify(envelopes),
): Promise<boolean> {
  const first = envelopes[0];
  const last = envelopes.at(-1);
  if (first === undefined || last === undefined) return false;
  const rows = await db.query<{ stored: boolean }>(INSERT_BATCH, [
    key.chatId,
    key.historyVersion,
    key.generationAttempt,
    first.seq,
    last.seq,
    envelopesJson,
  ]);
  return rows[0]?.stored === true;
}

/** The episode's envelopes after `afterSeq`, in seq order. */
export async function readDraftEnvelopes(
  db: Queryable,
  key: DraftKey,
  afterSeq: number,
): Promise<DraftEnvelope[]> {
  const rows = await db.query<{ envelopes: unknown }>(
    `SELECT envelopes FROM chat_draft_batches
     WHERE chat_id = $1 AND history_version = $2 AND generation_attempt = $3 AND last_seq > $4
     ORDER BY first_seq`,
    [key.chatId, key.historyVersion, key.generationAttempt, afterSeq],
  );
  const envelopes: DraftEnvelope[] = [];
  let expected = afterSeq + 1;
  for (const row of rows) {
    const batch = typeof row.envelopes === 'string' ? JSON.parse(row.envelopes) : row.envelopes;
    for (const envelope of Array.isArray(batch) ? batch : []) {
      // Rows are written in seq order without overlap; anything else is skipped, not invented.
      if (!isDraftEnvelope(envelope) || envelope.seq < expected) continue;
      if (envelope.seq > expected) return envelopes;
      envelopes.push(envelope);
      expected += 1;
    }
  }
  return envelopes;
}

/** Deletes draft rows older than `olderThanMs` (by database time); returns how many. */
export async function deleteOldDrafts(db: Queryable, olderThanMs: number): Promise<number> {
  const rows = await db.query<{ count: unknown }>(
    `WITH deleted AS (
       DELETE FROM chat_draft_batches
       WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
       RETURNING 1)
     SELECT count(*) AS count FROM deleted`,
    [olderThanMs],
  );
  return toSafeInteger(rows[0]?.count ?? 0);
}
