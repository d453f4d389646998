import type { ToolCallPart } from '@chatd/core';
import { type ChatMessageRow, findOutstandingToolCalls } from '@chatd/message-store';

/** The name of the tool call that stands for a compaction in the transcript. */
export const COMPACTION_TOOL_NAME = 'chat_summarized';

/** What the next step of a turn is. */
export type GenerationDecision =
  | { action: 'execute-tools'; calls: ToolCallPart[] }
  | { action: 'requires-action' }
  | { action: 'compact'; source: 'manual' | 'automatic' }
  | { action: 'finish'; reason: 'complete' | 'stop-after-tool' | 'max-steps' }
  | { action: 'fail'; message: string }
  | { action: 'generate' };

/** What {@link decide} reads of a committed message. */
export type DecisionMessage = Pick<
  ChatMessageRow,
  | 'role'
  | 'content'
  | 'compressed'
  | 'inputTokens'
  | 'cacheReadTokens'
  | 'cacheWriteTokens'
  | 'totalTokens'
>;

/** What {@link decide} reads besides the history. */
export interface DecisionInput {
  /** The chat's prompt history: non-deleted, model-visible messages in id order. */
  history: readonly DecisionMessage[];
  /** The chat's declared client-executed tools. */
  dynamicToolNames: readonly string[];
  /** Tools that must run alone (a policy error for every call of a step that mixes them). */
  exclusiveToolNames: readonly string[];
  /** Tools whose successful result ends the turn. */
  stopAfterToolNames: readonly string[];
  /** Whether a manual compaction was requested. */
  compactionRequested: boolean;
  /** Model steps after the latest user message before the turn ends. */
  maxSteps: number;
  /** The model's context window; unknown turns automatic compaction off. */
  contextLimitTokens: number | undefined;
  /** Compact at this percentage of the context window; 100 turns it off. */
  compactionThresholdPercent: number;
}

/** Tokens a step's prompt took: input including cache reads and writes, else the total. */
export function contextTokens(message: DecisionMessage): number | undefined {
  const cached = (message.cacheReadTokens ?? 0) + (message.cacheWriteTokens ?? 0);
  if (message.inputTokens !== null) return message.inputTokens + cached;
  return message.totalTokens ?? undefined;
}

/** Whether a model step came after the latest compaction (else compacting changes nothing). */
export function hasSomethingToCompact(history: readonly DecisionMessage[]): boolean {
  const boundary = history.findLastIndex((message) => message.compressed);
  return history.slice(boundary + 1).some((message) => message.role === 'assistant');
}

function hasToolCalls(message: DecisionMessage): boolean {
  return message.content.parts.some(
    (part) => part.type === 'tool-call' && (part as ToolCallPart).providerExecuted !== true,
  );
}

/**
 * Decides the next step of a running turn from the committed history, in a fixed order:
 * 1. calls of the last assistant message without a result: run the server-side ones (when an
 *    exclusive tool is among them, the client-side calls join the batch so the policy refuses
 *    them all); 2. only client-side calls: wait for the client (requires-action); 3. a manual
 *    compaction request, when there is something new to compact; 4. a stop-after tool
 *    succeeded since the latest user message: finish; 5. the last message is an assistant
 *    message without calls: finish; 6. `maxSteps` assistant steps since the latest user
 *    message: finish; 7. compact when the context is over the threshold, fail when even a
 *    fresh compaction is over it, else generate.
 *
 * Compressed messages (a compaction's summary) are not steps of the conversation: they are
 * skipped by every rule except the compaction ones, which use the latest as the boundary.
 */
export function decide(input: DecisionInput): GenerationDecision {
  const { history } = input;
  const active = history.filter((message) => !message.compressed);

  const outstanding = findOutstandingToolCalls(active, {
    dynamicToolNames: input.dynamicToolNames,
  });
  const isDynamic = (call: ToolCallPart) =>
    call.dynamic === true || input.dynamicToolNames.includes(call.toolName);
  const local = outstanding.filter((call) => !isDynamic(call));
  if (local.length > 0) {
    const exclusive = local.some((call) => input.exclusiveToolNames.includes(call.toolName));
    return { action: 'execute-tools', calls: exclusive ? outstanding : local };
  }
  if (outstanding.length > 0) return { action: 'requires-action' };

  const boundary = history.findLastIndex((message) => message.compressed);
  const afterBoundary = history.slice(boundary + 1);
  if (input.compactionRequested && hasSomethingToCompact(history)) {
    return { action: 'compact', source: 'manual' };
  }

  const lastUser = active.findLastIndex((message) => message.role === 'user');
  const sinceUser = active.slice(lastUser + 1);
  if (stopAfterToolSucceeded(sinceUser, input.stopAfterToolNames)) {
    return { action: 'finish', reason: 'stop-after-tool' };
  }
  const last = active.at(-1);
  if (last?.role === 'assistant' && !hasToolCalls(last)) {
    return { action: 'finish', reason: 'complete' };
  }
  if (sinceUser.filter((message) => message.role === 'assistant').length >= input.maxSteps) {
    return { action: 'finish', reason: 'max-steps' };
  }

  const limit = input.contextLimitTokens;
  const threshold = input.compactionThresholdPercent;
  if (limit === undefined || limit <= 0 || threshold >= 100) return { action: 'generate' };
  const overThreshold = (message: DecisionMessage) => {
    const tokens = contextTokens(message);
    return tokens !== undefined && tokens >= (threshold / 100) * limit;
  };
  // Only usage after the latest compaction counts: older steps describe a prompt that no
  // longer exists.
  const measured = afterBoundary.filter(
    (message) => !message.compressed && contextTokens(message) !== undefined,
  );
  const latest = measured.at(-1);
  if (latest === undefined || !overThreshold(latest)) return { action: 'generate' };
  if (boundary === -1) return { action: 'compact', source: 'automatic' };
  const firstAfterCompaction = measured.find((message) => message.role === 'assistant');
  if (firstAfterCompaction !== undefined && overThreshold(firstAfterCompaction)) {
    return {
      action: 'fail',
      message:
        'Compaction could not bring the conversation under the context limit: raise the limit or start a new conversation.',
    };
  }
  return { action: 'compact', source: 'automatic' };
}

function stopAfterToolSucceeded(
  messages: readonly DecisionMessage[],
  stopAfterToolNames: readonly string[],
): boolean {
  if (stopAfterToolNames.length === 0) return false;
  return messages.some(
    (message) =>
      message.role === 'tool' &&
      message.content.parts.some(
        (part) =>
          part.type === 'tool-result' &&
          stopAfterToolNames.includes((part as { toolName: string }).toolName) &&
          (part as { isError?: boolean }).isError !== true,
      ),
  );
}
