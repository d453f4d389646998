import {
  findJsonIssues,
  type JsonValue,
  type ToolCallPart,
  type ToolResultPart,
} from '@chatd/core';
import { InvalidToolResultsError, NothingPendingError } from '../errors.js';
import type { StateMessageInsert } from '../state-queries.js';
import { CANCELLATION_REASONS } from '../tool-calls.js';
import type { TransitionScope } from './scope.js';

/** A client's result for one pending tool call. */
export interface ClientToolResult {
  /** The pending call it answers. */
  toolCallId: string;
  /** What the tool returned (any JSON value). */
  output: JsonValue;
  /** Whether the tool failed. @default false */
  isError?: boolean;
}

/** The results a client posts for the chat's pending tool calls. */
export interface CompleteRequiresActionInput {
  /** Who posted them. */
  createdBy: string;
  /** The model config to attribute the tool messages to. @default the chat's last one */
  modelConfigId?: string;
  /** Exactly one result per pending call. */
  results: readonly ClientToolResult[];
}

/** What `enterRequiresAction` recorded. */
export interface EnterRequiresActionResult {
  /** The calls the client must answer. */
  pending: ToolCallPart[];
  /** When the chat gives up waiting (DB time). */
  deadline: Date;
}

/** `enterRequiresAction`: see {@link ChatTransitions.enterRequiresAction}. */
export async function enterRequiresAction(
  scope: TransitionScope,
): Promise<EnterRequiresActionResult> {
  const pending = await scope.outstanding({ dynamicOnly: true });
  if (pending.length === 0) throw new NothingPendingError('enterRequiresAction');
  const deadline = new Date(
    (await scope.q.now()).getTime() + scope.settings.requiresActionTimeoutMs,
  );
  await scope.set(
    { status: 'requires-action', requiresActionDeadlineAt: deadline },
    { carryCompaction: true },
  );
  return { pending, deadline };
}

/** `completeRequiresAction`: see {@link ChatTransitions.completeRequiresAction}. */
export async function completeRequiresAction(
  scope: TransitionScope,
  input: CompleteRequiresActionInput,
): Promise<{ messageIds: number[] }> {
  const pending = new Map(
    (await scope.outstanding({ dynamicOnly: true })).map((call) => [call.toolCallId, call]),
  );
  const seen = new Set<string>();
  for (const result of input.results) {
    if (seen.has(result.toolCallId)) {
      throw new InvalidToolResultsError(result.toolCallId, 'duplicate');
    }
    seen.add(result.toolCallId);
    if (result.output === undefined || findJsonIssues(result.output, 1).length > 0) {
      throw new InvalidToolResultsError(result.toolCallId, 'invalid-output');
    }
    if (!pending.has(result.toolCallId)) {
      throw new InvalidToolResultsError(result.toolCallId, 'not-pending');
    }
  }
  for (const id of pending.keys()) {
    if (!seen.has(id)) throw new InvalidToolResultsError(id, 'missing');
  }

  const modelConfigId = input.modelConfigId ?? scope.row.lastModelConfigId ?? undefined;
  const messages = input.results.map((result): StateMessageInsert => {
    const call = pending.get(result.toolCallId) as ToolCallPart;
    const part: ToolResultPart = {
      type: 'tool-result',
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      output: result.output,
    };
    if (result.isError === true) part.isError = true;
    if (call.dynamic === true) part.dynamic = true;
    const message: StateMessageInsert = {
      role: 'tool',
      visibility: 'both',
      content: { version: 1, parts: [part] },
      createdBy: input.createdBy,
    };
    if (modelConfigId !== undefined) message.modelConfigId = modelConfigId;
    return message;
  });
  const messageIds = await scope.q.insertMessages(scope.chatId, messages);
  await scope.set({ status: 'running', requiresActionDeadlineAt: null }, { carryCompaction: true });
  return { messageIds };
}

/** `cancelRequiresAction`: see {@link ChatTransitions.cancelRequiresAction}. */
export async function cancelRequiresAction(scope: TransitionScope, reason?: string) {
  const messageIds = await scope.cancelOutstanding(reason ?? CANCELLATION_REASONS.timedOut, {
    dynamicOnly: true,
  });
  if (messageIds.length === 0) throw new NothingPendingError('cancelRequiresAction');
  await scope.set({ status: 'running', requiresActionDeadlineAt: null }, { carryCompaction: true });
  return { messageIds };
}
