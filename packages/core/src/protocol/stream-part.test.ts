import { describe, expect, it } from 'vitest';
import type { ValidationFailedError } from '../errors/core-errors.js';
import { errorOf } from '../testing/index.js';
import { type ChatStreamPart, parseChatStreamEvent } from './index.js';
import { chatStreamPartSchema, chatStreamPartTypes } from './stream-part.js';

type ChatStreamPartType = ChatStreamPart['type'];

/**
 * Every AI SDK UI message stream chunk type of `ai@7.0.77` (`UIMessageChunk` in
 * `packages/ai/src/ui-message-stream/ui-message-chunks.ts`; `data-<name>` stands for the
 * `data-*` family).
 */
const AI_SDK_CHUNK_TYPES = new Set([
  'start',
  'start-step',
  'text-start',
  'text-delta',
  'text-end',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-available',
  'tool-input-error',
  'tool-approval-request',
  'tool-approval-response',
  'tool-output-available',
  'tool-output-error',
  'tool-output-denied',
  'source-url',
  'source-document',
  'file',
  'reasoning-file',
  'custom',
  'data-<name>',
  'message-metadata',
  'finish-step',
  'reset-step',
  'finish',
  'abort',
  'error',
]);

/**
 * The AI SDK fields of each chunk we mirror, `true` when required, from the same file.
 * `toolMetadata` (v7 only) is left out on purpose: it exists in one major only.
 */
const AI_SDK_CHUNK_FIELDS: Record<ChatStreamPartType, Record<string, boolean>> = {
  'text-start': { id: true, providerMetadata: false },
  'text-delta': { id: true, delta: true, providerMetadata: false },
  'text-end': { id: true, providerMetadata: false },
  'reasoning-start': { id: true, providerMetadata: false },
  'reasoning-delta': { id: true, delta: true, providerMetadata: false },
  'reasoning-end': { id: true, providerMetadata: false },
  'tool-input-start': {
    toolCallId: true,
    toolName: true,
    providerExecuted: false,
    providerMetadata: false,
    dynamic: false,
    title: false,
  },
  'tool-input-delta': { toolCallId: true, inputTextDelta: true },
  'tool-input-available': {
    toolCallId: true,
    toolName: true,
    input: true,
    providerExecuted: false,
    providerMetadata: false,
    dynamic: false,
    title: false,
  },
  'tool-output-available': {
    toolCallId: true,
    output: true,
    providerExecuted: false,
    providerMetadata: false,
    dynamic: false,
    preliminary: false,
  },
  'tool-output-error': {
    toolCallId: true,
    errorText: true,
    providerExecuted: false,
    providerMetadata: false,
    dynamic: false,
  },
  file: { url: true, mediaType: true, providerMetadata: false },
  'source-url': { sourceId: true, url: true, title: false, providerMetadata: false },
  'source-document': {
    sourceId: true,
    mediaType: true,
    title: true,
    filename: false,
    providerMetadata: false,
  },
  'start-step': {},
  'finish-step': {},
  // A data part: `data` is the AI SDK's only required field (`id` and `transient` are unused).
  'data-warning': { data: true },
};

const providerMetadata = { anthropic: { signature: 'sig' }, openai: { itemId: 'rs_1' } };

/** One sample of every stream part type with every field set. */
const fullSamples: { [Type in ChatStreamPartType]: Extract<ChatStreamPart, { type: Type }> } = {
  'text-start': { type: 'text-start', id: 't1', providerMetadata },
  'text-delta': { type: 'text-delta', id: 't1', delta: 'Hel', providerMetadata },
  'text-end': { type: 'text-end', id: 't1', providerMetadata },
  'reasoning-start': { type: 'reasoning-start', id: 'r1', providerMetadata },
  'reasoning-delta': { type: 'reasoning-delta', id: 'r1', delta: 'Hmm', providerMetadata },
  'reasoning-end': { type: 'reasoning-end', id: 'r1', providerMetadata },
  'tool-input-start': {
    type: 'tool-input-start',
    toolCallId: 'call_1',
    toolName: 'github__search',
    providerExecuted: false,
    providerMetadata,
    dynamic: true,
    title: 'Search GitHub',
  },
  'tool-input-delta': { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"q":' },
  'tool-input-available': {
    type: 'tool-input-available',
    toolCallId: 'call_1',
    toolName: 'github__search',
    input: { q: 'bug' },
    providerExecuted: false,
    providerMetadata,
    dynamic: true,
    title: 'Search GitHub',
  },
  'tool-output-available': {
    type: 'tool-output-available',
    toolCallId: 'call_1',
    output: { content: [{ type: 'text', text: '3 results' }] },
    providerExecuted: false,
    providerMetadata,
    dynamic: true,
    preliminary: false,
  },
  'tool-output-error': {
    type: 'tool-output-error',
    toolCallId: 'call_1',
    errorText: 'rate limited',
    providerExecuted: false,
    providerMetadata,
    dynamic: true,
  },
  file: {
    type: 'file',
    url: 'data:image/png;base64,iVBORw0KGgo=',
    mediaType: 'image/png',
    providerMetadata,
  },
  'source-url': {
    type: 'source-url',
    sourceId: 's1',
    url: 'https://example.com',
    title: 'Example',
    providerMetadata,
  },
  'source-document': {
    type: 'source-document',
    sourceId: 's2',
    mediaType: 'application/pdf',
    title: 'Spec',
    filename: 'spec.pdf',
    providerMetadata,
  },
  'start-step': { type: 'start-step' },
  'finish-step': { type: 'finish-step' },
  'data-warning': {
    type: 'data-warning',
    data: { message: 'The MCP server docs is unavailable', source: 'docs' },
  },
};

const samples = Object.values(fullSamples);

function without(part: ChatStreamPart, field: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...part };
  delete copy[field];
  return copy;
}

describe('ChatStreamPart', () => {
  it('uses only chunk types from the AI SDK vocabulary', () => {
    const family = (type: string) => (type.startsWith('data-') ? 'data-<name>' : type);
    expect(chatStreamPartTypes.filter((type) => !AI_SDK_CHUNK_TYPES.has(family(type)))).toEqual([]);
  });

  it('has a sample and an AI SDK field list for every type of its schema', () => {
    expect(Object.keys(fullSamples)).toEqual([...chatStreamPartTypes]);
    expect(Object.keys(AI_SDK_CHUNK_FIELDS)).toEqual([...chatStreamPartTypes]);
  });

  it.each(Object.keys(AI_SDK_CHUNK_FIELDS).map((type) => [type as ChatStreamPartType] as const))(
    'gives %s exactly the AI SDK field names',
    (type) => {
      const option = chatStreamPartSchema.options.find(
        (candidate) => candidate.shape.type.value === type,
      );
      const fields = Object.keys(option?.shape ?? {}).filter((field) => field !== 'type');
      expect(fields.sort()).toEqual(Object.keys(AI_SDK_CHUNK_FIELDS[type]).sort());
    },
  );

  it.each(Object.keys(AI_SDK_CHUNK_FIELDS).map((type) => [type as ChatStreamPartType] as const))(
    'gives %s the AI SDK optionality',
    (type) => {
      // Drop one field at a time from a complete sample: parsing must fail exactly for the
      // fields the AI SDK requires.
      const required = Object.keys(AI_SDK_CHUNK_FIELDS[type]).map((field) => [
        field,
        !chatStreamPartSchema.safeParse(without(fullSamples[type], field)).success,
      ]);
      expect(Object.fromEntries(required)).toEqual(AI_SDK_CHUNK_FIELDS[type]);
    },
  );
});

/** Stream parts are validated on write inside `message-part` events: `part` is the part under test. */
function parsePart(part: unknown): ChatStreamPart {
  const event = parseChatStreamEvent({
    type: 'message-part',
    chatId: 'chat_1',
    historyVersion: 0,
    generationAttempt: 1,
    seq: 1,
    role: 'assistant',
    part,
  });
  if (event.type !== 'message-part') throw new Error(`parsed a ${event.type} event`);
  return event.part;
}

describe('stream parts on the write path (parseChatStreamEvent)', () => {
  it.each(samples.map((part) => [part.type, part] as const))('accepts a %s part', (_, part) => {
    expect(parsePart(part)).toEqual(part);
  });

  it.each(samples.map((part) => [part.type, part] as const))(
    'round-trips a %s part through JSON unchanged, providerMetadata included',
    (_, part) => {
      expect(parsePart(JSON.parse(JSON.stringify(part)))).toEqual(part);
    },
  );

  it('accepts the minimal form of every part (only required fields)', () => {
    for (const type of chatStreamPartTypes as ChatStreamPartType[]) {
      const minimal: Record<string, unknown> = { type };
      for (const [field, required] of Object.entries(AI_SDK_CHUNK_FIELDS[type])) {
        if (required)
          minimal[field] = (fullSamples[type] as unknown as Record<string, unknown>)[field];
      }
      expect(parsePart(minimal)).toEqual(minimal);
    }
  });

  it('rejects an unknown stream part type, naming it', () => {
    expect(() => parsePart({ type: 'tool-approval-request', approvalId: 'a' })).toThrow(
      'type: unknown stream part type "tool-approval-request"',
    );
  });

  it('rejects a delta without its id, naming the path', () => {
    const error = errorOf(() => parsePart({ type: 'text-delta', delta: 'x' }));
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((error as ValidationFailedError).issues).toEqual([
      { path: ['part', 'id'], message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('rejects an unknown field', () => {
    expect(() => parsePart({ type: 'start-step', messageId: 'm' })).toThrow(
      'Unrecognized key: "messageId"',
    );
  });
});
