import type { ChatStreamPart, ToolCallPart } from '@chatd/core';
import { tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { executeToolCalls, resultByteBudget, truncateResult } from './tool-execution.js';

const call = (toolCallId: string, toolName: string, input: unknown = {}): ToolCallPart => ({
  type: 'tool-call',
  toolCallId,
  toolName,
  input: input as never,
});

const runs: string[] = [];
const tools = {
  echo: tool({
    inputSchema: z.object({ text: z.string() }),
    execute: async ({ text }) => {
      runs.push('echo');
      return { text };
    },
  }),
  fail: tool({
    inputSchema: z.object({}),
    execute: async (): Promise<string> => {
      throw new Error('disk full');
    },
  }),
  deep: tool({
    inputSchema: z.object({}),
    execute: async () => {
      let output: unknown = 'bottom';
      for (let level = 0; level < 150; level += 1) output = [output];
      return output;
    },
  }),
  deploy: tool({
    inputSchema: z.object({}),
    execute: async () => {
      runs.push('deploy');
      return 'deployed';
    },
  }),
};

function run(calls: ToolCallPart[], exclusive: string[] = []) {
  const parts: ChatStreamPart[] = [];
  const result = executeToolCalls(calls, {
    tools,
    exclusive,
    contextLimitTokens: undefined,
    signal: new AbortController().signal,
    modelConfigId: 'm',
    onResult: (part) => parts.push(part),
  });
  return { result, parts };
}

describe('executeToolCalls', () => {
  it('keeps an output nested deeper than stored JSON may be as its JSON text', async () => {
    const [message] = await run([call('1', 'deep')]).result;
    const part = message?.content.parts[0] as { output: unknown };
    expect(typeof part.output).toBe('string');
    expect(part.output).toBe(`${'['.repeat(150)}"bottom"${']'.repeat(150)}`);
  });

  it('runs the calls in parallel and returns one tool message per call, in call order', async () => {
    const { result, parts } = run([
      call('1', 'echo', { text: 'hi' }),
      call('2', 'fail'),
      call('3', 'nope'),
    ]);
    const messages = await result;
    expect(messages.map((message) => message.content.parts[0])).toEqual([
      { type: 'tool-result', toolCallId: '1', toolName: 'echo', output: { text: 'hi' } },
      {
        type: 'tool-result',
        toolCallId: '2',
        toolName: 'fail',
        output: 'disk full',
        isError: true,
      },
      {
        type: 'tool-result',
        toolCallId: '3',
        toolName: 'nope',
        output: 'Unknown tool "nope".',
        isError: true,
      },
    ]);
    expect(
      messages.every((message) => message.role === 'tool' && message.modelConfigId === 'm'),
    ).toBe(true);
    expect(parts.map((part) => part.type).sort()).toEqual([
      'tool-output-available',
      'tool-output-error',
      'tool-output-error',
    ]);
  });

  it('refuses every call of a step that mixes an exclusive tool with others, running none', async () => {
    runs.length = 0;
    const { result } = run([call('1', 'deploy'), call('2', 'echo', { text: 'x' })], ['deploy']);
    const messages = await result;
    for (const message of messages) {
      expect(message.content.parts[0]).toMatchObject({
        isError: true,
        output: expect.stringContaining('on its own'),
      });
    }
    expect(runs).toEqual([]);
  });
});

describe('truncateResult', () => {
  it('keeps a result within the budget as it is', () => {
    expect(truncateResult({ a: 1 }, 100)).toEqual({ a: 1 });
  });

  it('cuts a larger one to head and tail around a marker saying how much was cut', () => {
    const output = truncateResult('x'.repeat(10_000), 1000) as string;
    expect(Buffer.byteLength(output)).toBeLessThan(1000);
    expect(output).toMatch(/\[… \d+ bytes of the tool's output cut to fit the context …\]/);
  });

  it('budgets a third of the context window, at least 16 KiB, 64 KiB when unknown', () => {
    expect(resultByteBudget(undefined)).toBe(65_536);
    expect(resultByteBudget(1000)).toBe(16_384);
    expect(resultByteBudget(200_000)).toBe(200_000);
  });
});
