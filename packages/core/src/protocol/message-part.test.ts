import { describe, expect, it } from 'vitest';
import type { ValidationFailedError } from '../errors/core-errors.js';
import { errorOf } from '../testing/index.js';
import {
  CHAT_MESSAGE_CONTENT_VERSION,
  type ChatMessagePart,
  type ProviderMetadata,
  parseChatMessageContent,
  type StoredChatMessagePart,
} from './index.js';
import { chatMessagePartTypes, isKnownChatMessagePart } from './message-part.js';

/** At least one sample of every part type; the mapped type makes a missing type a compile error. */
const samples: {
  [Type in ChatMessagePart['type']]: Extract<ChatMessagePart, { type: Type }>[];
} = {
  text: [
    { type: 'text', text: 'Hello' },
    { type: 'text', text: '' },
  ],
  reasoning: [
    { type: 'reasoning', text: 'Let me think.' },
    {
      type: 'reasoning',
      text: '',
      createdAt: '2026-07-24T10:00:00.000Z',
      completedAt: '2026-07-24T10:00:02.500+02:00',
    },
  ],
  'tool-call': [
    { type: 'tool-call', toolCallId: 'call_1', toolName: 'search', input: { query: 'bug' } },
    {
      type: 'tool-call',
      toolCallId: 'call_2',
      toolName: 'web_search',
      input: null,
      title: 'Web search',
      providerExecuted: true,
      dynamic: false,
    },
    { type: 'tool-call', toolCallId: 'call_3', toolName: 'pick', input: [1, 'a'], dynamic: true },
  ],
  'tool-result': [
    {
      type: 'tool-result',
      toolCallId: 'call_1',
      toolName: 'search',
      output: { results: [{ title: 'x', score: 0.5 }] },
    },
    {
      type: 'tool-result',
      toolCallId: 'call_3',
      toolName: 'pick',
      output: 'user cancelled',
      isError: true,
      providerExecuted: false,
      dynamic: true,
    },
  ],
  file: [
    { type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
    {
      type: 'file',
      mediaType: 'application/pdf',
      url: 'https://files.example.com/report.pdf',
      filename: 'report.pdf',
    },
    { type: 'file', mediaType: 'text/plain; charset=utf-8', url: 'data:text/plain;base64,aGk=' },
  ],
  source: [
    { type: 'source', sourceType: 'url', sourceId: 'src_1', url: 'https://example.com/a' },
    {
      type: 'source',
      sourceType: 'url',
      sourceId: 'src_2',
      url: 'https://example.com/b',
      title: 'B',
    },
    {
      type: 'source',
      sourceType: 'document',
      sourceId: 'src_3',
      mediaType: 'application/pdf',
      title: 'Spec',
      filename: 'spec.pdf',
    },
  ],
  'step-start': [{ type: 'step-start' }],
};

const allSamples: ChatMessagePart[] = Object.values(samples).flat();

/** Metadata with nested JSON, as providers send for reasoning signatures and item ids. */
const providerMetadata: ProviderMetadata = {
  anthropic: { signature: 'EqQBCkYIBRgCKkA', redactedData: null },
  openai: { itemId: 'rs_01', reasoningEncryptedContent: 'gAAAA', nested: { list: [1, true, 'x'] } },
};

function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Parts are validated on write as the parts of content: `parts.0` is the part under test. */
function parsePart(part: unknown): ChatMessagePart | undefined {
  return parseChatMessageContent({ version: CHAT_MESSAGE_CONTENT_VERSION, parts: [part] }).parts[0];
}

function validationError(action: () => unknown): ValidationFailedError {
  const error = errorOf(action);
  expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
  return error as ValidationFailedError;
}

describe('message parts on the write path (parseChatMessageContent)', () => {
  it.each(allSamples.map((part) => [part.type, part] as const))('accepts a %s part', (_, part) => {
    expect(parsePart(part)).toEqual(part);
  });

  it.each(allSamples.map((part) => [part.type, part] as const))(
    'round-trips a %s part through JSON unchanged',
    (_, part) => {
      expect(parsePart(roundTrip(part))).toEqual(part);
    },
  );

  it.each(allSamples.map((part) => [part.type, { ...part, providerMetadata }] as const))(
    'keeps providerMetadata of a %s part through a JSON round trip',
    (_, part) => {
      const parsed = parsePart(roundTrip(part));
      expect(parsed?.providerMetadata).toEqual(providerMetadata);
    },
  );

  it('covers every part type in the samples', () => {
    expect(new Set(allSamples.map((part) => part.type))).toEqual(new Set(chatMessagePartTypes));
  });

  it('rejects an unknown part type, naming the type and the known ones', () => {
    const error = validationError(() => parsePart({ type: 'shell-command' }));
    expect(error.message).toContain('type: unknown part type "shell-command"');
    expect(error.message).toContain('expected one of text, reasoning, tool-call');
    expect(error.issues).toEqual([
      { path: ['parts', 0, 'type'], message: expect.stringContaining('unknown') },
    ]);
  });

  it('rejects a part without a type', () => {
    const error = validationError(() => parsePart({ text: 'hi' }));
    expect(error.issues[0]?.message).toContain('missing part type');
  });

  it('rejects a missing required field, naming its path', () => {
    const error = validationError(() =>
      parsePart({ type: 'tool-call', toolName: 'search', input: {} }),
    );
    expect(error.issues).toEqual([
      {
        path: ['parts', 0, 'toolCallId'],
        message: 'Invalid input: expected string, received undefined',
      },
    ]);
    expect(error.message).toBe(
      'Invalid chat message content: parts.0.toolCallId: Invalid input: expected string, received undefined',
    );
  });

  it('rejects an unknown field rather than stripping it', () => {
    const error = validationError(() =>
      parsePart({ type: 'text', text: 'hi', providerMetaData: {} }),
    );
    expect(error.message).toContain('providerMetaData');
  });

  it('rejects an explicit undefined for an optional field', () => {
    expect(
      errorOf(() => parsePart({ type: 'text', text: 'hi', providerMetadata: undefined })),
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('rejects a tool input that is not JSON, naming the nested path', () => {
    const error = validationError(() =>
      parsePart({
        type: 'tool-call',
        toolCallId: 'call_1',
        toolName: 'search',
        input: { when: new Date(0), list: [1, Number.NaN] },
      }),
    );
    expect(error.issues).toEqual([
      {
        path: ['parts', 0, 'input', 'when'],
        message: 'expected a JSON value, received Date instance',
      },
      { path: ['parts', 0, 'input', 'list', 1], message: 'expected a JSON value, received NaN' },
    ]);
  });

  it('rejects provider metadata that is not an object of objects', () => {
    const error = validationError(() =>
      parsePart({ type: 'text', text: 'hi', providerMetadata: { openai: 'x' } }),
    );
    expect(error.issues[0]?.path).toEqual(['parts', 0, 'providerMetadata', 'openai']);
  });

  it('rejects a file part with neither data nor url', () => {
    const error = validationError(() => parsePart({ type: 'file', mediaType: 'a/b' }));
    expect(error.issues).toEqual([
      { path: ['parts', 0], message: 'expected exactly one of data or url' },
    ]);
  });

  it('rejects a file part with both data and url', () => {
    expect(() =>
      parsePart({
        type: 'file',
        mediaType: 'image/png',
        data: 'AAAA',
        url: 'https://example.com/a.png',
      }),
    ).toThrow('expected exactly one of data or url');
  });

  it('rejects file data that is not base64', () => {
    const error = validationError(() =>
      parsePart({ type: 'file', mediaType: 'image/png', data: 'not base64!' }),
    );
    expect(error.issues[0]).toEqual({
      path: ['parts', 0, 'data'],
      message: 'expected base64-encoded data',
    });
  });

  it('rejects a media type without a subtype', () => {
    const error = validationError(() =>
      parsePart({ type: 'file', mediaType: 'png', url: 'https://example.com/a.png' }),
    );
    expect(error.issues[0]?.path).toEqual(['parts', 0, 'mediaType']);
  });

  it('rejects a relative source url', () => {
    const error = validationError(() =>
      parsePart({ type: 'source', sourceType: 'url', sourceId: 's', url: '/a' }),
    );
    expect(error.issues[0]).toEqual({
      path: ['parts', 0, 'url'],
      message: 'expected an absolute http(s) URL',
    });
  });

  it('rejects a javascript: source url, which clients would put in a link', () => {
    expect(() =>
      parsePart({
        type: 'source',
        sourceType: 'url',
        sourceId: 's',
        url: 'javascript:alert(1)',
      }),
    ).toThrow('url: expected an absolute http(s) URL');
  });

  it('rejects a file url with a scheme clients cannot load', () => {
    expect(() =>
      parsePart({ type: 'file', mediaType: 'image/png', url: 'file:///etc/passwd' }),
    ).toThrow('url: expected an absolute http(s) or data: URL');
  });

  it('rejects an unknown source type', () => {
    const error = validationError(() =>
      parsePart({ type: 'source', sourceType: 'video', sourceId: 's' }),
    );
    expect(error.issues).toEqual([
      {
        path: ['parts', 0, 'sourceType'],
        message: 'unknown source type "video"; expected one of url, document',
      },
    ]);
  });

  it('rejects reasoning timestamps that are not ISO 8601 date-times', () => {
    const error = validationError(() =>
      parsePart({ type: 'reasoning', text: '', createdAt: '2026-07-24' }),
    );
    expect(error.issues[0]?.path).toEqual(['parts', 0, 'createdAt']);
  });

  it('rejects an empty tool call id', () => {
    const error = validationError(() =>
      parsePart({ type: 'tool-call', toolCallId: '', toolName: 'x', input: 1 }),
    );
    expect(error.issues).toEqual([
      { path: ['parts', 0, 'toolCallId'], message: 'expected a non-empty string' },
    ]);
  });
});

describe('isKnownChatMessagePart', () => {
  it('tells known parts from parts of newer types', () => {
    const parts: StoredChatMessagePart[] = [
      { type: 'text', text: 'hi' },
      { type: 'shell-command', command: 'ls' },
    ];
    expect(parts.map(isKnownChatMessagePart)).toEqual([true, false]);
  });
});
