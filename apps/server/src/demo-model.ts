import { createHash } from 'node:crypto';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import type { ToolProvider } from '@chatd/chatd';
import { tool } from 'ai';
import { z } from 'zod';

/** The demo model's configuration id. */
export const DEMO_MODEL_ID = 'demo';
/** The demo tool the demo model calls when asked to roll a dice. */
export const DEMO_TOOL_NAME = 'roll_dice';

const LABEL = '[chatd demo model: offline, canned replies]';

/** The results of the tool calls the prompt ends with, as `name answered value` phrases. */
function lastToolResults(prompt: LanguageModelV3Prompt): string | undefined {
  const message = prompt.at(-1);
  if (message?.role !== 'tool') return undefined;
  return message.content
    .map((part) => {
      if (part.type !== 'tool-result') return '';
      const { output } = part;
      const value =
        output.type === 'json' || output.type === 'text'
          ? JSON.stringify(output.value)
          : JSON.stringify(output);
      return `The ${part.toolName} tool answered ${value}.`;
    })
    .join(' ');
}

function lastUserText(prompt: LanguageModelV3Prompt): string | undefined {
  const message = prompt.at(-1);
  if (message?.role !== 'user') return undefined;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
}

/** The files the prompt's last user message attaches, each as `name (media type)`. */
function lastUserFiles(prompt: LanguageModelV3Prompt): string[] {
  const message = prompt.at(-1);
  if (message?.role !== 'user') return [];
  return message.content.flatMap((part) =>
    part.type === 'file' ? [`${part.filename ?? 'a file'} (${part.mediaType})`] : [],
  );
}

function usage(outputTokens: number) {
  return {
    inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/** A tool call the demo model makes: the dice, or a client tool with the user's question. */
interface PlannedCall {
  toolName: string;
  input: Record<string, unknown>;
}

/** What the demo model answers: a tool call, or the words of a reply. */
function plan(options: LanguageModelV3CallOptions): { call: PlannedCall } | { words: string[] } {
  const toolResults = lastToolResults(options.prompt);
  if (toolResults !== undefined) {
    return {
      words:
        `${LABEL} ${toolResults} That was a real tool call: the model asked for it, the tool answered, chatd committed the result, then streamed this reply.`.split(
          ' ',
        ),
    };
  }
  const text = (lastUserText(options.prompt) ?? '').trim();
  const offered = options.tools ?? [];
  // A tool the chat declared for its client (not the server's dice) answers "ask me".
  const clientTool = offered.find((declared) => declared.name !== DEMO_TOOL_NAME);
  if (clientTool !== undefined && /\bask me\b/i.test(text)) {
    return { call: { toolName: clientTool.name, input: { question: text } } };
  }
  if (
    offered.some((declared) => declared.name === DEMO_TOOL_NAME) &&
    /\b(dice|roll|tool)\b/i.test(text)
  ) {
    return { call: { toolName: DEMO_TOOL_NAME, input: { sides: 6 } } };
  }
  const quoted = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  // Naming the attachments shows that they reached the model.
  const files = lastUserFiles(options.prompt);
  const attached = files.length === 0 ? '' : ` You attached ${files.join(', ')}.`;
  return {
    words:
      `${LABEL} You wrote: "${quoted}".${attached} I stream this reply word by word so you can watch it arrive, interrupt it, or queue a message while I am busy. Ask me to roll a dice to see a tool call. Set OPENAI_API_KEY or OPENAI_COMPATIBLE_BASE_URL for a real model.`.split(
        ' ',
      ),
  };
}

/**
 * chatd's offline demo model: deterministic replies, streamed a word at a time with
 * `delayMs` between words, clearly labelled, a call to the demo tool when the user asks for a
 * dice roll, and a call to the chat's first client tool when the user writes "ask me". Needs
 * no key and no network.
 */
export function demoModel({ delayMs }: { delayMs: number }): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'chatd-demo',
    modelId: DEMO_MODEL_ID,
    supportedUrls: {},
    async doGenerate(options) {
      // Asked for a title: the conversation's first message is the prompt's last line.
      const lines = (lastUserText(options.prompt) ?? '')
        .split('\n')
        .filter((line) => line.trim() !== '');
      const first = (lines.at(-1) ?? 'a chat').trim().split(/\s+/).slice(0, 5);
      return {
        content: [{ type: 'text', text: `Demo: ${first.join(' ')}` }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(5),
        warnings: [],
      };
    },
    async doStream(options) {
      const decided = plan(options);
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          if ('call' in decided) {
            controller.enqueue({
              type: 'tool-call',
              toolCallId: `call_${createHash('sha256').update(String(Date.now())).digest('hex').slice(0, 12)}`,
              toolName: decided.call.toolName,
              input: JSON.stringify(decided.call.input),
            });
            controller.enqueue({
              type: 'finish',
              finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
              usage: usage(8),
            });
            controller.close();
            return;
          }
          controller.enqueue({ type: 'text-start', id: 'reply' });
          for (const [index, word] of decided.words.entries()) {
            if (signal?.aborted) {
              controller.error(signal.reason);
              return;
            }
            controller.enqueue({
              type: 'text-delta',
              id: 'reply',
              delta: index === 0 ? word : ` ${word}`,
            });
            if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
          }
          controller.enqueue({ type: 'text-end', id: 'reply' });
          controller.enqueue({
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(decided.words.length),
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
}

/** The demo tool: a dice roll whose value follows from the call id (deterministic). */
const rollDice = tool({
  description: 'Rolls a dice with the given number of sides.',
  inputSchema: z.object({ sides: z.number().int().min(2).max(100) }),
  execute: async ({ sides }, { toolCallId }) => {
    const digest = createHash('sha256').update(toolCallId).digest();
    return { sides, value: (digest.readUInt32BE(0) % sides) + 1 };
  },
});

/**
 * The demo model's tool, for the demo model only: a real model has no use for a dice, and
 * every tool offered costs its schema in each request.
 */
export const demoTools: ToolProvider = {
  async forTurn({ modelConfigId }) {
    return {
      tools: modelConfigId === DEMO_MODEL_ID ? { [DEMO_TOOL_NAME]: rollDice } : {},
      close() {},
    };
  },
};
