import type { ChatStreamPart, ToolCallPart } from '@chatd/core';
import type { StoredPart } from '@chatd/messagepartbuffer';
import { describe, expect, it } from 'vitest';
import { INTERRUPTED_RESULT, recoverInterruptedOutput } from './interrupt-recovery.js';

const at = '2026-12-05T10:00:00.000Z';
const stored = (parts: ChatStreamPart[], role: StoredPart['role'] = 'assistant'): StoredPart[] =>
  parts.map((part, index) => ({ seq: index + 1, role, part }));
const options = { committedCalls: [] as ToolCallPart[], dynamicToolNames: [], interruptedAt: at };

describe('recoverInterruptedOutput', () => {
  it('coalesces the deltas of a text block into one part', () => {
    const messages = recoverInterruptedOutput(
      stored([
        { type: 'start-step' },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Once ' },
        { type: 'text-delta', id: 't', delta: 'upon ' },
        { type: 'text-delta', id: 't', delta: 'a time' },
      ]),
      options,
    );
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: { version: 1, parts: [{ type: 'text', text: 'Once upon a time' }] },
      },
    ]);
  });

  it('keeps reasoning, stamped with the interrupt time, and provider metadata', () => {
    const [message] = recoverInterruptedOutput(
      stored([
        { type: 'reasoning-start', id: 'r', providerMetadata: { anthropic: { signature: 'sig' } } },
        { type: 'reasoning-delta', id: 'r', delta: 'Thinking' },
        { type: 'reasoning-delta', id: 'r', delta: ' hard' },
      ]),
      options,
    );
    expect(message?.content.parts).toEqual([
      {
        type: 'reasoning',
        text: 'Thinking hard',
        createdAt: at,
        completedAt: at,
        providerMetadata: { anthropic: { signature: 'sig' } },
      },
    ]);
  });

  it('keeps a tool call whose input arrived whole and closes it with the interrupted error', () => {
    const messages = recoverInterruptedOutput(
      stored([
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Let me look.' },
        { type: 'tool-input-start', toolCallId: 'c1', toolName: 'search' },
        { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"q":' },
        { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '"oslo"}' },
        {
          type: 'tool-input-available',
          toolCallId: 'c1',
          toolName: 'search',
          input: { q: 'oslo' },
        },
      ]),
      options,
    );
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: {
          version: 1,
          parts: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: { q: 'oslo' } },
          ],
        },
      },
      {
        role: 'tool',
        content: {
          version: 1,
          parts: [
            {
              type: 'tool-result',
              toolCallId: 'c1',
              toolName: 'search',
              output: INTERRUPTED_RESULT,
              isError: true,
            },
          ],
        },
      },
    ]);
  });

  it('drops a call whose streamed input was cut off mid-JSON', () => {
    const messages = recoverInterruptedOutput(
      stored([
        { type: 'tool-input-start', toolCallId: 'c1', toolName: 'search' },
        { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"q": "os' },
      ]),
      options,
    );
    expect(messages).toEqual([]);
  });

  it('keeps the finished results of an interrupted tool batch; only unfinished calls get the error', () => {
    const committedCalls: ToolCallPart[] = [
      { type: 'tool-call', toolCallId: 'a', toolName: 'fast', input: {} },
      { type: 'tool-call', toolCallId: 'b', toolName: 'slow', input: {} },
    ];
    const messages = recoverInterruptedOutput(
      stored([{ type: 'tool-output-available', toolCallId: 'a', output: { ok: true } }], 'tool'),
      { ...options, committedCalls, modelConfigId: 'm' },
    );
    expect(messages).toEqual([
      {
        role: 'tool',
        modelConfigId: 'm',
        content: {
          version: 1,
          parts: [{ type: 'tool-result', toolCallId: 'a', toolName: 'fast', output: { ok: true } }],
        },
      },
      {
        role: 'tool',
        modelConfigId: 'm',
        content: {
          version: 1,
          parts: [
            {
              type: 'tool-result',
              toolCallId: 'b',
              toolName: 'slow',
              output: INTERRUPTED_RESULT,
              isError: true,
            },
          ],
        },
      },
    ]);
  });

  it('leaves client tool calls to the store, and ignores results for calls it does not know', () => {
    const messages = recoverInterruptedOutput(
      stored([
        { type: 'tool-input-available', toolCallId: 'p', toolName: 'pickColor', input: {} },
        { type: 'tool-output-available', toolCallId: 'unknown', output: 1 },
      ]),
      { ...options, dynamicToolNames: ['pickColor'] },
    );
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: {
          version: 1,
          parts: [{ type: 'tool-call', toolCallId: 'p', toolName: 'pickColor', input: {} }],
        },
      },
    ]);
  });
});
