import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@chatd/core';
import type { Transaction } from '../db/database.js';
import { ChatNotFoundError } from '../errors/store-errors.js';
import { bumpChat, bumpChatFrom, lockChatRow, SNAPSHOT_MOVED } from '../queries/chat-state.js';
import { chatExists, getFamilyChatIds } from '../queries/chats.js';
import { insertChat } from '../queries/create-chat.js';
import { toChatUpdate } from '../queries/sync.js';
import { type ChatMessageRow, type ChatRow, toChatStateRow } from '../schema/rows.js';
import type { StoreContext } from '../store/store-context.js';
import type { CreateChatInput } from '../validation/inputs.js';
import {
  type ChatStateSnapshot,
  currentChat,
  rememberChat,
  replaceRemembered,
  toSnapshot,
} from './chat-snapshot.js';
import { ChatTransitions } from './chat-transitions.js';
import { classifyExecutionState, isRunnable } from './classify.js';
import { ChatNotRootError, InvalidStateError, TransitionNotAllowedError } from './errors.js';
import { allowedOutputs } from './matrix.js';
import {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatOwnershipPayload,
  type ChatUpdatePayload,
  chatUpdateChannel,
} from './payloads.js';

/** Options of {@link MessageStore.update}, {@link MessageStore.lock} and {@link MessageStore.readLock}. */
export interface ChatTransactionOptions {
  /**
   * Aborting before the transaction commits rolls it back (with `signal.reason`); nothing is
   * published. After the commit it has no effect.
   */
  signal?: AbortSignal;
}

/** Options of {@link MessageStore.update}. */
export interface ChatUpdateOptions extends ChatTransactionOptions {
  /**
   * `false`: on Postgres the commit does not wait for the write-ahead log to reach the disk
   * (`synchronous_commit = off` for this transaction only), which saves the flush wait (several
   * milliseconds on slow disks). The update is still atomic and isolated, and survives a crash
   * of this process; a crash of the database server within a fraction of a second of the commit
   * may lose it. For bookkeeping whose loss is harmless, never for messages. Ignored on PGlite,
   * and inside another transaction (whose commit decides).
   * @default true
   */
  durable?: boolean;
  /**
   * `true`: the callback runs at once, against the chat as this store's own last commit of it
   * left it, instead of after the statement that locks the row returns it; every statement of
   * the update then goes out without waiting for the one before. On Postgres an update whose
   * last write carries the commit (`commitStep` with `lastInUpdate`) takes a single round trip.
   *
   * The first statement checks that the chat is still at that snapshot version. When it is
   * not (another store or replica changed it since), that attempt rolls back and the update
   * runs again the usual way, so the callback may run twice: what it did through `chat` is
   * undone, anything else it does must be safe to repeat. Runs the usual way at once when this
   * store has no commit of the chat in memory, inside another transaction, and on PGlite
   * (which runs one statement at a time: there is no round trip to save).
   * @default false
   */
  pipelined?: boolean;
}

type Hint = [channel: string, payload: ChatUpdatePayload | ChatOwnershipPayload];

/**
 * What to run once the change that left `chat` has committed: keep it for pipelined updates and
 * publish its hints, `chat:update:<id>` and, when a runnable chat has no live owner (none, or its
 * (chat, runner) heartbeat is older than the lease by database time), `chat:ownership`. The
 * hints are taken now; publishing never throws (the commit stands either way).
 */
function onCommitted(context: StoreContext, chat: ChatStateSnapshot): () => void {
  const { row } = chat;
  const hints: Hint[] = [[chatUpdateChannel(row.id), toChatUpdate(row)]];
  const ownerAlive =
    row.workerId !== null &&
    row.runnerId !== null &&
    chat.ownerHeartbeatAgeMs !== null &&
    chat.ownerHeartbeatAgeMs < context.lease.staleAfterMs;
  if (isRunnable(chat.state) && !ownerAlive) {
    hints.push([CHAT_OWNERSHIP_CHANNEL, { chatId: row.id, snapshotVersion: row.snapshotVersion }]);
  }
  return () => {
    context.recentChats.keep(chat);
    for (const [channel, payload] of hints) {
      try {
        // Local first: this replica's runner or stream usually made the change and reacts to
        // it; waiting for the database to deliver the NOTIFY back would add its round trip.
        context.pubsub.publish(channel, { ...payload }, { localFirst: true });
      } catch (error) {
        // Notifications are hints and receivers resync on their own.
        context.logger.warn({ channel, err: error }, 'message-store: publish after commit failed');
      }
    }
  };
}

/**
 * Runs transitions on one chat atomically: locks the row and bumps `snapshot_version` by one
 * (one statement), runs `fn`, and publishes after the commit. Inside another update's or
 * lock's callback (with ambient transactions), or given `outer`, it joins that transaction and
 * publishes when the outer one commits. With `pipelined`, see {@link ChatUpdateOptions}.
 */
export async function updateChat<T>(
  context: StoreContext,
  chatId: string,
  fn: (chat: ChatTransitions) => Promise<T>,
  options: ChatUpdateOptions = {},
  outer?: Transaction,
): Promise<T> {
  // Joined to an outer transaction, the outer one's commit decides.
  const ownTransaction = outer === undefined && context.db.currentTransaction() === undefined;
  const expected =
    options.pipelined === true && ownTransaction && context.db.driver === 'postgres'
      ? context.recentChats.get(chatId)
      : undefined;
  if (expected !== undefined) {
    try {
      return await runUpdate(context, chatId, fn, options, { ownTransaction, expected });
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== SNAPSHOT_MOVED) throw error;
      context.recentChats.forget(chatId);
    }
  }
  return runUpdate(context, chatId, fn, options, { ownTransaction, outer });
}

/** One attempt of {@link updateChat}: against `expected` when given, else as the bump reads it. */
function runUpdate<T>(
  context: StoreContext,
  chatId: string,
  fn: (chat: ChatTransitions) => Promise<T>,
  { signal, durable = true }: ChatUpdateOptions,
  {
    ownTransaction,
    outer,
    expected,
  }: { ownTransaction: boolean; outer?: Transaction | undefined; expected?: ChatStateSnapshot },
): Promise<T> {
  const relaxed = !durable && context.db.driver === 'postgres' && ownTransaction;
  const run = async (tx: Transaction) => {
    if (relaxed) await tx.query('SET LOCAL synchronous_commit TO off');
    const { bumped, checked } = await bump(tx, chatId, expected);
    const chat = new ChatTransitions({
      chatId,
      snapshotVersion: bumped.row.snapshotVersion,
      tx,
      context,
      mayCommitEarly: ownTransaction,
    });
    let result: T | undefined;
    let failed: { error: unknown } | undefined;
    try {
      result = await fn(chat);
      if (chat.failure) throw chat.failure.error;
    } catch (error) {
      failed = { error };
    }
    // A stale expectation explains any failure of the statements sent behind the bump.
    await checked;
    // After a commitStep that committed (lastInUpdate), what the callback did next cannot undo
    // it: what committed is published, then the error is reported.
    if (failed !== undefined && !tx.committed) throw failed.error;
    if (!tx.committing) signal?.throwIfAborted();
    // Queued only once the update succeeded: an inner failure the outer callback catches must
    // not publish a state that was never written. Nothing is published after a rollback. The
    // caller's callbacks go first, so what it keeps is current before anyone hears of the change.
    tx.afterCommit.push(...chat.afterCommitCallbacks);
    tx.afterCommit.push(onCommitted(context, await currentChat(tx, chatId)));
    if (failed !== undefined) throw failed.error;
    return result as T;
  };
  return outer === undefined ? context.db.transaction(run, signal) : run(outer);
}

/**
 * Locks and bumps the chat. Without `expected`, waits for the statement and remembers what it
 * returned. With it, remembers `expected` one version on at once and leaves the statement in
 * flight: `checked` rejects when the chat was not at `expected` (the statement then failed
 * and aborted the transaction) and otherwise puts the row as read in place of the expected
 * one, while no later statement has replaced it.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` (from `checked` when pipelined)
 */
async function bump(
  tx: Transaction,
  chatId: string,
  expected: ChatStateSnapshot | undefined,
): Promise<{ bumped: ChatStateSnapshot; checked: Promise<void> | undefined }> {
  if (expected === undefined) {
    const bumped = await bumpChat(tx, chatId);
    if (bumped === undefined) throw new ChatNotFoundError(chatId);
    return { bumped: rememberChat(tx, bumped), checked: undefined };
  }
  const reading = bumpChatFrom(tx, chatId, expected.row.snapshotVersion);
  const bumped = rememberChat(tx, {
    ...expected,
    row: { ...expected.row, snapshotVersion: expected.row.snapshotVersion + 1 },
  });
  const checked = reading.then((record) => {
    if (record === undefined) throw new ChatNotFoundError(chatId);
    replaceRemembered(tx, bumped, record);
  });
  checked.catch(() => {});
  return { bumped, checked };
}

/**
 * Locks the chat row for the callback without a snapshot bump and without publishing:
 * `FOR UPDATE` for reads that must not race a transition or writes outside execution state,
 * `FOR SHARE` to let other readers in while transitions wait.
 */
export function lockChat<T>(
  context: StoreContext,
  chatId: string,
  mode: 'update' | 'share',
  fn: (chat: ChatStateSnapshot) => Promise<T>,
  { signal }: ChatTransactionOptions = {},
): Promise<T> {
  return context.db.transaction(async (tx) => {
    const record = await lockChatRow(tx, chatId, mode);
    if (record === undefined) throw new ChatNotFoundError(chatId);
    return fn(toSnapshot(record));
  }, signal);
}

/** What `createChat` created. */
export interface CreateChatResult {
  /** The new chat's id (a UUID generated by the store). */
  chatId: string;
  /** The ids of the initial messages, in order. */
  messageIds: number[];
  /** The chat as committed (what `getChat` would read right after). */
  chat: ChatRow;
  /** Its prompt history as committed (what `getPromptHistory` would read right after). */
  promptHistory: ChatMessageRow[];
}

// A new chat always starts running, unarchived, with an empty queue.
const CREATED_STATE = classifyExecutionState({
  status: 'running',
  archived: false,
  queuedCount: 0,
});

/**
 * Creates a chat in `running` with its initial messages (history version 1) in one statement
 * and publishes its first `chat:update` and, unless it was created with an owner, an
 * ownership hint, so a worker picks it up. Inside an open transaction (ambient transactions)
 * it joins it and publishes after that one commits. `input` is parsed.
 */
export async function createChat(
  context: StoreContext,
  input: CreateChatInput,
): Promise<CreateChatResult> {
  // Checked before the write, which commits at once; the landing state is always the same.
  if (!allowedOutputs('N', 'createChat')?.includes(CREATED_STATE)) {
    throw new TransitionNotAllowedError('N', 'createChat', `it would land in ${CREATED_STATE}`);
  }
  const chatId = input.id ?? randomUUID();
  const outer = context.db.currentTransaction();
  const db = outer ?? context.db;
  const created = await insertChat(db, chatId, input);
  if (created === undefined) {
    if (input.id !== undefined && (await chatExists(db, input.id))) {
      throw new InvalidArgumentError('input.id', `a chat ${input.id} exists already`);
    }
    throw new ChatNotFoundError(input.parentChatId as string);
  }
  // The owner's lease was written by the same statement: it is fresh.
  const snapshot = toSnapshot({
    row: toChatStateRow(created.chat),
    queuedCount: 0,
    ownerHeartbeatAgeMs: input.owner === undefined ? null : 0,
  });
  const committed = onCommitted(context, snapshot);
  if (outer === undefined) committed();
  else outer.afterCommit.push(committed);
  return { chatId, ...created };
}

/**
 * Archives or unarchives a root chat and all its descendants in one transaction.
 *
 * The root is locked first (so two family operations on one family serialise), then each
 * member gets its own update, root first, then by creation: every member's snapshot is bumped
 * and published, even one already at the target value (clients refresh the family as a unit).
 * Any member that cannot move (busy, or Invalid, even if already at the target) rolls the
 * whole family back: a half-archived family would be worse than none.
 */
export function setFamilyArchived(context: StoreContext, rootId: string, archived: boolean) {
  return context.db.transaction(async (tx) => {
    const root = await lockChatRow(tx, rootId, 'update');
    if (root === undefined) throw new ChatNotFoundError(rootId);
    if (root.row.parentChatId !== null) throw new ChatNotRootError(rootId);
    const chatIds = await getFamilyChatIds(tx, rootId);
    for (const chatId of chatIds) {
      await updateChat(
        context,
        chatId,
        async (chat) => {
          const { state, row } = await chat.snapshot();
          if (state === 'Invalid') throw new InvalidStateError('setArchived');
          if (row.archived !== archived) await chat.setArchived(archived);
        },
        {},
        tx,
      );
    }
    return { chatIds };
  });
}
