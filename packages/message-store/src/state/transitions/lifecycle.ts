import { type ChatErrorInfo, InvalidArgumentError, parseChatErrorInfo } from '@chatd/core';
import { OutstandingToolCallsError, TransitionNotAllowedError } from '../errors.js';
import type { StateMessageInsert } from '../state-queries.js';
import { CANCELLATION_REASONS } from '../tool-calls.js';
import { startQueuedTurn } from './messages.js';
import type { TransitionScope } from './scope.js';

/** Default `last_error` written by `reconcileInvalidState`. */
export const INVALID_STATE_ERROR: ChatErrorInfo = {
  message:
    'The chat was found in an invalid state; send a new message or edit history to continue.',
  kind: 'internal',
  retryable: false,
};

/** `interrupt`: see {@link ChatTransitions.interrupt}. */
export async function interrupt(scope: TransitionScope, reason?: string): Promise<void> {
  if (scope.state === 'R0' || scope.state === 'R1') {
    // The worker sees `interrupting`, stops and calls finishInterruption with what it has.
    await scope.set({ status: 'interrupting' }, { carryCompaction: true });
    return;
  }
  // A0 / A1: nothing is generating; close the client calls and let the model continue.
  await scope.cancelOutstanding(reason ?? CANCELLATION_REASONS.interrupted, { dynamicOnly: true });
  await scope.set({ status: 'running', requiresActionDeadlineAt: null }, { carryCompaction: true });
}

/** `setArchived`: see {@link ChatTransitions.setArchived}. */
export async function setArchived(scope: TransitionScope, archived: boolean): Promise<void> {
  if (typeof archived !== 'boolean') {
    throw new InvalidArgumentError('archived', 'expected a boolean');
  }
  if (archived === scope.row.archived) {
    throw new TransitionNotAllowedError(
      scope.state,
      'setArchived',
      `the chat is already ${archived ? 'archived' : 'unarchived'}`,
    );
  }
  await scope.set({ archived }, { carryCompaction: true });
}

/** `requestCompaction`: see {@link ChatTransitions.requestCompaction}. */
export async function requestCompaction(scope: TransitionScope): Promise<void> {
  // Clearing ownership makes the update publish an ownership hint, so a worker picks the chat
  // up at once and runs the compaction.
  await scope.set({
    status: 'running',
    workerId: null,
    runnerId: null,
    compactionRequestedAt: await scope.q.now(),
  });
}

/** `finishInterruption`: see {@link ChatTransitions.finishInterruption}. */
export async function finishInterruption(
  scope: TransitionScope,
  partials: readonly StateMessageInsert[],
): Promise<{ messageIds: number[] }> {
  const messageIds =
    partials.length > 0 ? await scope.q.insertMessages(scope.chatId, partials) : [];
  // Client-executed calls cannot be answered by the interrupted worker: close them here, or
  // the check below would refuse forever and leave the chat interrupting (§7.1 item 0).
  await scope.cancelOutstanding(CANCELLATION_REASONS.interrupted, { dynamicOnly: true });
  const outstanding = await scope.outstanding({ dynamicOnly: false });
  if (outstanding.length > 0) {
    throw new OutstandingToolCallsError(outstanding.map((call) => call.toolCallId));
  }
  if (scope.state === 'I0') {
    await scope.set({ status: 'waiting', requiresActionDeadlineAt: null });
  } else {
    // I1: every call is answered, so the queue head starts without synthetic results.
    messageIds.push(await startQueuedTurn(scope, { cancel: false }));
  }
  return { messageIds };
}

/** `finishTurn`: see {@link ChatTransitions.finishTurn}. */
export async function finishTurn(scope: TransitionScope): Promise<void> {
  if (scope.state === 'R0') {
    await scope.set({ status: 'waiting', requiresActionDeadlineAt: null });
    return;
  }
  await startQueuedTurn(scope, { cancel: true });
}

/** `finishError`: see {@link ChatTransitions.finishError}. */
export async function finishError(scope: TransitionScope, lastError: ChatErrorInfo): Promise<void> {
  await scope.set({
    status: 'error',
    lastError: parseChatErrorInfo(lastError),
    requiresActionDeadlineAt: null,
  });
}

/** Options of {@link ChatTransitions.reconcileInvalidState}. */
export interface ReconcileInput {
  /** The error to record. @default {@link INVALID_STATE_ERROR} */
  lastError?: ChatErrorInfo;
  /** The output of the synthetic results closing pending client tool calls. */
  reason?: string;
}

/** `reconcileInvalidState`: see {@link ChatTransitions.reconcileInvalidState}. */
export async function reconcileInvalidState(
  scope: TransitionScope,
  input: ReconcileInput = {},
): Promise<void> {
  const lastError =
    input.lastError === undefined ? INVALID_STATE_ERROR : parseChatErrorInfo(input.lastError);
  await scope.cancelOutstanding(input.reason ?? CANCELLATION_REASONS.invalidState, {
    dynamicOnly: true,
  });
  await scope.set({
    status: 'error',
    archived: false,
    lastError,
    requiresActionDeadlineAt: null,
  });
}
