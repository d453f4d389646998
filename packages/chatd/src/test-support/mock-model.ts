import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';

/** One scripted model call: its stream parts, optionally held open until released. */
export interface ScriptedCall {
  /** Parts streamed at once. */
  parts: LanguageModelV3StreamPart[];
  /**
   * When set, the stream stays open after `parts` until this resolves (or the call is
   * aborted), then streams `after` and ends: a model still generating.
   */
  holdUntil?: Promise<void>;
  /** Parts streamed after `holdUntil`. */
  after?: LanguageModelV3StreamPart[];
  /** Throws instead of streaming (a provider error before the first part). */
  error?: unknown;
}

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

/** The parts of a plain text answer, in `pieces` deltas, reporting `inputTokens` of prompt. */
export function textAnswer(
  text: string,
  pieces = 3,
  { inputTokens = 10 }: { inputTokens?: number } = {},
): LanguageModelV3StreamPart[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const deltas: LanguageModelV3StreamPart[] = [];
  for (let index = 0; index < text.length; index += size) {
    deltas.push({ type: 'text-delta', id: 't1', delta: text.slice(index, index + size) });
  }
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't1' },
    ...deltas,
    { type: 'text-end', id: 't1' },
    {
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        ...usage,
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
      },
    },
  ];
}

/** The parts of a step that calls tools. */
export function toolCalls(
  calls: Array<{ toolCallId: string; toolName: string; input: unknown }>,
): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    ...calls.map(
      (call): LanguageModelV3StreamPart => ({
        type: 'tool-call',
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: JSON.stringify(call.input),
      }),
    ),
    { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
  ];
}

/**
 * A mock model answering each streaming call with the next {@link ScriptedCall} (a call with
 * none left answers "done"), and each non-streaming call (titles, compaction summaries) with
 * `generated`.
 */
export function scriptedModel(script: ScriptedCall[], { generated = 'A generated title' } = {}) {
  const model = new MockLanguageModelV3({
    doGenerate: async () => ({
      content: [{ type: 'text', text: generated }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      warnings: [],
    }),
    doStream: async (options) => {
      const call = script.shift() ?? { parts: textAnswer('done') };
      if (call.error !== undefined) throw call.error;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          for (const part of call.parts) controller.enqueue(part);
          if (call.holdUntil !== undefined) {
            const aborted = new Promise<void>((resolve) => {
              if (options.abortSignal?.aborted) resolve();
              options.abortSignal?.addEventListener('abort', () => resolve(), { once: true });
            });
            await Promise.race([call.holdUntil, aborted]);
            if (options.abortSignal?.aborted) {
              controller.error(options.abortSignal.reason);
              return;
            }
            for (const part of call.after ?? []) controller.enqueue(part);
          }
          controller.close();
        },
      });
      return { stream };
    },
  });
  return model;
}
