import type { ChatMessage } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { ChatView } from './chat-view.js';
import type { ClientStreamEvent } from './types.js';

const chatId = '00000000-0000-4000-8000-000000000001';
const message = (id: number, text: string, revision = id): ChatMessage => ({
  id,
  chatId,
  role: id % 2 === 1 ? 'user' : 'assistant',
  content: { version: 1, parts: [{ type: 'text', text }] },
  createdAt: '2026-01-01T00:00:00.000Z',
  revision,
});
let cursor = 0;
const at = <E>(event: E) =>
  ({ ...event, chatId, cursor: `c${++cursor}` }) as unknown as ClientStreamEvent;
const delta = (seq: number, text: string, attempt = 1) =>
  at({
    type: 'message-part',
    historyVersion: 1,
    generationAttempt: attempt,
    seq,
    role: 'assistant',
    part: { type: 'text-delta', id: 't', delta: text },
  });
const textStart = (seq: number) =>
  at({
    type: 'message-part',
    historyVersion: 1,
    generationAttempt: 1,
    seq,
    role: 'assistant',
    part: { type: 'text-start', id: 't' },
  });

function replay(events: ClientStreamEvent[]): ChatView {
  const view = new ChatView();
  for (const event of events) view.apply(event);
  return view;
}

describe('ChatView', () => {
  it("keeps the in-flight step's warnings until the preview resets", () => {
    const warning = { message: 'The docs server is unavailable', source: 'docs' };
    const view = replay([
      at({ type: 'preview-reset' }),
      at({
        type: 'message-part',
        historyVersion: 1,
        generationAttempt: 1,
        seq: 1,
        role: 'assistant',
        part: { type: 'data-warning', data: warning },
      }),
      textStart(2),
    ]);
    expect(view.warnings).toEqual([warning]);
    expect(view.preview).toEqual([{ type: 'text', id: 't', text: '', done: false }]);
    view.apply(at({ type: 'preview-reset' }));
    expect(view.warnings).toEqual([]);
  });

  it('builds the in-flight message from its parts, then shows the committed one', () => {
    const view = replay([
      at({ type: 'message', message: message(1, 'hi') }),
      at({ type: 'status', status: 'running' }),
      at({ type: 'preview-reset' }),
      textStart(1),
      delta(2, 'Hel'),
      delta(3, 'lo'),
    ]);
    expect(view.preview).toEqual([{ type: 'text', id: 't', text: 'Hello', done: false }]);
    view.apply(at({ type: 'message', message: message(2, 'Hello') }));
    view.apply(at({ type: 'preview-reset' }));
    view.apply(at({ type: 'status', status: 'waiting' }));
    expect(view.preview).toEqual([]);
    expect(view.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(view.status).toBe('waiting');
    expect(view.cursor).toMatch(/^c\d+$/);
  });

  it('an edit during a turn: history-reset, the rewritten history, a fresh preview', () => {
    const view = replay([
      at({ type: 'message', message: message(1, 'first') }),
      at({ type: 'message', message: message(2, 'answer') }),
      textStart(1),
      delta(2, 'partial'),
      at({ type: 'history-reset' }),
      at({ type: 'message', message: message(3, 'edited') }),
      at({ type: 'preview-reset' }),
    ]);
    expect(view.messages.map((m) => m.content.parts)).toEqual([[{ type: 'text', text: 'edited' }]]);
    expect(view.preview).toEqual([]);
  });

  it('an interrupt: the partial answer is committed and the preview cleared', () => {
    const view = replay([
      at({ type: 'message', message: message(1, 'go') }),
      textStart(1),
      delta(2, 'half an ans'),
      at({ type: 'status', status: 'interrupting' }),
      at({ type: 'message', message: message(2, 'half an ans') }),
      at({ type: 'preview-reset' }),
      at({ type: 'status', status: 'waiting' }),
    ]);
    expect(view.messages.at(-1)?.content.parts).toEqual([{ type: 'text', text: 'half an ans' }]);
    expect(view.preview).toEqual([]);
  });

  it('resumed mid-episode: a delta whose start came before the resume still shows', () => {
    const view = replay([delta(5, 'tail')]);
    expect(view.preview).toEqual([{ type: 'text', id: 't', text: 'tail', done: false }]);
  });

  it('tool calls, a retry countdown, an error, client tool calls and the connection', () => {
    const view = replay([
      at({
        type: 'message-part',
        historyVersion: 1,
        generationAttempt: 1,
        seq: 1,
        role: 'assistant',
        part: { type: 'tool-input-start', toolCallId: 'c1', toolName: 'dice' },
      }),
      at({
        type: 'message-part',
        historyVersion: 1,
        generationAttempt: 1,
        seq: 2,
        role: 'assistant',
        part: { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"sides":6}' },
      }),
      at({
        type: 'message-part',
        historyVersion: 1,
        generationAttempt: 1,
        seq: 3,
        role: 'assistant',
        part: {
          type: 'tool-input-available',
          toolCallId: 'c1',
          toolName: 'dice',
          input: { sides: 6 },
        },
      }),
      at({
        type: 'message-part',
        historyVersion: 2,
        generationAttempt: 1,
        seq: 1,
        role: 'tool',
        part: { type: 'tool-output-available', toolCallId: 'c1', output: { value: 4 } },
      }),
    ]);
    expect(view.preview[0]).toMatchObject({
      type: 'tool',
      toolName: 'dice',
      inputText: '{"sides":6}',
      output: { value: 4 },
      state: 'output-available',
    });
    const error = { message: 'rate limited', kind: 'rate-limit', retryable: true } as const;
    view.apply(
      at({ type: 'retry', attempt: 3, delayMs: 4000, retryAt: '2026-01-01T00:00:04.000Z', error }),
    );
    expect(view.retry).toMatchObject({ attempt: 3, error: { message: 'rate limited' } });
    view.apply(at({ type: 'status', status: 'error' }));
    view.apply(
      at({ type: 'error', error: { message: 'boom', kind: 'generic', retryable: false } }),
    );
    expect(view.retry).toBeUndefined();
    expect(view.error?.message).toBe('boom');
    view.apply(at({ type: 'status', status: 'requires-action' }));
    view.apply(
      at({
        type: 'action-required',
        toolCalls: [{ toolCallId: 'd1', toolName: 'pick', input: {} }],
      }),
    );
    expect(view.error).toBeUndefined();
    expect(view.pendingToolCalls).toHaveLength(1);
    view.apply({
      type: 'connection',
      state: 'reconnecting',
      attempt: 1,
      delayMs: 250,
      reason: 'x',
    });
    expect(view.connection).toEqual({
      state: 'reconnecting',
      attempt: 1,
      delayMs: 250,
      reason: 'x',
    });
  });

  it('keeps the queue as the last queue-update said', () => {
    const queued = {
      id: 7,
      chatId,
      content: { version: 1, parts: [] },
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const view = replay([at({ type: 'queue-update', queuedMessages: [queued] })]);
    expect(view.queue).toEqual([queued]);
  });
});
