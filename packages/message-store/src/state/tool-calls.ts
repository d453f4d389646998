import {
  CHAT_MESSAGE_CONTENT_VERSION,
  type JsonValue,
  type ToolCallPart,
  type ToolResultPart,
} from '@chatd/core';
import type { Transaction } from '../db/database.js';
import { getHistoryTail } from '../queries/messages.js';
import type { ChatMessageRow } from '../schema/rows.js';
import type { NewMessage } from '../validation/inputs.js';
import { appendMessages, type ChatStateSnapshot } from './chat-snapshot.js';

function isToolCall(part: { type: string }): part is ToolCallPart {
  return part.type === 'tool-call';
}

function isToolResult(part: { type: string }): part is ToolResultPart {
  return part.type === 'tool-result';
}

/**
 * Whether a call is client-executed. The part's own `dynamic` flag is what the model step
 * recorded; the chat's declared names cover steps written before the flag was set. Either is
 * enough: treating a client tool as a server one would leave it unanswered forever.
 */
function isDynamicToolCall(call: ToolCallPart, dynamicToolNames: readonly string[]): boolean {
  return call.dynamic === true || dynamicToolNames.includes(call.toolName);
}

/**
 * The tool calls of the chat's last assistant message that have no result yet.
 *
 * A call is answered by a `tool-result` with its id inside that assistant message (results the
 * provider produced) or in a later `tool` message. Provider-executed calls are never counted:
 * their results come from the provider, and nothing here could answer them.
 *
 * @param history - The chat's non-deleted messages in id order (only the tail after the last
 *   assistant message matters).
 * @param options - `dynamicOnly` (default `false`): only client-executed calls, those flagged
 *   `dynamic: true` or whose tool name is among `dynamicToolNames` (the chat's declared
 *   client tools, default `[]`).
 * @returns The outstanding calls in the order the model made them.
 */
export function findOutstandingToolCalls(
  history: readonly Pick<ChatMessageRow, 'role' | 'content'>[],
  options: { dynamicOnly?: boolean; dynamicToolNames?: readonly string[] } = {},
): ToolCallPart[] {
  const { dynamicOnly = false, dynamicToolNames = [] } = options;
  const lastAssistant = history.findLastIndex((message) => message.role === 'assistant');
  const assistant = history[lastAssistant];
  if (assistant === undefined) return [];

  const answered = new Set<string>();
  for (const message of history.slice(lastAssistant)) {
    if (message !== assistant && message.role !== 'tool') continue;
    for (const part of message.content.parts) {
      if (isToolResult(part)) answered.add(part.toolCallId);
    }
  }

  return assistant.content.parts.filter(
    (part): part is ToolCallPart =>
      isToolCall(part) &&
      part.providerExecuted !== true &&
      !answered.has(part.toolCallId) &&
      (!dynamicOnly || isDynamicToolCall(part, dynamicToolNames)),
  );
}

/**
 * The tool message answering `call` with `output` (flagged `dynamic` when the call was), for
 * the chat's model config `modelConfigId` when it has one.
 */
export function toolResultMessage(
  call: ToolCallPart,
  output: JsonValue,
  options: { isError: boolean; createdBy?: string; modelConfigId: string | null | undefined },
): NewMessage {
  const { isError, createdBy, modelConfigId } = options;
  const part: ToolResultPart = {
    type: 'tool-result',
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    output,
  };
  if (isError) part.isError = true;
  if (call.dynamic === true) part.dynamic = true;
  const message: NewMessage = {
    role: 'tool',
    visibility: 'both',
    content: { version: CHAT_MESSAGE_CONTENT_VERSION, parts: [part] },
  };
  if (createdBy !== undefined) message.createdBy = createdBy;
  if (modelConfigId != null) message.modelConfigId = modelConfigId;
  return message;
}

/**
 * Synthetic results that close outstanding tool calls: one tool message per call, marked
 * `isError`, whose output is `reason` (a JSON string), so the model sees why the call ended.
 *
 * @param calls - The calls to cancel, typically from {@link findOutstandingToolCalls}.
 * @param reason - Why they ended, e.g. `Tool execution interrupted by user`.
 * @param modelConfigId - The chat's last model config id, or `null` when it has none.
 */
export function buildCancellationMessages(
  calls: readonly ToolCallPart[],
  reason: string,
  modelConfigId: string | null,
): NewMessage[] {
  return calls.map((call) => toolResultMessage(call, reason, { isError: true, modelConfigId }));
}

/** Reasons written into synthetic cancellation results, one per situation. */
export const CANCELLATION_REASONS = {
  /** A new user message (send, edit, promote, next queued turn) superseded the calls. */
  superseded: 'Tool execution was cancelled because a new message was sent',
  /** The user interrupted. */
  interrupted: 'Tool execution interrupted by user',
  /** The requires-action deadline passed. */
  timedOut: 'Tool execution timed out',
  /** The chat was found in an invalid state and reconciled into `error`. */
  invalidState: 'Tool execution was cancelled because the chat was in an invalid state',
} as const;

/** The outstanding tool calls of the chat's last assistant message. */
export async function outstandingToolCalls(
  tx: Transaction,
  chat: ChatStateSnapshot,
  { dynamicOnly }: { dynamicOnly: boolean },
): Promise<ToolCallPart[]> {
  return findOutstandingToolCalls(await getHistoryTail(tx, chat.row.id), {
    dynamicOnly,
    dynamicToolNames: chat.row.dynamicTools.map((tool) => tool.name),
  });
}

/**
 * Inserts synthetic error results for the outstanding tool calls of the last assistant
 * message (only client-executed ones when `dynamicOnly`).
 * @returns The inserted message ids (empty when nothing was outstanding).
 */
export async function cancelOutstandingToolCalls(
  tx: Transaction,
  chat: ChatStateSnapshot,
  reason: string,
  { dynamicOnly }: { dynamicOnly: boolean },
): Promise<number[]> {
  const calls = await outstandingToolCalls(tx, chat, { dynamicOnly });
  if (calls.length === 0) return [];
  return appendMessages(
    tx,
    chat.row.id,
    buildCancellationMessages(calls, reason, chat.row.lastModelConfigId),
  );
}
