import type { ToolCallPart } from '@chatd/core';
import type { Transaction } from '../../db/database.js';
import { getDatabaseTime } from '../../queries/chats.js';
import { type CompleteRequiresActionInput, storableJsonSchema } from '../../validation/inputs.js';
import { appendMessages, type ChatStateSnapshot, carry, setExecution } from '../chat-snapshot.js';
import { InvalidToolResultsError, NothingPendingError } from '../errors.js';
import {
  CANCELLATION_REASONS,
  cancelOutstandingToolCalls,
  outstandingToolCalls,
  toolResultMessage,
} from '../tool-calls.js';
import type { InsertedMessages } from './worker.js';

/** How long a requires-action chat waits for client tool results by default: 5 minutes of DB time. */
export const REQUIRES_ACTION_TIMEOUT_MS = 5 * 60_000;

/** What `enterRequiresAction` recorded. */
export interface EnterRequiresActionResult {
  /** The calls the client must answer. */
  pending: ToolCallPart[];
  /** When the chat gives up waiting (DB time). */
  deadline: Date;
}

/** `enterRequiresAction`: see {@link ChatTransitions.enterRequiresAction}. */
export async function enterRequiresAction(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: { timeoutMs?: number | undefined } | undefined,
): Promise<EnterRequiresActionResult> {
  const pending = await outstandingToolCalls(tx, chat, { dynamicOnly: true });
  if (pending.length === 0) throw new NothingPendingError('enterRequiresAction');
  const timeoutMs = input?.timeoutMs ?? REQUIRES_ACTION_TIMEOUT_MS;
  const deadline = new Date((await getDatabaseTime(tx)).getTime() + timeoutMs);
  await setExecution(
    tx,
    chat,
    { status: 'requires-action', requiresActionDeadlineAt: deadline },
    carry,
  );
  return { pending, deadline };
}

/** `completeRequiresAction`: see {@link ChatTransitions.completeRequiresAction}. */
export async function completeRequiresAction(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: CompleteRequiresActionInput,
): Promise<InsertedMessages> {
  const calls = await outstandingToolCalls(tx, chat, { dynamicOnly: true });
  const pending = new Map(calls.map((call) => [call.toolCallId, call]));
  const seen = new Set<string>();
  for (const { toolCallId, output } of input.results) {
    if (seen.has(toolCallId)) throw new InvalidToolResultsError(toolCallId, 'duplicate');
    seen.add(toolCallId);
    if (output === undefined || !storableJsonSchema.safeParse(output).success) {
      throw new InvalidToolResultsError(toolCallId, 'invalid-output');
    }
    if (!pending.has(toolCallId)) throw new InvalidToolResultsError(toolCallId, 'not-pending');
  }
  for (const id of pending.keys()) {
    if (!seen.has(id)) throw new InvalidToolResultsError(id, 'missing');
  }

  const modelConfigId = input.modelConfigId ?? chat.row.lastModelConfigId;
  const messages = input.results.map((result) =>
    toolResultMessage(pending.get(result.toolCallId) as ToolCallPart, result.output, {
      isError: result.isError === true,
      createdBy: input.createdBy,
      modelConfigId,
    }),
  );
  const messageIds = await appendMessages(tx, chat.row.id, messages);
  await setExecution(tx, chat, { status: 'running', requiresActionDeadlineAt: null }, carry);
  return { messageIds };
}

/** `cancelRequiresAction`: see {@link ChatTransitions.cancelRequiresAction}. */
export async function cancelRequiresAction(
  tx: Transaction,
  chat: ChatStateSnapshot,
  reason: string = CANCELLATION_REASONS.timedOut,
): Promise<InsertedMessages> {
  const messageIds = await cancelOutstandingToolCalls(tx, chat, reason, { dynamicOnly: true });
  if (messageIds.length === 0) throw new NothingPendingError('cancelRequiresAction');
  await setExecution(tx, chat, { status: 'running', requiresActionDeadlineAt: null }, carry);
  return { messageIds };
}
