import type { ChatMessage, ChatStreamEvent, ChatStreamPart } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import type { ClientStreamEvent } from './types.js';
import { toUiMessageChunks, turnOfQueuedMessage, type UiMessageChunk } from './ui-chunks.js';

const chatId = '00000000-0000-4000-8000-000000000001';
const event = (value: Record<string, unknown>) => ({ ...value, chatId }) as ChatStreamEvent;
const part = (seq: number, streamed: ChatStreamPart) =>
  event({
    type: 'message-part',
    historyVersion: 1,
    generationAttempt: 1,
    seq,
    role: 'assistant',
    part: streamed,
  });
const committed = (
  id: number,
  role: ChatMessage['role'],
  parts: ChatMessage['content']['parts'],
): ChatStreamEvent =>
  event({
    type: 'message',
    message: {
      id,
      chatId,
      role,
      content: { version: 1, parts },
      createdAt: '2026-01-01T00:00:00.000Z',
      revision: id,
    },
  });
const status = (value: string) => event({ type: 'status', status: value });

async function chunksOf(
  events: Array<ChatStreamEvent | ClientStreamEvent>,
  errorText = 'unused',
): Promise<UiMessageChunk[]> {
  async function* source() {
    yield* events;
  }
  const chunks: UiMessageChunk[] = [];
  for await (const chunk of toUiMessageChunks(source(), {
    messageId: 'm1',
    errorText: async () => errorText,
  })) {
    chunks.push(chunk);
  }
  return chunks;
}

describe('toUiMessageChunks', () => {
  it('passes streamed parts through and does not repeat the message they were committed as', async () => {
    expect(
      await chunksOf([
        { type: 'connection', state: 'open' },
        committed(1, 'user', [{ type: 'text', text: 'hi' }]),
        event({ type: 'queue-update', queuedMessages: [] }),
        part(1, { type: 'start-step' }),
        part(2, { type: 'text-start', id: 't' }),
        part(3, { type: 'text-delta', id: 't', delta: 'Hello' }),
        part(4, { type: 'text-end', id: 't' }),
        part(5, { type: 'finish-step' }),
        committed(2, 'assistant', [{ type: 'text', text: 'Hello' }]),
        status('waiting'),
        part(6, { type: 'text-delta', id: 'late', delta: 'never read' }),
      ]),
    ).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Hello' },
      { type: 'text-end', id: 't' },
      { type: 'finish-step' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('shows committed steps it did not see streamed as whole chunks (a late subscriber)', async () => {
    expect(
      await chunksOf([
        committed(2, 'assistant', [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'pick', input: {}, dynamic: true },
        ]),
        committed(3, 'tool', [
          {
            type: 'tool-result',
            toolCallId: 'c1',
            toolName: 'pick',
            output: 'no such option',
            isError: true,
          },
        ]),
        status('requires-action'),
      ]),
    ).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      {
        type: 'tool-input-available',
        toolCallId: 'c1',
        toolName: 'pick',
        input: {},
        dynamic: true,
      },
      { type: 'finish-step' },
      { type: 'tool-output-error', toolCallId: 'c1', errorText: 'no such option' },
      { type: 'finish', finishReason: 'tool-calls' },
    ]);
  });

  it('closes an open step and ends with the chat error when the turn fails', async () => {
    expect(
      await chunksOf(
        [
          part(1, { type: 'start-step' }),
          part(2, { type: 'reasoning-start', id: 'r' }),
          status('error'),
        ],
        'The provider refused the key',
      ),
    ).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      { type: 'reasoning-start', id: 'r' },
      { type: 'finish-step' },
      { type: 'error', errorText: 'The provider refused the key' },
    ]);
  });

  it('keeps going through running and interrupting, and ends when the events end', async () => {
    expect(
      await chunksOf([status('running'), status('interrupting'), part(1, { type: 'start-step' })]),
    ).toEqual([{ type: 'start', messageId: 'm1' }, { type: 'start-step' }]);
  });

  it('marks an interrupted reply aborted before it finishes', async () => {
    expect(
      await chunksOf([
        part(1, { type: 'start-step' }),
        part(2, { type: 'text-start', id: 't' }),
        status('interrupting'),
        committed(2, 'assistant', [{ type: 'text', text: 'Partial' }]),
        status('waiting'),
      ]),
    ).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      { type: 'text-start', id: 't' },
      { type: 'finish-step' },
      { type: 'abort' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });
});

describe('turnOfQueuedMessage', () => {
  const queued = (ids: number[]) =>
    event({
      type: 'queue-update',
      queuedMessages: ids.map((id) => ({
        id,
        chatId,
        content: { version: 1, parts: [{ type: 'text', text: 'second' }] },
        createdAt: '2026-01-01T00:00:00.000Z',
      })),
    });

  async function select(events: ChatStreamEvent[]) {
    async function* source() {
      yield* events;
    }
    const selected: ChatStreamEvent[] = [];
    for await (const selectedEvent of turnOfQueuedMessage(source(), {
      queuedId: 9,
      text: 'second',
      afterMessageId: 1,
    })) {
      selected.push(selectedEvent);
    }
    return selected;
  }

  it('skips the turn running before it and starts at its own user message', async () => {
    const ours = committed(3, 'user', [{ type: 'text', text: 'second' }]);
    const reply = part(1, { type: 'text-delta', id: 't', delta: 'Answer' });
    expect(
      await select([
        queued([9]),
        part(5, { type: 'text-delta', id: 'x', delta: 'earlier turn' }),
        committed(2, 'assistant', [{ type: 'text', text: 'earlier turn' }]),
        status('waiting'),
        ours,
        queued([]),
        reply,
        status('waiting'),
      ]),
    ).toEqual([ours, queued([]), reply, status('waiting')]);
  });

  it('with toUiMessageChunks, names the assistant message after the user message the queued one became', async () => {
    async function* source() {
      yield* [
        queued([9]),
        part(5, { type: 'text-delta', id: 'x', delta: 'earlier turn' }),
        status('waiting'),
        committed(3, 'user', [{ type: 'text', text: 'second' }]),
        queued([]),
        part(1, { type: 'text-delta', id: 't', delta: 'Answer' }),
        status('waiting'),
      ];
    }
    const chunks: UiMessageChunk[] = [];
    const events = turnOfQueuedMessage(source(), {
      queuedId: 9,
      text: 'second',
      afterMessageId: 1,
    });
    for await (const chunk of toUiMessageChunks(events, {
      messageId: (userMessageId) => `turn-${userMessageId}`,
      errorText: async () => 'unused',
    })) {
      chunks.push(chunk);
    }
    expect(chunks).toEqual([
      { type: 'start', messageId: 'turn-3' },
      { type: 'text-delta', id: 't', delta: 'Answer' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('does not take a same-text message while its own is still queued', async () => {
    const lookalike = committed(2, 'user', [{ type: 'text', text: 'second' }]);
    const ours = committed(3, 'user', [{ type: 'text', text: 'second' }]);
    expect(await select([lookalike, queued([9]), ours, queued([])])).toEqual([ours, queued([])]);
  });
});
