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

function lastText(prompt: LanguageModelV3Prompt, role: 'user' | 'tool'): string | undefined {
  const message = prompt.at(-1);
  if (message?.role !== role) return undefined;
  if (role === 'tool') {
    return message.content
      .map((part) => {
        if (part.type !== 'tool-result') return '';
        const { output } = part;
        return output.type === 'json' || output.type === 'text'
          ? JSON.stringify(output.value)
          : JSON.stringify(output);
      })
      .join(' ');
  }
  return (message.content as Array<{ type: string; text?: string }>)
    .map((part) => (part.type === 'text' ? (part.text ?? '') : ''))
    .join(' ');
}

function usage(outputTokens: number) {
  return {
    inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/** What the demo model answers: a tool call, or the words of a reply. */
function plan(options: LanguageModelV3CallOptions): { call: true } | { words: string[] } {
  const toolOutput = lastText(options.prompt, 'tool');
  if (toolOutput !== undefined) {
    return {
      words:
        `${LABEL} The dice tool answered ${toolOutput}. That was a real tool call: the model asked for it, chatd ran it and committed its result, then streamed this reply.`.split(
          ' ',
        ),
    };
  }
  const text = (lastText(options.prompt, 'user') ?? '').trim();
  const offersTool = options.tools?.some((declared) => declared.name === DEMO_TOOL_NAME) ?? false;
  if (offersTool && /\b(dice|roll|tool)\b/i.test(text)) return { call: true };
  const quoted = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return {
    words:
      `${LABEL} You wrote: "${quoted}". I stream this reply word by word so you can watch it arrive, interrupt it, or queue a message while I am busy. Ask me to roll a dice to see a tool call. Set OPENAI_API_KEY or OPENAI_COMPATIBLE_BASE_URL for a real model.`.split(
        ' ',
      ),
  };
}

/**
 * chatd's offline demo model: deterministic replies, streamed a word at a time with
 * `delayMs` between words, clearly labelled, and a call to the demo tool when the user asks
 * for a dice roll. Needs no key and no network.
 */
export function demoModel({ delayMs }: { delayMs: number }): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'chatd-demo',
    modelId: DEMO_MODEL_ID,
    supportedUrls: {},
    async doGenerate(options) {
      // Asked for a title: the conversation's first message is the prompt's last line.
      const lines = (lastText(options.prompt, 'user') ?? '')
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
              toolName: DEMO_TOOL_NAME,
              input: JSON.stringify({ sides: 6 }),
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
export const demoTools: ToolProvider = {
  async forTurn() {
    return {
      tools: {
        [DEMO_TOOL_NAME]: tool({
          description: 'Rolls a dice with the given number of sides.',
          inputSchema: z.object({ sides: z.number().int().min(2).max(100) }),
          execute: async ({ sides }, { toolCallId }) => {
            const digest = createHash('sha256').update(toolCallId).digest();
            return { sides, value: (digest.readUInt32BE(0) % sides) + 1 };
          },
        }),
      },
      close() {},
    };
  },
};
