import type { JsonValue } from '@chatd/core';
import type { Transaction } from '../../db/database.js';
import { incrementGenerationAttempt, setRetryState } from '../../queries/chat-state.js';
import { insertedRows, insertMessages } from '../../queries/messages.js';
import { upsertHeartbeats } from '../../queries/ownership.js';
import type { ChatMessageRow } from '../../schema/rows.js';
import type { AcquireInput, CommitStepInput } from '../../validation/inputs.js';
import {
  type ChatStateSnapshot,
  carry,
  currentChat,
  executionAfter,
  rememberChat,
  setExecution,
} from '../chat-snapshot.js';
import { classifyExecutionState, type ExecutionState } from '../classify.js';
import { TransitionNotAllowedError } from '../errors.js';
import { finishTurn, turnEnded } from './lifecycle.js';

/** The ids of the messages a transition inserted, in history order. */
export interface InsertedMessages {
  /** Message ids, ascending. */
  messageIds: number[];
}

/** What `commitStep` wrote: the ids, and the rows as a read after the commit returns them. */
export type CommittedStep = InsertedMessages & { messages: ChatMessageRow[] };

/** `acquire`: see {@link ChatTransitions.acquire}. */
export async function acquire(tx: Transaction, chat: ChatStateSnapshot, input: AcquireInput) {
  // Unconditional: fencing against a previous owner is the caller's job. The heartbeat goes
  // first and makes the lease live, so the write below reads a live owner and this update
  // publishes no ownership hint.
  await upsertHeartbeats(tx, input.workerId, [{ chatId: chat.row.id, runnerId: input.runnerId }]);
  await setExecution(tx, chat, { workerId: input.workerId, runnerId: input.runnerId }, carry);
}

/** `abandon`: see {@link ChatTransitions.abandon}. */
export async function abandon(tx: Transaction, chat: ChatStateSnapshot) {
  if (chat.row.workerId === null) {
    throw new TransitionNotAllowedError(chat.state, 'abandon', 'the chat has no owner');
  }
  await setExecution(tx, chat, { workerId: null, runnerId: null }, carry);
}

/** `recordGenerationAttempt`: see {@link ChatTransitions.recordGenerationAttempt}. */
export async function recordGenerationAttempt(tx: Transaction, chat: ChatStateSnapshot) {
  return rememberChat(tx, await incrementGenerationAttempt(tx, chat.row.id)).row.generationAttempt;
}

/** `recordRetryState`: see {@link ChatTransitions.recordRetryState}. */
export async function recordRetryState(
  tx: Transaction,
  chat: ChatStateSnapshot,
  retryState: JsonValue,
) {
  rememberChat(tx, await setRetryState(tx, chat.row.id, retryState));
}

/**
 * `commitStep`: see {@link ChatTransitions.commitStep}. `landings` are the states the update
 * may land in, given when it may commit with this step's statement.
 */
export async function commitStep(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: CommitStepInput,
  landings?: readonly ExecutionState[],
): Promise<CommittedStep> {
  const finish =
    input.finishTurn === undefined ? undefined : { release: input.finishTurn.release === true };
  // Ending in waiting: the messages and finishTurn's write in one statement.
  const execution =
    finish !== undefined && chat.state === 'R0'
      ? executionAfter(chat, turnEnded(finish))
      : undefined;
  // The landing is checked before the statement that commits: afterwards nothing could undo it.
  // The queue cannot change meanwhile, the update holds the chat's row lock.
  const commit =
    input.lastInUpdate === true &&
    execution !== undefined &&
    landings?.includes(classifyExecutionState({ ...execution, queuedCount: chat.queuedCount })) ===
      true;
  const inserted = await insertMessages(tx, chat.row.id, input.messages, execution, commit);
  rememberChat(tx, inserted.chat);
  const committed = {
    messageIds: inserted.messageIds,
    messages: insertedRows(input.messages, inserted),
  };
  if (execution !== undefined) return committed;
  if (input.consumeCompactionRequest === true && chat.row.compactionRequestedAt !== null) {
    await setExecution(tx, chat, {}, { carryCompaction: false });
  }
  if (finish !== undefined) await finishTurn(tx, await currentChat(tx, chat.row.id), finish);
  return committed;
}
