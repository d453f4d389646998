import { AsyncLocalStorage } from 'node:async_hooks';
import type { JsonObject } from '@chatd/core';
import type { DbTransaction } from '../db/types.js';
import { ChatNotFoundError } from '../errors/index.js';
import type { StoreContext } from '../store/store-context.js';
import { type ChatStateSnapshot, ChatTransitions } from './chat-transitions.js';
import { classifyExecutionState, isRunnable } from './classify.js';
import {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatOwnershipPayload,
  type ChatUpdatePayload,
  chatUpdateChannel,
} from './payloads.js';
import { sqlStateQueries } from './sql-state-queries.js';
import type { ChatStateRow, StateQueries } from './state-queries.js';
import type { TransitionSettings } from './transitions/scope.js';

/** Queued messages per chat; the 21st is refused with `QUEUE_FULL`. */
export const MAX_QUEUED_MESSAGES = 20;

/** How long a requires-action chat waits for client tool results: 5 minutes of DB time. */
export const REQUIRES_ACTION_TIMEOUT_MS = 5 * 60_000;

const SETTINGS: TransitionSettings = {
  maxQueuedMessages: MAX_QUEUED_MESSAGES,
  requiresActionTimeoutMs: REQUIRES_ACTION_TIMEOUT_MS,
};

/** Options of {@link MessageStore.update}, {@link MessageStore.lock} and {@link MessageStore.readLock}. */
export interface ChatTransactionOptions {
  /**
   * Aborting before the transaction commits rolls it back (with `signal.reason`); nothing is
   * published. After the commit it has no effect.
   */
  signal?: AbortSignal;
}

/** What a `lock` / `readLock` callback gets: the locked chat and the transaction. */
export interface ChatLockContext {
  /** The chat as locked. */
  readonly chat: ChatStateSnapshot;
  /** The open transaction; run any other query of this store through it. */
  readonly tx: DbTransaction;
}

/**
 * One open transaction of the state machine and the notifications to publish once it commits.
 * Kept in an AsyncLocalStorage so a nested `update` (family archive, or a caller composing
 * updates) joins the outer transaction and its notifications wait for the outer commit.
 */
interface TransactionFrame {
  /** The store that opened it: another store's update never joins it. */
  readonly context: StoreContext;
  readonly tx: DbTransaction;
  readonly queries: StateQueries;
  readonly pending: Array<[channel: string, payload: JsonObject]>;
  open: boolean;
}

const frames = new AsyncLocalStorage<TransactionFrame>();

/**
 * Runs `fn` in the caller's open state-machine transaction, or in a new one that publishes
 * its buffered notifications after it commits. Nothing is published when it rolls back.
 */
async function inTransaction<T>(
  context: StoreContext,
  signal: AbortSignal | undefined,
  fn: (frame: TransactionFrame) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const outer = frames.getStore();
  if (outer?.open && outer.context === context) return fn(outer);

  let committed: TransactionFrame | undefined;
  const result = await context.db.transaction(async (tx) => {
    const frame: TransactionFrame = {
      context,
      tx,
      queries: sqlStateQueries(tx, context.limits),
      pending: [],
      open: true,
    };
    try {
      const value = await frames.run(frame, () => fn(frame));
      // Last chance to cancel: past this point the commit is already on its way.
      signal?.throwIfAborted();
      committed = frame;
      return value;
    } finally {
      frame.open = false;
    }
  });
  if (committed) publishAll(context, committed.pending);
  return result;
}

function publishAll(context: StoreContext, pending: TransactionFrame['pending']): void {
  for (const [channel, payload] of pending) {
    try {
      context.pubsub.publish(channel, payload);
    } catch (error) {
      // The commit stands; notifications are hints and receivers resync on their own.
      context.logger.warn({ channel, err: error }, 'message-store: publish after commit failed');
    }
  }
}

function updatePayload(row: ChatStateRow): ChatUpdatePayload {
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

/**
 * Buffers the notifications of a finished update: always `chat:update:<id>`, and
 * `chat:ownership` when a runnable chat has no live owner (none, or its (chat, runner)
 * heartbeat is older than the lease by database time).
 */
async function bufferNotifications(
  context: StoreContext,
  frame: TransactionFrame,
  chatId: string,
): Promise<void> {
  const current = await frame.queries.read(chatId);
  if (current === undefined) throw new ChatNotFoundError(chatId);
  const { row, queuedCount } = current;
  frame.pending.push([chatUpdateChannel(chatId), { ...updatePayload(row) }]);
  const state = classifyExecutionState({ status: row.status, archived: row.archived, queuedCount });
  if (!isRunnable(state)) return;
  const ownerless =
    row.workerId === null ||
    row.runnerId === null ||
    (await frame.queries.isHeartbeatStale(chatId, row.runnerId, context.lease.staleAfterMs));
  if (ownerless) {
    const hint: ChatOwnershipPayload = { chatId, snapshotVersion: row.snapshotVersion };
    frame.pending.push([CHAT_OWNERSHIP_CHANNEL, { ...hint }]);
  }
}

/**
 * Runs transitions on one chat atomically: locks the row and bumps `snapshot_version` by one
 * (one statement), runs `fn`, and publishes `chat:update:<id>` (plus `chat:ownership` when the
 * chat needs an owner) after the commit. Inside another update's or lock's callback it joins
 * that transaction and publishes when the outer one commits.
 *
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 * @throws Whatever a transition or `fn` throws; the transaction then rolls back.
 */
export async function updateChat<T>(
  context: StoreContext,
  chatId: string,
  fn: (chat: ChatTransitions) => Promise<T>,
  { signal }: ChatTransactionOptions = {},
): Promise<T> {
  return inTransaction(context, signal, async (frame) => {
    const bumped = await frame.queries.lockAndBump(chatId);
    if (bumped === undefined) throw new ChatNotFoundError(chatId);
    const chat = new ChatTransitions({
      chatId,
      snapshotVersion: bumped.snapshotVersion,
      queries: frame.queries,
      tx: frame.tx,
      settings: SETTINGS,
    });
    // The nested update's notifications join the frame only once it succeeded: an inner
    // failure the outer callback catches must not publish a state that was never written.
    const inner: TransactionFrame = { ...frame, pending: [] };
    const result = await fn(chat);
    if (chat.failure) throw chat.failure.error;
    signal?.throwIfAborted();
    await bufferNotifications(context, inner, chatId);
    frame.pending.push(...inner.pending);
    return result;
  });
}

async function lockWith<T>(
  context: StoreContext,
  chatId: string,
  mode: 'update' | 'share',
  fn: (lock: ChatLockContext) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  return inTransaction(context, signal, async (frame) => {
    const row = await frame.queries.lockRow(chatId, mode);
    if (row === undefined) throw new ChatNotFoundError(chatId);
    const queuedCount = await frame.queries.queueCount(chatId);
    const state = classifyExecutionState({
      status: row.status,
      archived: row.archived,
      queuedCount,
    });
    return fn({ chat: { row, queuedCount, state }, tx: frame.tx });
  });
}

/**
 * Locks the chat row `FOR UPDATE` for the callback, without a snapshot bump and without
 * publishing: for reads that must not race a transition, and writes outside execution state.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export function lockChat<T>(
  context: StoreContext,
  chatId: string,
  fn: (lock: ChatLockContext) => Promise<T>,
  { signal }: ChatTransactionOptions = {},
): Promise<T> {
  return lockWith(context, chatId, 'update', fn, signal);
}

/**
 * Locks the chat row `FOR SHARE` for the callback (transitions wait, other readers do not),
 * without a snapshot bump and without publishing.
 * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the chat does not exist.
 */
export function readLockChat<T>(
  context: StoreContext,
  chatId: string,
  fn: (lock: ChatLockContext) => Promise<T>,
  { signal }: ChatTransactionOptions = {},
): Promise<T> {
  return lockWith(context, chatId, 'share', fn, signal);
}

/**
 * Runs `fn` in the caller's open state-machine transaction or a new one, for the package's
 * other state operations (create, family archive). @internal
 */
export function inStateTransaction<T>(
  context: StoreContext,
  fn: (frame: { tx: DbTransaction; queries: StateQueries }) => Promise<T>,
): Promise<T> {
  return inTransaction(context, undefined, (frame) => fn(frame));
}

/**
 * Buffers the notifications for `chatId` on the open frame (published after its commit).
 * @internal
 */
export async function bufferChatNotifications(context: StoreContext, chatId: string) {
  const frame = frames.getStore();
  if (frame?.open && frame.context === context) await bufferNotifications(context, frame, chatId);
}
