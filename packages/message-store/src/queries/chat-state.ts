import type { ChatErrorInfo, ChatStatus, JsonValue } from '@chatd/core';
import { namedStatement, type Queryable } from '../db/database.js';
import { CHAT_STATE_SELECT, type ChatStateRow, readChatStateRow } from '../schema/rows.js';

/**
 * A chat as the state machine reads it: its row, its queue length, and how old its owning
 * runner's heartbeat is. Every statement below returns all three, so a transition never needs
 * a separate read to check where it started, where it landed, or whether the chat needs an
 * owner.
 */
export interface ChatRecord {
  /** The chat's state columns. */
  row: ChatStateRow;
  /** Messages waiting in the queue. */
  queuedCount: number;
  /**
   * Milliseconds since the owning runner's heartbeat by database time, or `null` when the
   * chat has no owner or the owner has no heartbeat row.
   */
  ownerHeartbeatAgeMs: number | null;
}

/** The select list of a {@link ChatRecord} over `chats c`. */
export const RECORD = `${CHAT_STATE_SELECT},
  (SELECT count(*) FROM chat_queued_messages q WHERE q.chat_id = c.id)::int AS "queuedCount",
  (SELECT (extract(epoch FROM now() - h.heartbeat_at) * 1000)::float8 FROM chat_heartbeats h
    WHERE h.chat_id = c.id AND h.runner_id = c.runner_id) AS "ownerHeartbeatAgeMs"`;

/** Reads a row selected with {@link RECORD}. */
export function readRecord(raw: Record<string, unknown> | undefined): ChatRecord | undefined {
  if (raw === undefined) return undefined;
  const age = raw.ownerHeartbeatAgeMs;
  return {
    row: readChatStateRow(raw),
    queuedCount: Number(raw.queuedCount),
    ownerHeartbeatAgeMs: age === null || age === undefined ? null : Number(age),
  };
}

// An UPDATE takes the row lock itself: lock and bump are one statement, so two updates of one
// chat serialise here and each gets its own snapshot version.
const BUMP = namedStatement(
  'bump',
  `UPDATE chats AS c SET snapshot_version = c.snapshot_version + 1 WHERE c.id = $1
   RETURNING ${RECORD}`,
);
// The bump of an update that expects snapshot version $2: any other version raises
// `SNAPSHOT_MOVED` and aborts the transaction, with whatever was sent behind it.
const BUMP_FROM = namedStatement(
  'bump_from',
  `UPDATE chats AS c SET snapshot_version = CASE WHEN c.snapshot_version = $2
     THEN c.snapshot_version + 1 ELSE chatd_snapshot_moved(c.id, $2, c.snapshot_version) END
   WHERE c.id = $1 RETURNING ${RECORD}`,
);
/** The SQLSTATE of the bump from a snapshot version the chat is no longer at. */
export const SNAPSHOT_MOVED = 'CD001';
const READ = namedStatement('read', `SELECT ${RECORD} FROM chats c WHERE c.id = $1`);
const LOCK_FOR_UPDATE = namedStatement(
  'lock_update',
  `SELECT ${RECORD} FROM chats c WHERE c.id = $1 FOR UPDATE OF c`,
);
const LOCK_FOR_SHARE = namedStatement(
  'lock_share',
  `SELECT ${RECORD} FROM chats c WHERE c.id = $1 FOR SHARE OF c`,
);
/**
 * The SET list of an {@link ExecutionWrite} whose values are the parameters from `$first` on
 * (in {@link executionParams} order), and `updated_at = now()`.
 */
export function executionSet(first: number): string {
  const $ = (offset: number) => `$${first + offset}`;
  return `status = ${$(0)}, archived = ${$(1)}, worker_id = ${$(2)}, runner_id = ${$(3)},
     last_error = ${$(4)}::text::jsonb, requires_action_deadline_at = ${$(5)}::timestamptz,
     compaction_requested_at = ${$(6)}::timestamptz, updated_at = now()`;
}

/** The parameters of an {@link executionSet}. */
export function executionParams(write: ExecutionWrite): unknown[] {
  return [
    write.status,
    write.archived,
    write.workerId,
    write.runnerId,
    write.lastError === null ? null : JSON.stringify(write.lastError),
    write.requiresActionDeadlineAt?.toISOString() ?? null,
    write.compactionRequestedAt?.toISOString() ?? null,
  ];
}

const WRITE_EXECUTION = namedStatement(
  'write_execution',
  `UPDATE chats AS c SET ${executionSet(2)} WHERE c.id = $1 RETURNING ${RECORD}`,
);
const NEXT_ATTEMPT = namedStatement(
  'next_attempt',
  `UPDATE chats AS c SET generation_attempt = c.generation_attempt + 1 WHERE c.id = $1
   RETURNING ${RECORD}`,
);
const SET_RETRY_STATE = namedStatement(
  'set_retry_state',
  `UPDATE chats AS c SET retry_state = $2::text::jsonb WHERE c.id = $1 RETURNING ${RECORD}`,
);

/** Locks the chat row and bumps its snapshot version by one; `undefined` if it does not exist. */
export async function bumpChat(tx: Queryable, chatId: string): Promise<ChatRecord | undefined> {
  return readRecord((await tx.query(BUMP, [chatId]))[0]);
}

/**
 * {@link bumpChat} when the chat is at `snapshotVersion`; otherwise the statement fails with
 * {@link SNAPSHOT_MOVED}. `undefined` if the chat does not exist.
 */
export async function bumpChatFrom(
  tx: Queryable,
  chatId: string,
  snapshotVersion: number,
): Promise<ChatRecord | undefined> {
  return readRecord((await tx.query(BUMP_FROM, [chatId, snapshotVersion]))[0]);
}

/** Reads the chat (inside a transaction: as this transaction sees it). */
export async function readChat(db: Queryable, chatId: string): Promise<ChatRecord | undefined> {
  return readRecord((await db.query(READ, [chatId]))[0]);
}

/** Locks the chat row `FOR UPDATE` or `FOR SHARE` without changing it. */
export async function lockChatRow(
  tx: Queryable,
  chatId: string,
  mode: 'update' | 'share',
): Promise<ChatRecord | undefined> {
  const lock = mode === 'update' ? LOCK_FOR_UPDATE : LOCK_FOR_SHARE;
  return readRecord((await tx.query(lock, [chatId]))[0]);
}

/** The execution-state columns every state-setting transition writes. */
export interface ExecutionWrite {
  status: ChatStatus;
  archived: boolean;
  workerId: string | null;
  runnerId: string | null;
  lastError: ChatErrorInfo | null;
  requiresActionDeadlineAt: Date | null;
  compactionRequestedAt: Date | null;
}

/** Writes the execution-state columns and `updated_at = now()`. */
export async function writeExecution(
  tx: Queryable,
  chatId: string,
  write: ExecutionWrite,
): Promise<ChatRecord> {
  const [raw] = await tx.query(WRITE_EXECUTION, [chatId, ...executionParams(write)]);
  return readRecord(raw) as ChatRecord;
}

/** `generation_attempt + 1` (a trigger clears the retry state). */
export async function incrementGenerationAttempt(tx: Queryable, chatId: string) {
  return readRecord((await tx.query(NEXT_ATTEMPT, [chatId]))[0]) as ChatRecord;
}

/** Writes `retry_state` (a trigger moves `retry_state_version`). */
export async function setRetryState(tx: Queryable, chatId: string, retryState: JsonValue) {
  const [raw] = await tx.query(SET_RETRY_STATE, [chatId, JSON.stringify(retryState)]);
  return readRecord(raw) as ChatRecord;
}
