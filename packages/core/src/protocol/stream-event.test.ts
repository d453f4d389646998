import { describe, expect, it } from 'vitest';
import type { ValidationFailedError } from '../errors/core-errors.js';
import { errorOf } from '../testing/index.js';
import {
  type ChatErrorInfo,
  type ChatMessage,
  type ChatStreamEvent,
  parseChatStreamEvent,
} from './index.js';
import { chatStreamEventTypes } from './stream-event.js';

type ChatStreamEventType = ChatStreamEvent['type'];

const error: ChatErrorInfo = {
  message: 'The model provider is overloaded.',
  detail: 'anthropic: 529 overloaded_error',
  kind: 'overloaded',
  provider: 'anthropic',
  retryable: true,
  statusCode: 529,
};

const message: ChatMessage = {
  id: 42,
  chatId: 'chat_1',
  role: 'assistant',
  content: {
    version: 1,
    parts: [
      { type: 'step-start' },
      {
        type: 'reasoning',
        text: 'Thinking',
        providerMetadata: { anthropic: { signature: 'sig' } },
      },
      { type: 'text', text: 'Found 3 issues.' },
    ],
  },
  createdAt: '2026-07-24T10:00:00.000Z',
  revision: 7,
  createdBy: 'user_1',
  modelConfigId: 'model_1',
  usage: {
    inputTokens: 812,
    outputTokens: 41,
    totalTokens: 853,
    reasoningTokens: 12,
    cacheCreationTokens: 0,
    cacheReadTokens: 700,
    contextLimit: 200_000,
  },
};

/** One sample of every event type; the mapped type makes a missing type a compile error. */
const samples: { [Type in ChatStreamEventType]: Extract<ChatStreamEvent, { type: Type }> } = {
  'message-part': {
    type: 'message-part',
    chatId: 'chat_1',
    historyVersion: 7,
    generationAttempt: 1,
    seq: 1,
    role: 'assistant',
    part: { type: 'text-delta', id: 't1', delta: 'Found' },
  },
  message: { type: 'message', chatId: 'chat_1', message },
  status: { type: 'status', chatId: 'chat_1', status: 'requires-action' },
  error: { type: 'error', chatId: 'chat_1', error },
  retry: {
    type: 'retry',
    chatId: 'chat_1',
    attempt: 2,
    delayMs: 4000,
    retryAt: '2026-07-24T10:00:04.000Z',
    error: { message: 'Rate limited.', kind: 'rate-limit', retryable: true },
  },
  'queue-update': {
    type: 'queue-update',
    chatId: 'chat_1',
    queuedMessages: [
      {
        id: 3,
        chatId: 'chat_1',
        content: { version: 1, parts: [{ type: 'text', text: 'and then?' }] },
        createdAt: '2026-07-24T10:00:05.000Z',
        createdBy: 'user_1',
        modelConfigId: 'model_2',
      },
    ],
  },
  'action-required': {
    type: 'action-required',
    chatId: 'chat_1',
    toolCalls: [{ toolCallId: 'call_9', toolName: 'pick_file', input: { glob: '*.ts' } }],
  },
  'preview-reset': { type: 'preview-reset', chatId: 'chat_1' },
  'history-reset': { type: 'history-reset', chatId: 'chat_1' },
};

const allSamples: ChatStreamEvent[] = Object.values(samples);

function validationError(action: () => unknown): ValidationFailedError {
  const caught = errorOf(action);
  expect(caught).toMatchObject({ code: 'VALIDATION_FAILED' });
  return caught as ValidationFailedError;
}

describe('parseChatStreamEvent', () => {
  it.each(allSamples.map((event) => [event.type, event] as const))(
    'accepts a %s event',
    (_, event) => {
      expect(parseChatStreamEvent(event)).toEqual(event);
    },
  );

  it.each(allSamples.map((event) => [event.type, event] as const))(
    'round-trips a %s event through JSON unchanged',
    (_, event) => {
      expect(parseChatStreamEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    },
  );

  it('has a sample of every type of its schema', () => {
    expect(Object.keys(samples)).toEqual([...chatStreamEventTypes]);
  });

  it.each(Object.keys(samples).map((type) => [type as ChatStreamEventType] as const))(
    'requires a chatId on a %s event',
    (type) => {
      const { chatId: _, ...withoutChatId } = samples[type];
      const error = validationError(() => parseChatStreamEvent(withoutChatId));
      expect(error.issues.map((issue) => issue.path)).toEqual([['chatId']]);
    },
  );

  it('accepts the minimal committed message', () => {
    const minimal = {
      type: 'message',
      chatId: 'chat_1',
      message: {
        id: 1,
        chatId: 'chat_1',
        role: 'user',
        content: { version: 1, parts: [] },
        createdAt: '2026-07-24T10:00:00Z',
      },
    };
    expect(parseChatStreamEvent(minimal)).toEqual(minimal);
  });

  it('rejects an unknown event type', () => {
    expect(() => parseChatStreamEvent({ type: 'typing', chatId: 'chat_1' })).toThrow(
      'type: unknown event type "typing"; expected one of message-part, message',
    );
  });

  it('rejects a malformed stream part inside a message-part event, naming the nested path', () => {
    const event = { ...samples['message-part'], part: { type: 'text-delta', id: 't1' } };
    const error = validationError(() => parseChatStreamEvent(event));
    expect(error.message).toContain('part.delta');
    expect(error.issues).toEqual([
      { path: ['part', 'delta'], message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('rejects an unknown status', () => {
    const error = validationError(() =>
      parseChatStreamEvent({ type: 'status', chatId: 'chat_1', status: 'pending' }),
    );
    expect(error.issues[0]?.path).toEqual(['status']);
  });

  it('rejects a seq of zero (sequences start at 1)', () => {
    const error = validationError(() =>
      parseChatStreamEvent({ ...samples['message-part'], seq: 0 }),
    );
    expect(error.issues[0]?.path).toEqual(['seq']);
  });

  it('rejects a fractional message id', () => {
    const error = validationError(() =>
      parseChatStreamEvent({ ...samples.message, message: { ...message, id: 1.5 } }),
    );
    expect(error.issues[0]?.path).toEqual(['message', 'id']);
  });

  it('rejects an unknown error kind on write', () => {
    const failure = validationError(() =>
      parseChatStreamEvent({ ...samples.error, error: { ...error, kind: 'quota' } }),
    );
    expect(failure.issues[0]?.path).toEqual(['error', 'kind']);
  });

  it('rejects a malformed tool call in an action-required event, naming its index', () => {
    const event = {
      ...samples['action-required'],
      toolCalls: [samples['action-required'].toolCalls[0], { toolCallId: 'call_10', input: {} }],
    };
    const error = validationError(() => parseChatStreamEvent(event));
    expect(error.issues.map((issue) => issue.path)).toEqual([['toolCalls', 1, 'toolName']]);
  });

  it('relays a committed message holding a part type from a newer version', () => {
    // Committed content is stored data: a message written by a newer replica must pass through
    // an older server unchanged rather than fail the whole stream.
    const newer = {
      ...samples.message,
      message: {
        ...message,
        content: { version: 2, parts: [{ type: 'shell-command', command: 'ls', exitCode: 0 }] },
      },
    };
    expect(parseChatStreamEvent(newer)).toEqual(newer);
  });

  it('still validates known parts inside a committed message', () => {
    const broken = {
      ...samples.message,
      message: { ...message, content: { version: 1, parts: [{ type: 'text' }] } },
    };
    const error = validationError(() => parseChatStreamEvent(broken));
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['message', 'content', 'parts', 0, 'text'],
    ]);
  });
});
