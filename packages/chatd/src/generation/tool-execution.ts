import type { ChatStreamPart, JsonValue, ToolCallPart, ToolResultPart } from '@chatd/core';
import type { NewMessage } from '@chatd/message-store';
import type { ToolSet } from 'ai';
import { errorText, toJsonValue } from './stream-parts.js';

const MIN_RESULT_BYTES = 16 * 1024;
const UNKNOWN_LIMIT_RESULT_BYTES = 64 * 1024;

/** What {@link executeToolCalls} needs besides the calls. */
export interface ToolExecutionOptions {
  /** The server-side tools, with `execute`. */
  tools: ToolSet;
  /** Tools that must run alone. */
  exclusive: readonly string[];
  /** The model's context window, which bounds each result's size. */
  contextLimitTokens: number | undefined;
  /** Aborts the tools (passed to each `execute`). */
  signal: AbortSignal;
  /** The model configuration the results are attributed to. */
  modelConfigId: string;
  /** Sees each result part as soon as its tool finishes. */
  onResult: (part: ChatStreamPart) => void;
}

/**
 * The most bytes of JSON one tool result may take: a third of the context window (at about
 * three bytes a token), at least 16 KiB, and 64 KiB when the window is unknown.
 */
export function resultByteBudget(contextLimitTokens: number | undefined): number {
  if (contextLimitTokens === undefined || contextLimitTokens <= 0)
    return UNKNOWN_LIMIT_RESULT_BYTES;
  // A third of the window's tokens at three bytes each: as many bytes as the window has tokens.
  return Math.max(MIN_RESULT_BYTES, Math.floor(contextLimitTokens));
}

/**
 * A result small enough for the prompt: one within the budget is returned as it is; a larger
 * one becomes a string of its JSON's head and tail around a marker saying how much was cut, so
 * the model knows the output is incomplete.
 */
export function truncateResult(output: JsonValue, maxBytes: number): JsonValue {
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return output;
  const keep = Math.max(0, Math.floor((maxBytes - 100) / 2));
  const head = Buffer.from(text, 'utf8')
    .subarray(0, keep)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const tail = Buffer.from(text, 'utf8')
    .subarray(bytes - keep)
    .toString('utf8')
    .replace(/^\uFFFD/, '');
  const cut = bytes - Buffer.byteLength(head, 'utf8') - Buffer.byteLength(tail, 'utf8');
  return `${head}\n[… ${cut} bytes of the tool's output cut to fit the context …]\n${tail}`;
}

function resultMessage(part: ToolResultPart, modelConfigId: string): NewMessage {
  return { role: 'tool', content: { version: 1, parts: [part] }, modelConfigId };
}

/**
 * Runs the committed calls of a step in parallel and returns one tool message per call, in
 * call order, to be committed together. A failing tool, an unknown tool name or an abort gives
 * that call an error result; when the step called an exclusive tool together with other
 * tools, every call gets a policy error and none runs.
 */
export async function executeToolCalls(
  calls: readonly ToolCallPart[],
  options: ToolExecutionOptions,
): Promise<NewMessage[]> {
  const budget = resultByteBudget(options.contextLimitTokens);
  const exclusiveCall = calls.find((call) => options.exclusive.includes(call.toolName));
  if (exclusiveCall !== undefined && calls.length > 1) {
    return calls.map((call) => {
      const part = errorResult(
        call,
        `${exclusiveCall.toolName} must be called on its own; no tool of this step was run. Call it again alone.`,
      );
      options.onResult(toStreamPart(part));
      return resultMessage(part, options.modelConfigId);
    });
  }
  const results = await Promise.all(
    calls.map(async (call) => {
      const part = await runOne(call, options, budget);
      // A tool that ended because the task was cancelled did not finish: the interrupt that
      // cancelled it records it as interrupted, rather than with the abort's error.
      if (!options.signal.aborted) options.onResult(toStreamPart(part));
      return resultMessage(part, options.modelConfigId);
    }),
  );
  return results;
}

async function runOne(
  call: ToolCallPart,
  options: ToolExecutionOptions,
  budget: number,
): Promise<ToolResultPart> {
  const tool = options.tools[call.toolName];
  if (tool?.execute === undefined) return errorResult(call, `Unknown tool "${call.toolName}".`);
  try {
    const output = await tool.execute(call.input as never, {
      toolCallId: call.toolCallId,
      messages: [],
      abortSignal: options.signal,
    });
    return {
      type: 'tool-result',
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      output: truncateResult(toJsonValue(await resolveOutput(output)), budget),
    };
  } catch (error) {
    return errorResult(call, errorText(error));
  }
}

/** A tool's `execute` may return a value or an async iterable of partial values (the last wins). */
async function resolveOutput(output: unknown): Promise<unknown> {
  if (output !== null && typeof output === 'object' && Symbol.asyncIterator in output) {
    let last: unknown;
    for await (const value of output as AsyncIterable<unknown>) last = value;
    return last;
  }
  return output;
}

function errorResult(call: ToolCallPart, message: string): ToolResultPart {
  return {
    type: 'tool-result',
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    output: message,
    isError: true,
  };
}

function toStreamPart(part: ToolResultPart): ChatStreamPart {
  return part.isError === true
    ? { type: 'tool-output-error', toolCallId: part.toolCallId, errorText: String(part.output) }
    : { type: 'tool-output-available', toolCallId: part.toolCallId, output: part.output };
}
