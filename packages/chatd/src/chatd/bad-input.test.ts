import { ChatdError } from '@chatd/core';
import { createTestStore } from '@chatd/message-store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticModels } from '../models/static-models.js';
import { scriptedModel } from '../test-support/mock-model.js';
import { type Chatd, createChatd } from './chatd.js';

/*
 * Every mutation refuses malformed input with a typed error naming the field as the caller
 * wrote it, before the model is asked anything (a new chat's first call would otherwise start
 * before its write) and with nothing written.
 */

let chatd: Chatd;
let model: ReturnType<typeof scriptedModel>;
let close: () => Promise<void>;
let chatId: string;
let firstMessageId: number;

beforeAll(async () => {
  const testStore = await createTestStore();
  model = scriptedModel([]);
  chatd = createChatd({
    store: testStore.store,
    models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
    options: { acquireIntervalMs: 50 },
  });
  await chatd.start();
  close = async () => {
    await chatd.close();
    await testStore.close();
  };
  const created = await chatd.createChat({ ownerId: 'owner', content: 'hello', title: 'kept' });
  chatId = created.id;
  firstMessageId = created.firstMessageId;
});
afterAll(() => close());

/** What the database holds, to compare before and after a refusal. */
async function everything() {
  const { chats } = await chatd.listChats('owner');
  const messages = await chatd.listMessages(chatId, { limit: 200 });
  return { chats: chats.map(({ id, title, labels }) => ({ id, title, labels })), messages };
}

async function refusal(call: () => Promise<unknown>) {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!ChatdError.isInstance(error)) throw new Error(`not refused with a ChatdError: ${error}`);
  return error as ChatdError & {
    argument?: string;
    issues?: Array<{ path: Array<string | number> }>;
  };
}

/** `field` is the INVALID_ARGUMENT's argument, or the first VALIDATION_FAILED issue's path. */
type Row = [name: string, input: unknown, code: string, field: string];

const createRows: Row[] = [
  ['no input', undefined, 'INVALID_ARGUMENT', 'input'],
  ['an owner that is a number', { ownerId: 5, content: 'x' }, 'INVALID_ARGUMENT', 'input.ownerId'],
  ['no content', { ownerId: 'owner' }, 'VALIDATION_FAILED', 'content'],
  ['content that is a number', { ownerId: 'owner', content: 5 }, 'VALIDATION_FAILED', 'content'],
  [
    'a text part whose text is a number',
    { ownerId: 'owner', content: [{ type: 'text', text: 5 }] },
    'VALIDATION_FAILED',
    'content.0.text',
  ],
  [
    'a part of no known type',
    { ownerId: 'owner', content: [{ type: 'text', text: 'a' }, { type: 'bogus' }] },
    'VALIDATION_FAILED',
    'content.1.type',
  ],
  [
    'text Postgres cannot store',
    { ownerId: 'owner', content: [{ type: 'text', text: 'a\u0000b' }] },
    'VALIDATION_FAILED',
    'content.0.text',
  ],
  [
    'only a NUL character',
    { ownerId: 'owner', content: '\u0000' },
    'VALIDATION_FAILED',
    'content.0.text',
  ],
  ['an empty message', { ownerId: 'owner', content: '  ' }, 'VALIDATION_FAILED', 'content'],
  [
    'a parent that is not a chat id',
    { ownerId: 'owner', content: 'x', parentChatId: 'nope' },
    'CHAT_NOT_FOUND',
    '',
  ],
  [
    'a system prompt that is not a string',
    { ownerId: 'owner', content: 'x', systemPrompt: ['be brief'] },
    'INVALID_ARGUMENT',
    'input.systemPrompt',
  ],
  [
    'a system prompt Postgres cannot store',
    { ownerId: 'owner', content: 'x', systemPrompt: 'a\ud800' },
    'VALIDATION_FAILED',
    'systemPrompt',
  ],
  [
    'a model id that is a number',
    { ownerId: 'owner', content: 'x', modelConfigId: 3 },
    'INVALID_ARGUMENT',
    'input.modelConfigId',
  ],
  [
    'a misspelt field',
    { ownerId: 'owner', content: 'x', sytemPrompt: 'be brief' },
    'INVALID_ARGUMENT',
    'input.sytemPrompt',
  ],
  [
    'labels that are not strings',
    { ownerId: 'owner', content: 'x', labels: { team: 1 } },
    'INVALID_ARGUMENT',
    'input.labels.team',
  ],
  [
    'MCP server ids that are not an array',
    { ownerId: 'owner', content: 'x', mcpServerIds: 'github' },
    'INVALID_ARGUMENT',
    'input.mcpServerIds',
  ],
  [
    'a tool declaration without a schema',
    { ownerId: 'owner', content: 'x', dynamicTools: [{ name: 'ask' }] },
    'INVALID_ARGUMENT',
    'input.dynamicTools.0.inputSchema',
  ],
  [
    'a step marker as the first message',
    { ownerId: 'owner', content: [{ type: 'step-start' }] },
    'VALIDATION_FAILED',
    'content.0.type',
  ],
  [
    'an empty title',
    { ownerId: 'owner', content: 'x', title: '' },
    'INVALID_ARGUMENT',
    'input.title',
  ],
];

function expectNamed(error: Awaited<ReturnType<typeof refusal>>, code: string, field: string) {
  expect(error.code).toBe(code);
  if (code === 'INVALID_ARGUMENT') expect(error.argument).toBe(field);
  else if (code === 'VALIDATION_FAILED') expect(error.issues?.[0]?.path.join('.')).toBe(field);
}

describe('createChat refuses malformed input, naming the field', () => {
  it.each(createRows)('%s', async (_name, input, code, field) => {
    const before = await everything();
    const calls = model.doStreamCalls.length;
    const error = await refusal(() => chatd.createChat(input as never));
    expectNamed(error, code, field);
    expect(model.doStreamCalls.length, 'the model was asked').toBe(calls);
    expect(await everything()).toEqual(before);
  });
});

const sendRows: Row[] = [
  ['no input', undefined, 'INVALID_ARGUMENT', 'input'],
  ['content that is an object', { content: { text: 'x' } }, 'VALIDATION_FAILED', 'content'],
  [
    'a part missing its text',
    { content: [{ type: 'text' }] },
    'VALIDATION_FAILED',
    'content.0.text',
  ],
  [
    'text Postgres cannot store',
    {
      content: [
        { type: 'text', text: 'ok' },
        { type: 'text', text: '\udc00' },
      ],
    },
    'VALIDATION_FAILED',
    'content.1.text',
  ],
  ['an empty message', { content: [] }, 'VALIDATION_FAILED', 'content'],
  [
    'a tool call written as the user',
    { content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'roll', input: {} }] },
    'VALIDATION_FAILED',
    'content.0.type',
  ],
  [
    'a reasoning part after the text',
    {
      content: [
        { type: 'text', text: 'hi' },
        { type: 'reasoning', text: 'hmm' },
      ],
    },
    'VALIDATION_FAILED',
    'content.1.type',
  ],
  ['an unknown busy mode', { content: 'x', busy: 'later' }, 'INVALID_ARGUMENT', 'input.busy'],
  [
    'an author that is a number',
    { content: 'x', createdBy: 7 },
    'INVALID_ARGUMENT',
    'input.createdBy',
  ],
];

describe('sendMessage and editMessage refuse malformed input, naming the field', () => {
  it.each(sendRows)('sendMessage: %s', async (_name, input, code, field) => {
    const before = await everything();
    expectNamed(await refusal(() => chatd.sendMessage(chatId, input as never)), code, field);
    expect(await everything()).toEqual(before);
  });

  it.each(sendRows.filter(([name]) => name !== 'an unknown busy mode'))(
    'editMessage: %s',
    async (_name, input, code, field) => {
      const before = await everything();
      expectNamed(
        await refusal(() => chatd.editMessage(chatId, firstMessageId, input as never)),
        code,
        field,
      );
      expect(await everything()).toEqual(before);
    },
  );

  it.each([0, 1.5, '1', null])('editMessage: a message id of %s', async (messageId) => {
    const error = await refusal(() =>
      chatd.editMessage(chatId, messageId as never, { content: 'x' }),
    );
    expectNamed(error, 'INVALID_ARGUMENT', 'messageId');
  });

  it('submitToolResults: options that are not an object', async () => {
    const error = await refusal(() => chatd.submitToolResults(chatId, [], null as never));
    expectNamed(error, 'INVALID_ARGUMENT', 'options');
  });
});
