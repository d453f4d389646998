import type { ChatRow } from '@chatd/message-store';
import { jsonSchema, type ModelMessage, type StepResult, streamText, type ToolSet, tool } from 'ai';
import type { ResolvedModel } from '../models/model-resolver.js';
import type { TurnTools } from '../tools/tool-provider.js';

/** A chat's client tools, as stored. */
type DynamicTools = ChatRow['dynamicTools'];

/** The output limit of a model configuration that sets none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 32_000;

/** One model step's stream, started. */
export interface ModelStep {
  readonly result: ReturnType<typeof streamText<ToolSet>>;
  /**
   * The step as the AI SDK reported it when it finished, while `fullStream` was read (reading
   * `result.steps` afterwards would make the SDK read the whole stream a second time).
   */
  finishedStep(): StepResult<ToolSet> | undefined;
  /** When the request was started (the clock's ms). */
  readonly startedAt: number;
}

/**
 * The tools the model may call: the server's without `execute` (chatd runs them after the
 * call is committed), and the chat's client tools, which the client runs.
 */
export function modelTools(dynamicTools: DynamicTools, turnTools: TurnTools | undefined): ToolSet {
  // A Map, then own properties: a tool may be named `__proto__` or `constructor`.
  const tools = new Map<string, ToolSet[string]>();
  for (const [name, serverTool] of Object.entries(turnTools?.tools ?? {})) {
    const { execute: _execute, ...declaration } = serverTool;
    tools.set(name, declaration as ToolSet[string]);
  }
  for (const declared of dynamicTools) {
    if (tools.has(declared.name)) continue; // the server's wins (see toolWarnings)
    tools.set(
      declared.name,
      tool({
        ...(declared.description === undefined ? {} : { description: declared.description }),
        inputSchema: jsonSchema(declared.inputSchema as Parameters<typeof jsonSchema>[0]),
      }),
    );
  }
  return Object.fromEntries(tools);
}

/**
 * What identifies a step's request besides the model and the server tools: two steps with the
 * same key send the same prompt and declare the same client tools. Object keys are sorted, as
 * the database returns stored JSON with its keys in its own order.
 */
export function requestKey(messages: readonly ModelMessage[], dynamicTools: DynamicTools): string {
  return JSON.stringify([messages, dynamicTools], withSortedKeys);
}

function withSortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Starts streaming one model step; the request goes out without waiting for a reader. */
export function startModelStep(
  resolved: ResolvedModel,
  messages: ModelMessage[],
  tools: ToolSet,
  abortSignal: AbortSignal,
  startedAt: number,
): ModelStep {
  let finished: StepResult<ToolSet> | undefined;
  const result = streamText({
    model: resolved.model,
    messages,
    tools,
    maxOutputTokens: resolved.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    ...(resolved.providerOptions === undefined
      ? {}
      : { providerOptions: resolved.providerOptions }),
    abortSignal,
    // Retries are chatd's: durable, visible to clients, and honouring Retry-After.
    maxRetries: 0,
    onError: () => {},
    onStepFinish: (step) => {
      finished ??= step;
    },
  });
  return { result, finishedStep: () => finished, startedAt };
}
