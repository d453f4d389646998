import type { ChatErrorInfo } from '@chatd/core';
import type { Transaction } from '../../db/database.js';
import type { ExecutionWrite } from '../../queries/chat-state.js';
import { getDatabaseTime } from '../../queries/chats.js';
import type { NewMessage, ReconcileInput } from '../../validation/inputs.js';
import { appendMessages, type ChatStateSnapshot, carry, setExecution } from '../chat-snapshot.js';
import { OutstandingToolCallsError, TransitionNotAllowedError } from '../errors.js';
import {
  CANCELLATION_REASONS,
  cancelOutstandingToolCalls,
  outstandingToolCalls,
} from '../tool-calls.js';
import { startQueuedTurn } from './messages.js';

/** Default `last_error` written by `reconcileInvalidState`. */
export const INVALID_STATE_ERROR: ChatErrorInfo = {
  message:
    'The chat was found in an invalid state; send a new message or edit history to continue.',
  kind: 'internal',
  retryable: false,
};

/** The owner columns of a chat handed back (as `abandon` writes them). */
const RELEASED = { workerId: null, runnerId: null };

/** What the finishing transitions take besides their own input. */
interface Finish {
  /** Hand the chat back when it ends idle. */
  release: boolean;
}

/** `interrupt`: see {@link ChatTransitions.interrupt}. */
export async function interrupt(tx: Transaction, chat: ChatStateSnapshot, reason?: string) {
  if (chat.state === 'R0' || chat.state === 'R1') {
    // The worker sees `interrupting`, stops and calls finishInterruption with what it has.
    await setExecution(tx, chat, { status: 'interrupting' }, carry);
    return;
  }
  // A0 / A1: nothing is generating; close the client calls and let the model continue.
  await cancelOutstandingToolCalls(tx, chat, reason ?? CANCELLATION_REASONS.interrupted, {
    dynamicOnly: true,
  });
  await setExecution(tx, chat, { status: 'running', requiresActionDeadlineAt: null }, carry);
}

/** `setArchived`: see {@link ChatTransitions.setArchived}. */
export async function setArchived(tx: Transaction, chat: ChatStateSnapshot, archived: boolean) {
  if (archived === chat.row.archived) {
    throw new TransitionNotAllowedError(
      chat.state,
      'setArchived',
      `the chat is already ${archived ? 'archived' : 'unarchived'}`,
    );
  }
  await setExecution(tx, chat, { archived }, carry);
}

/** `requestCompaction`: see {@link ChatTransitions.requestCompaction}. */
export async function requestCompaction(tx: Transaction, chat: ChatStateSnapshot) {
  // Clearing ownership makes the update publish an ownership hint, so a worker picks the chat
  // up at once and runs the compaction.
  await setExecution(tx, chat, {
    status: 'running',
    workerId: null,
    runnerId: null,
    compactionRequestedAt: await getDatabaseTime(tx),
  });
}

/** `finishInterruption`: see {@link ChatTransitions.finishInterruption}. */
export async function finishInterruption(
  tx: Transaction,
  chat: ChatStateSnapshot,
  { partials, release }: Finish & { partials: readonly NewMessage[] },
): Promise<{ messageIds: number[] }> {
  const messageIds = await appendMessages(tx, chat.row.id, partials);
  // Client-executed calls cannot be answered by the interrupted worker: close them here, or
  // the check below would refuse forever and leave the chat interrupting.
  await cancelOutstandingToolCalls(tx, chat, CANCELLATION_REASONS.interrupted, {
    dynamicOnly: true,
  });
  const outstanding = await outstandingToolCalls(tx, chat, { dynamicOnly: false });
  if (outstanding.length > 0) {
    throw new OutstandingToolCallsError(outstanding.map((call) => call.toolCallId));
  }
  if (chat.state === 'I0') {
    await setExecution(tx, chat, turnEnded({ release }));
  } else {
    // I1: every call is answered, so the queue head starts without synthetic results.
    messageIds.push(await startQueuedTurn(tx, chat, { cancel: false }));
  }
  return { messageIds };
}

/** What `finishTurn` (R0) and `finishInterruption` (I0) write for a chat that ends waiting. */
export function turnEnded({ release }: Finish): Partial<ExecutionWrite> {
  return { status: 'waiting', requiresActionDeadlineAt: null, ...(release ? RELEASED : {}) };
}

/** `finishTurn`: see {@link ChatTransitions.finishTurn}. */
export async function finishTurn(tx: Transaction, chat: ChatStateSnapshot, finish: Finish) {
  if (chat.state === 'R0') await setExecution(tx, chat, turnEnded(finish));
  else await startQueuedTurn(tx, chat, { cancel: true });
}

/** `finishError`: see {@link ChatTransitions.finishError}. */
export async function finishError(
  tx: Transaction,
  chat: ChatStateSnapshot,
  { lastError, release }: Finish & { lastError: ChatErrorInfo },
) {
  await setExecution(tx, chat, {
    status: 'error',
    lastError,
    requiresActionDeadlineAt: null,
    ...(release ? RELEASED : {}),
  });
}

/** `reconcileInvalidState`: see {@link ChatTransitions.reconcileInvalidState}. */
export async function reconcileInvalidState(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: ReconcileInput = {},
) {
  await cancelOutstandingToolCalls(tx, chat, input.reason ?? CANCELLATION_REASONS.invalidState, {
    dynamicOnly: true,
  });
  await setExecution(tx, chat, {
    status: 'error',
    archived: false,
    lastError: input.lastError ?? INVALID_STATE_ERROR,
    requiresActionDeadlineAt: null,
  });
}
