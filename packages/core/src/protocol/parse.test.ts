import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ValidationFailedError } from '../errors/core-errors.js';
import { errorOf } from '../testing/index.js';
import { hasOnlyUnrecognizedKeys } from './common.js';
import {
  CHAT_MESSAGE_CONTENT_VERSION,
  type ChatMessageContent,
  chatErrorInfoSchema,
  parseChatMessageContent,
  readChatErrorInfo,
  readChatMessageContent,
  readChatStreamEvent,
} from './index.js';
import { isKnownChatMessagePart } from './message-part.js';

function validationError(action: () => unknown): ValidationFailedError {
  const error = errorOf(action);
  expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
  return error as ValidationFailedError;
}

const content: ChatMessageContent = {
  version: CHAT_MESSAGE_CONTENT_VERSION,
  parts: [
    { type: 'step-start' },
    {
      type: 'reasoning',
      text: 'Need to search.',
      createdAt: '2026-07-24T10:00:00.000Z',
      completedAt: '2026-07-24T10:00:01.000Z',
      providerMetadata: { anthropic: { signature: 'EqQBCkYIBRgCKkA' } },
    },
    {
      type: 'tool-call',
      toolCallId: 'call_1',
      toolName: 'search',
      input: { q: 'bug' },
      providerMetadata: { openai: { itemId: 'fc_1' } },
    },
    { type: 'tool-result', toolCallId: 'call_1', toolName: 'search', output: ['a', 'b'] },
    { type: 'text', text: 'Found 2.', providerMetadata: { openai: { itemId: 'msg_1' } } },
  ],
};

describe('parseChatMessageContent', () => {
  it('accepts content of the current version and round-trips it through JSON', () => {
    expect(parseChatMessageContent(JSON.parse(JSON.stringify(content)))).toEqual(content);
  });

  it('names the path and the problem of every invalid part', () => {
    const error = validationError(() =>
      parseChatMessageContent({
        version: 1,
        parts: [
          { type: 'text', text: 'ok' },
          { type: 'tool-call', toolName: 'search', input: {} },
          { type: 'text', text: 3 },
        ],
      }),
    );
    expect(error.message).toContain('Invalid chat message content: ');
    expect(error.message).toContain(
      'parts.1.toolCallId: Invalid input: expected string, received undefined',
    );
    expect(error.issues).toEqual([
      {
        path: ['parts', 1, 'toolCallId'],
        message: 'Invalid input: expected string, received undefined',
      },
      { path: ['parts', 2, 'text'], message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('rejects a part type from a newer version', () => {
    const error = validationError(() =>
      parseChatMessageContent({ version: 1, parts: [{ type: 'shell-command', command: 'ls' }] }),
    );
    expect(error.issues[0]?.path).toEqual(['parts', 0, 'type']);
  });

  it('rejects a content version other than the current one', () => {
    const error = validationError(() => parseChatMessageContent({ version: 2, parts: [] }));
    expect(error.issues).toEqual([{ path: ['version'], message: 'expected content version 1' }]);
  });

  it('rejects a bare array of parts (the version is required)', () => {
    expect(() => parseChatMessageContent([{ type: 'text', text: 'hi' }])).toThrow(
      'Invalid chat message content: (root): Invalid input: expected object, received array',
    );
  });

  it('keeps the zod error as the cause', () => {
    const error = validationError(() => parseChatMessageContent({ version: 1 }));
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });
});

describe('readChatMessageContent', () => {
  it('reads content of the current version like the strict parser', () => {
    expect(readChatMessageContent(JSON.parse(JSON.stringify(content)))).toEqual(content);
  });

  it('keeps a part of an unknown type verbatim and in place among known parts', () => {
    const unknownPart = {
      type: 'shell-command',
      command: 'ls',
      output: { lines: ['a'] },
      exitCode: 0,
    };
    const stored = {
      version: 1,
      parts: [{ type: 'text', text: 'before' }, unknownPart, { type: 'text', text: 'after' }],
    };
    const read = readChatMessageContent(stored);
    expect(read.parts).toEqual(stored.parts);
    expect(read.parts.map(isKnownChatMessagePart)).toEqual([true, false, true]);
  });

  it('writes back exactly what it read, unknown parts and fields included', () => {
    const stored = {
      version: 3,
      summary: 'added by v3',
      parts: [
        { type: 'text', text: 'hi', citations: [1, 2] },
        { type: 'custom', kind: 'openai.compaction', providerMetadata: { openai: { id: 'x' } } },
      ],
    };
    const json = JSON.stringify(stored);
    const read = readChatMessageContent(JSON.parse(json));
    expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(json));
  });

  it('tolerates a newer content version', () => {
    const read = readChatMessageContent({ version: 2, parts: [{ type: 'text', text: 'hi' }] });
    expect(read).toEqual({ version: 2, parts: [{ type: 'text', text: 'hi' }] });
  });

  it('keeps providerMetadata of every known part through a read-write-read cycle', () => {
    const once = readChatMessageContent(JSON.parse(JSON.stringify(content)));
    const twice = readChatMessageContent(JSON.parse(JSON.stringify(once)));
    expect(twice.parts.map((part) => part.providerMetadata)).toEqual(
      content.parts.map((part) => part.providerMetadata),
    );
  });

  it('throws on a malformed part of a known type, naming the path', () => {
    const error = validationError(() =>
      readChatMessageContent({
        version: 2,
        parts: [{ type: 'shell-command' }, { type: 'tool-call', toolCallId: 'c', toolName: 't' }],
      }),
    );
    expect(error.issues).toEqual([
      { path: ['parts', 1, 'input'], message: 'expected a JSON value, received undefined' },
    ]);
  });

  it('throws on a part that is not an object with a string type', () => {
    const error = validationError(() =>
      readChatMessageContent({ version: 1, parts: [{ type: 7 }] }),
    );
    expect(error.issues[0]?.path).toEqual(['parts', 0, 'type']);
  });

  it('throws on a missing or non-positive version', () => {
    expect(() => readChatMessageContent({ parts: [] })).toThrow('version');
    expect(() => readChatMessageContent({ version: 0, parts: [] })).toThrow('version');
  });
});

describe('readChatStreamEvent', () => {
  const envelope = {
    type: 'message-part',
    chatId: 'chat_1',
    historyVersion: 3,
    generationAttempt: 1,
    seq: 5,
    role: 'assistant',
  };

  it('reads a known event like the strict parser', () => {
    const event = { ...envelope, part: { type: 'text-delta', id: 't1', delta: 'x' } };
    expect(readChatStreamEvent(event)).toEqual(event);
  });

  it('reports an unknown event type as unrecognized instead of failing', () => {
    const raw = { type: 'typing', chatId: 'chat_1', userId: 'u' };
    expect(readChatStreamEvent(raw)).toEqual({
      type: 'unrecognized',
      reason: 'unknown-event-type',
      raw,
    });
  });

  it('reports a message-part with an unknown stream part type as unrecognized, seq intact', () => {
    const raw = { ...envelope, part: { type: 'reasoning-file', url: 'data:,', mediaType: 'a/b' } };
    const read = readChatStreamEvent(raw);
    expect(read).toEqual({ type: 'unrecognized', reason: 'unknown-part-type', raw });
    expect(read.type === 'unrecognized' && read.raw.seq).toBe(5);
  });

  it('still validates the envelope of a message-part with an unknown part type', () => {
    const error = validationError(() =>
      readChatStreamEvent({ ...envelope, seq: -1, part: { type: 'reset-step' } }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([['seq']]);
  });

  it('reports an unknown status as unrecognized', () => {
    const raw = { type: 'status', chatId: 'chat_1', status: 'paused' };
    expect(readChatStreamEvent(raw)).toEqual({
      type: 'unrecognized',
      reason: 'unknown-status',
      raw,
    });
  });

  it('reads an unknown error kind as generic', () => {
    const read = readChatStreamEvent({
      type: 'retry',
      chatId: 'chat_1',
      attempt: 1,
      delayMs: 100,
      retryAt: '2026-07-24T10:00:00Z',
      error: { message: 'Quota exceeded.', kind: 'quota', retryable: true },
    });
    expect(read.type === 'retry' && read.error.kind).toBe('generic');
  });

  it('keeps unknown fields of a known event', () => {
    const event = {
      type: 'preview-reset',
      chatId: 'chat_1',
      historyVersion: 9,
    };
    expect(readChatStreamEvent(event)).toEqual(event);
  });

  it('reads a committed message with unknown parts and fields', () => {
    const event = {
      type: 'message',
      chatId: 'chat_1',
      message: {
        id: 1,
        chatId: 'chat_1',
        role: 'assistant',
        content: { version: 2, parts: [{ type: 'text', text: 'hi', lang: 'en' }, { type: 'x' }] },
        createdAt: '2026-07-24T10:00:00Z',
        pinned: true,
      },
    };
    expect(readChatStreamEvent(event)).toEqual(event);
  });

  it('throws on a malformed event of a known type', () => {
    const error = validationError(() =>
      readChatStreamEvent({ ...envelope, part: { type: 'text-delta', id: 't1' }, extra: 1 }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([['part', 'delta']]);
  });

  it('throws on a value that is not an event object', () => {
    expect(() => readChatStreamEvent('status')).toThrow('Invalid chat stream event');
    expect(() => readChatStreamEvent({ chatId: 'chat_1' })).toThrow('missing event type');
  });
});

describe('chatErrorInfoSchema and readChatErrorInfo', () => {
  const info = {
    message: 'Too many requests.',
    kind: 'rate-limit',
    retryable: true,
    statusCode: 429,
  };

  /** The paths the strict write-path schema rejects. */
  function rejectedPaths(value: unknown): PropertyKey[][] {
    return chatErrorInfoSchema.safeParse(value).error?.issues.map((issue) => issue.path) ?? [];
  }

  it('accepts a minimal error info', () => {
    const minimal = { message: 'Failed.', kind: 'generic', retryable: false };
    expect(chatErrorInfoSchema.parse(minimal)).toEqual(minimal);
  });

  it('rejects an unknown kind on write', () => {
    expect(rejectedPaths({ ...info, kind: 'quota' })).toEqual([['kind']]);
  });

  it('rejects a status code outside 100-599', () => {
    expect(rejectedPaths({ ...info, statusCode: 42 })).toEqual([['statusCode']]);
  });

  it('rejects an empty message', () => {
    expect(rejectedPaths({ ...info, message: '' })).toEqual([['message']]);
  });

  it('rejects an unknown field on write', () => {
    expect(chatErrorInfoSchema.safeParse({ ...info, requestId: 'req_1' }).success).toBe(false);
  });

  it('reads an unknown kind as generic and keeps unknown fields', () => {
    expect(readChatErrorInfo({ ...info, kind: 'quota', requestId: 'req_1' })).toEqual({
      ...info,
      kind: 'generic',
      requestId: 'req_1',
    });
  });

  it('still rejects a missing retryable on read', () => {
    const { retryable: _, ...withoutRetryable } = info;
    const error = validationError(() => readChatErrorInfo(withoutRetryable));
    expect(error.issues.map((issue) => issue.path)).toEqual([['retryable']]);
  });
});

describe('tolerant reads rely on zod running every check next to unrecognized keys', () => {
  // `read*` accepts a value whose only issues are `unrecognized_keys`. That is safe only if zod
  // still runs the other checks (field types, object refinements) when it finds unknown keys;
  // this pins that behaviour so a zod upgrade that changes it fails here first.
  const schema = z
    .strictObject({ a: z.string().exactOptional(), b: z.string().exactOptional() })
    .refine((value) => value.a !== undefined || value.b !== undefined, { message: 'a or b' });

  it('reports a failed refinement alongside an unknown key', () => {
    const result = schema.safeParse({ extra: 1 });
    expect(result.error?.issues.map((issue) => issue.code)).toEqual([
      'unrecognized_keys',
      'custom',
    ]);
    expect(hasOnlyUnrecognizedKeys(result.error?.issues ?? [])).toBe(false);
  });

  it('reports a wrong field type alongside an unknown key', () => {
    const result = schema.safeParse({ a: 1, extra: 1 });
    expect(hasOnlyUnrecognizedKeys(result.error?.issues ?? [])).toBe(false);
  });

  it('reports only the unknown key when everything else is valid', () => {
    const result = schema.safeParse({ a: 'x', extra: 1 });
    expect(hasOnlyUnrecognizedKeys(result.error?.issues ?? [])).toBe(true);
  });
});
