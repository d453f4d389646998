/*
 * Bad input, method by method: every exported method of the store, `openStore`, and every
 * transition of `store.update`'s `chat` is called with malformed arguments. Each must be
 * refused with a typed error naming the field (before any database work), leave every table
 * exactly as it was, and publish nothing.
 *
 * Rows are `[label, call, expected]`. A failing row is a production gap: the input was
 * accepted, refused with another code or field, or failed with an untyped (driver) error. The
 * checks are soft, so a failing row also reports whether it wrote or published anything.
 */
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { ChatdError, type InvalidArgumentError, type ValidationFailedError } from '@chatd/core';
import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { PubSub } from '@chatd/pubsub';
import { describe, expect, it } from 'vitest';
import type { ChatTransitions } from '../state/chat-transitions.js';
import type { ExecutionState } from '../state/classify.js';
import type { MessageStore } from '../store/message-store.js';
import { openStore } from '../store/open-store.js';
import { describeEachDatabase, type TestDatabase } from '../test-support/databases.js';
import {
  anError,
  assistantText,
  type ChatInState,
  chatIn,
  type Machine,
  openMachine,
  text,
  userMessage,
} from '../test-support/state-fixtures.js';

// --- expectations --------------------------------------------------------------------------

/** Every store in this file refuses content over 1000 bytes, so oversized rows stay small. */
const MAX_CONTENT_BYTES = 1000;
const OVERSIZED = 'x'.repeat(2 * MAX_CONTENT_BYTES);

/** Text Postgres cannot store unchanged. */
const NUL = 'a\u0000b';
const LONE_HIGH = 'a\uD800b';
const LONE_LOW = '\uDC00';

const UNKNOWN_CHAT = '00000000-0000-4000-8000-000000000009';

/** A JSON value nested `depth` objects deep: over 100 is refused, over a few thousand used to overflow the stack. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < depth; level += 1) value = { a: value };
  return value;
}

/** What a refusal must look like: its code, and the field it names (exact, or a pattern). */
interface Expected {
  code: string | readonly string[];
  field?: string | RegExp;
}

const invalid = (field: string | RegExp): Expected => ({ code: 'INVALID_ARGUMENT', field });
const failed = (field: string | RegExp): Expected => ({ code: 'VALIDATION_FAILED', field });
/** Either typed refusal: for rules that may be checked on a document or around it. */
const refused = (field: string | RegExp): Expected => ({
  code: ['INVALID_ARGUMENT', 'VALIDATION_FAILED'],
  field,
});
const notFound: Expected = { code: 'CHAT_NOT_FOUND' };
const tooLarge: Expected = { code: 'CONTENT_TOO_LARGE' };

const literal = (path: string) => path.replaceAll('.', '\\.');
/** `root` itself or any field under it (a bad object key cannot be named by the key). */
const under = (root: string) => new RegExp(`^${literal(root)}(\\..+)?$`);

type Outcome = { accepted: unknown } | { error: unknown };

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { accepted: await call() };
  } catch (error) {
    return { error };
  }
}

/** The outcome as a code and the fields it names, for assertions and failure messages. */
function summarize(outcome: Outcome): { code: string; fields: string[]; message?: string } {
  if ('accepted' in outcome) {
    return { code: 'accepted', fields: [], message: String(JSON.stringify(outcome.accepted)) };
  }
  const { error } = outcome;
  if (!ChatdError.isInstance(error)) {
    const { name, message } = error as Error;
    return { code: `untyped ${name}`, fields: [], message: String(message).slice(0, 300) };
  }
  if (ChatdError.isInstance(error, 'INVALID_ARGUMENT')) {
    return { code: error.code, fields: [(error as InvalidArgumentError).argument] };
  }
  if (ChatdError.isInstance(error, 'VALIDATION_FAILED')) {
    // The message starts with the argument's name: `Invalid input: …`.
    const root = /^Invalid ([^:]+):/.exec(error.message)?.[1] ?? '?';
    const { issues } = error as ValidationFailedError;
    return { code: error.code, fields: issues.map((issue) => [root, ...issue.path].join('.')) };
  }
  return { code: error.code, fields: [], message: error.message };
}

function expectOutcome(outcome: Outcome, expected: Expected): void {
  const actual = summarize(outcome);
  const got = JSON.stringify(actual);
  expect
    .soft([expected.code].flat(), `refused with the expected code; got ${got}`)
    .toContain(actual.code);
  const { field } = expected;
  if (field === undefined) return;
  const named = actual.fields.some((name) =>
    typeof field === 'string' ? name === field : field.test(name),
  );
  expect.soft(named, `names the field ${field}; got ${got}`).toBe(true);
}

const TABLES = [
  ['chats', 'id'],
  ['chat_messages', 'id'],
  ['chat_queued_messages', 'id'],
  ['chat_heartbeats', 'chat_id, runner_id'],
] as const;

/** Every row of every table, in a fixed order: equal means nothing was written. */
async function allRows(database: TestDatabase): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const [table, order] of TABLES) {
    rows[table] = await database.query(`SELECT * FROM ${table} ORDER BY ${order}`);
  }
  return rows;
}

/** Asserts `call` is refused as `expected`, changes no row and publishes nothing. */
async function expectRefused(
  database: TestDatabase,
  machine: Machine,
  call: () => Promise<unknown>,
  expected: Expected,
): Promise<void> {
  const before = await allRows(database);
  machine.clearPublished();
  const outcome = await outcomeOf(call);
  expectOutcome(outcome, expected);
  expect.soft(await allRows(database), 'no table changed').toEqual(before);
  expect.soft(machine.published(), 'nothing published').toEqual([]);
}

type State = Exclude<ExecutionState, 'N'>;

/** A store with the small content limit and one chat driven into `state`. */
async function setUp(database: TestDatabase, state: State) {
  const machine = await openMachine(database, { limits: { maxContentBytes: MAX_CONTENT_BYTES } });
  const ids = await chatIn(machine, database, state);
  return { machine, ids };
}

// --- almost-valid input: each builder takes the row's bad fields --------------------------

type Patch = Record<string, unknown>;
type StoreCall = (store: MessageStore, ids: ChatInState) => Promise<unknown>;
type ChatCall = (chat: ChatTransitions, ids: ChatInState) => Promise<unknown>;

const textPart = (value: string) => ({ type: 'text', text: value });
const content = (...parts: unknown[]) => ({ version: 1, parts });
const message = (role: string, parts: unknown[]) => ({ role, content: { version: 1, parts } });
const toolCall = (patch: Patch) => ({
  type: 'tool-call',
  toolCallId: 'c1',
  toolName: 't',
  input: {},
  ...patch,
});

const createInput = (patch: Patch) =>
  ({ ownerId: 'owner-1', messages: [userMessage('hi')], ...patch }) as never;
const create =
  (patch: Patch): StoreCall =>
  (store) =>
    store.createChat(createInput(patch));
const createMessage = (patch: Patch) => create({ messages: [{ ...userMessage('hi'), ...patch }] });
const createParts = (parts: unknown[], role = 'user') =>
  create({ messages: [{ ...message(role, parts), createdBy: 'user-1' }] });
const createTool = (patch: Patch) =>
  create({ dynamicTools: [{ name: 'client_tool', inputSchema: {}, ...patch }] });

const metadata =
  (update: unknown): StoreCall =>
  (store, ids) =>
    store.updateChatMetadata(ids.chatId, update as never);
const pageOfMessages =
  (options: unknown): StoreCall =>
  (store, ids) =>
    store.listMessages(ids.chatId, options as never);
const pageOfChats =
  (options: unknown, ownerId: unknown = 'owner-1'): StoreCall =>
  (store) =>
    store.listChats(ownerId as never, options as never);
const candidates =
  (limit: unknown): StoreCall =>
  (store) =>
    store.getAcquisitionCandidates(limit as never);
const idleRoots =
  (cutoff: unknown, limit: unknown = 10): StoreCall =>
  (store) =>
    store.getIdleRootChats(cutoff as never, limit as never);
const entries = (ids: ChatInState, patch: Patch = {}) =>
  [{ chatId: ids.chatId, runnerId: 'r1', ...patch }] as never;
const upsert =
  (patch: Patch, workerId: unknown = 'w1'): StoreCall =>
  (store, ids) =>
    store.upsertHeartbeats(workerId as never, entries(ids, patch));

const send =
  (patch: Patch): ChatCall =>
  (chat) =>
    chat.sendMessage({ role: 'user', content: text('hi'), createdBy: 'user-1', ...patch } as never);
const edit =
  (patch: Patch): ChatCall =>
  (chat, ids) =>
    chat.editMessage({
      messageId: ids.userMessageId,
      content: text('edited'),
      createdBy: 'user-1',
      ...patch,
    } as never);
const step =
  (patch: Patch): ChatCall =>
  (chat) =>
    chat.commitStep({ messages: [{ ...assistantText('ok'), ...patch }] } as never);
const stepParts =
  (parts: unknown[], role = 'assistant'): ChatCall =>
  (chat) =>
    chat.commitStep({ messages: [message(role, parts)] } as never);
const complete =
  (patch: Patch, result: Patch = {}): ChatCall =>
  (chat) =>
    chat.completeRequiresAction({
      createdBy: 'user-1',
      results: [{ toolCallId: 'd1', output: 'done', ...result }],
      ...patch,
    } as never);
const acquire =
  (input: unknown): ChatCall =>
  (chat) =>
    chat.acquire(input as never);
const finishError =
  (patch: Patch): ChatCall =>
  (chat) =>
    chat.finishError({ message: 'x', kind: 'generic', retryable: false, ...patch } as never);

/** An object that contains itself: not JSON, and `JSON.stringify` throws on it. */
function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}

/** A listChats cursor that decodes but holds something other than what listChats wrote. */
const forgedCursor = (at: string) =>
  Buffer.from(JSON.stringify({ at, id: randomUUID() })).toString('base64url');

// --- store methods -------------------------------------------------------------------------

type StoreRow = [label: string, call: StoreCall, expected: Expected];

/** Methods taking a chat id first: each gets every malformed id below. */
const CHAT_ID_METHODS: [string, (store: MessageStore, chatId: never) => Promise<unknown>][] = [
  ['update', (store, chatId) => store.update(chatId, (chat) => chat.setArchived(true))],
  ['lock', (store, chatId) => store.lock(chatId, async () => undefined)],
  ['readLock', (store, chatId) => store.readLock(chatId, async () => undefined)],
  ['setFamilyArchived', (store, chatId) => store.setFamilyArchived(chatId, true)],
  ['getChat', (store, chatId) => store.getChat(chatId)],
  ['getMessage', (store, chatId) => store.getMessage(chatId, 1)],
  ['listMessages', (store, chatId) => store.listMessages(chatId)],
  ['getPromptHistory', (store, chatId) => store.getPromptHistory(chatId)],
  ['getChatSince', (store, chatId) => store.getChatSince(chatId, 0)],
  ['listQueuedMessages', (store, chatId) => store.listQueuedMessages(chatId)],
  ['getFamilyChatIds', (store, chatId) => store.getFamilyChatIds(chatId)],
  ['getRootChatId', (store, chatId) => store.getRootChatId(chatId)],
  ['updateChatMetadata', (store, chatId) => store.updateChatMetadata(chatId, { title: 'x' })],
  ['deleteChat', (store, chatId) => store.deleteChat(chatId)],
];

const BAD_CHAT_IDS: [label: string, chatId: unknown, invalidType: boolean][] = [
  ['not a UUID', 'not-a-uuid', false],
  ['empty', '', false],
  ['a UUID with a NUL', `${UNKNOWN_CHAT}\u0000`, false],
  ['a number (42)', 42, true],
  ['null', null, true],
  ['an object', { id: UNKNOWN_CHAT }, true],
];

const CHAT_ID_ROWS: StoreRow[] = CHAT_ID_METHODS.flatMap(([method, call]) => {
  const argument = method === 'setFamilyArchived' || method === 'getFamilyChatIds';
  return BAD_CHAT_IDS.map(
    ([label, chatId, invalidType]): StoreRow => [
      `${method}: chat id ${label}`,
      (store) => call(store, chatId as never),
      invalidType ? invalid(argument ? 'rootChatId' : 'chatId') : notFound,
    ],
  );
});

const STORE_ROWS: Record<string, StoreRow[]> = {
  createChat: [
    ['input a number', (store) => store.createChat(42 as never), invalid('input')],
    ['input null', (store) => store.createChat(null as never), invalid('input')],
    ['unknown key', create({ color: 'red' }), invalid('input.color')],
    ['id not a UUID', create({ id: 'chat-1' }), invalid('input.id')],
    ['id a number', create({ id: 42 }), invalid('input.id')],
    [
      'id of an existing chat',
      (store, ids) => store.createChat(createInput({ id: ids.chatId })),
      invalid('input.id'),
    ],
    ['ownerId missing', create({ ownerId: undefined }), invalid('input.ownerId')],
    ['ownerId a number', create({ ownerId: 42 }), invalid('input.ownerId')],
    ['ownerId empty', create({ ownerId: '' }), invalid('input.ownerId')],
    ['ownerId with NUL', create({ ownerId: NUL }), invalid('input.ownerId')],
    ['ownerId with a lone surrogate', create({ ownerId: LONE_HIGH }), invalid('input.ownerId')],
    ['title a number', create({ title: 42 }), invalid('input.title')],
    ['title empty', create({ title: '' }), invalid('input.title')],
    ['title null', create({ title: null }), invalid('input.title')],
    ['title of 501 characters', create({ title: 't'.repeat(501) }), invalid('input.title')],
    ['title with NUL', create({ title: NUL }), invalid('input.title')],
    ['title with a lone low surrogate', create({ title: LONE_LOW }), invalid('input.title')],
    ['labels { a: 1 }', create({ labels: { a: 1 } }), invalid('input.labels.a')],
    ["labels ['x']", create({ labels: ['x'] }), invalid('input.labels')],
    ['labels a string', create({ labels: 'x' }), invalid('input.labels')],
    ['label value with NUL', create({ labels: { a: NUL } }), invalid('input.labels.a')],
    [
      'label value, lone surrogate',
      create({ labels: { a: LONE_HIGH } }),
      invalid('input.labels.a'),
    ],
    ['label key with NUL', create({ labels: { [NUL]: 'v' } }), invalid(under('input.labels'))],
    [
      'label key, lone surrogate',
      create({ labels: { [LONE_LOW]: 'v' } }),
      invalid(under('input.labels')),
    ],
    ['owner a string', create({ owner: 'w' }), invalid('input.owner')],
    [
      'owner without runnerId',
      create({ owner: { workerId: 'w' } }),
      invalid('input.owner.runnerId'),
    ],
    [
      'owner with an unknown key',
      create({ owner: { workerId: 'w', runnerId: 'r', lease: 1 } }),
      invalid('input.owner.lease'),
    ],
    [
      'recordGenerationAttempt a string',
      create({ owner: { workerId: 'w', runnerId: 'r' }, recordGenerationAttempt: 'yes' }),
      invalid('input.recordGenerationAttempt'),
    ],
    [
      'recordGenerationAttempt without owner',
      create({ recordGenerationAttempt: true }),
      invalid('input.recordGenerationAttempt'),
    ],
    ['parentChatId a number', create({ parentChatId: 42 }), invalid('input.parentChatId')],
    ['parentChatId not a UUID', create({ parentChatId: 'parent' }), notFound],
    ['parentChatId of no chat', create({ parentChatId: UNKNOWN_CHAT }), notFound],
    [
      'lastModelConfigId a number',
      create({ lastModelConfigId: 7 }),
      invalid('input.lastModelConfigId'),
    ],
    [
      'lastModelConfigId with NUL',
      create({ lastModelConfigId: NUL }),
      invalid('input.lastModelConfigId'),
    ],
    ['mcpServerIds a string', create({ mcpServerIds: 'srv' }), invalid('input.mcpServerIds')],
    [
      'mcpServerIds an object',
      create({ mcpServerIds: { 0: 'srv' } }),
      invalid('input.mcpServerIds'),
    ],
    ['mcpServerIds [1]', create({ mcpServerIds: [1] }), invalid('input.mcpServerIds.0')],
    [
      'mcpServerIds with an empty id',
      create({ mcpServerIds: ['a', ''] }),
      invalid('input.mcpServerIds.1'),
    ],
    ['mcpServerIds with NUL', create({ mcpServerIds: [NUL] }), invalid('input.mcpServerIds.0')],
    [
      'dynamicTools an object',
      create({ dynamicTools: { name: 'x' } }),
      invalid('input.dynamicTools'),
    ],
    [
      'dynamic tool without a name',
      create({ dynamicTools: [{ inputSchema: {} }] }),
      invalid('input.dynamicTools.0.name'),
    ],
    ['dynamic tool name empty', createTool({ name: '' }), invalid('input.dynamicTools.0.name')],
    ['dynamic tool name with NUL', createTool({ name: NUL }), invalid('input.dynamicTools.0.name')],
    [
      'inputSchema a string',
      createTool({ inputSchema: 'object' }),
      invalid('input.dynamicTools.0.inputSchema'),
    ],
    [
      'inputSchema an array',
      createTool({ inputSchema: [] }),
      invalid('input.dynamicTools.0.inputSchema'),
    ],
    [
      'inputSchema nested 20,000 deep',
      createTool({ inputSchema: nested(20_000) }),
      invalid(under('input.dynamicTools.0.inputSchema')),
    ],
    [
      'inputSchema with NUL',
      createTool({ inputSchema: { description: NUL } }),
      invalid('input.dynamicTools.0.inputSchema.description'),
    ],
    [
      'dynamic tool description, lone surrogate',
      createTool({ description: LONE_HIGH }),
      invalid('input.dynamicTools.0.description'),
    ],
    [
      'dynamic tool with an unknown key',
      createTool({ execute: 'yes' }),
      invalid('input.dynamicTools.0.execute'),
    ],
    [
      'inputSchema a Date',
      createTool({ inputSchema: new Date(0) }),
      invalid('input.dynamicTools.0.inputSchema'),
    ],
    [
      'inputSchema with a function',
      createTool({ inputSchema: { type: 'object', check: () => true } }),
      invalid(under('input.dynamicTools.0.inputSchema')),
    ],
    [
      'inputSchema with a BigInt',
      createTool({ inputSchema: { max: 1n } }),
      invalid(under('input.dynamicTools.0.inputSchema')),
    ],
    [
      'inputSchema that contains itself',
      createTool({ inputSchema: cyclic() }),
      invalid(under('input.dynamicTools.0.inputSchema')),
    ],
    [
      'duplicate dynamic tool names',
      create({
        dynamicTools: [
          { name: 'dup', inputSchema: {} },
          { name: 'dup', inputSchema: {} },
        ],
      }),
      invalid('input.dynamicTools.1.name'),
    ],
    ['messages empty', create({ messages: [] }), invalid('input.messages')],
    ['messages a string', create({ messages: 'hi' }), invalid('input.messages')],
    [
      'messages an object',
      create({ messages: { 0: userMessage('hi') } }),
      invalid('input.messages'),
    ],
    ["role 'robot'", createMessage({ role: 'robot' }), invalid('input.messages.0.role')],
    ['role a number', createMessage({ role: 1 }), invalid('input.messages.0.role')],
    [
      "visibility 'everyone'",
      createMessage({ visibility: 'everyone' }),
      invalid('input.messages.0.visibility'),
    ],
    [
      'usage.inputTokens -1',
      createMessage({ usage: { inputTokens: -1 } }),
      invalid('input.messages.0.usage.inputTokens'),
    ],
    [
      'usage.inputTokens 1.5',
      createMessage({ usage: { inputTokens: 1.5 } }),
      invalid('input.messages.0.usage.inputTokens'),
    ],
    [
      "usage.outputTokens '3'",
      createMessage({ usage: { outputTokens: '3' } }),
      invalid('input.messages.0.usage.outputTokens'),
    ],
    [
      'usage with an unknown key',
      createMessage({ usage: { tokens: 3 } }),
      invalid('input.messages.0.usage.tokens'),
    ],
    ['costMicros -1', createMessage({ costMicros: -1 }), invalid('input.messages.0.costMicros')],
    ['costMicros 1.5', createMessage({ costMicros: 1.5 }), invalid('input.messages.0.costMicros')],
    [
      'costMicros 2^53',
      createMessage({ costMicros: 2 ** 53 }),
      invalid('input.messages.0.costMicros'),
    ],
    ["runtimeMs 'x'", createMessage({ runtimeMs: 'x' }), invalid('input.messages.0.runtimeMs')],
    [
      'runtimeMs NaN',
      createMessage({ runtimeMs: Number.NaN }),
      invalid('input.messages.0.runtimeMs'),
    ],
    ['createdBy a number', createMessage({ createdBy: 3 }), invalid('input.messages.0.createdBy')],
    [
      'createdBy with NUL',
      createMessage({ createdBy: NUL }),
      invalid('input.messages.0.createdBy'),
    ],
    [
      'modelConfigId, lone surrogate',
      createMessage({ modelConfigId: LONE_HIGH }),
      invalid('input.messages.0.modelConfigId'),
    ],
    [
      'reasoningEffort of 101 characters',
      createMessage({ reasoningEffort: 'e'.repeat(101) }),
      invalid('input.messages.0.reasoningEffort'),
    ],
    [
      "compressed 'yes'",
      createMessage({ compressed: 'yes' }),
      invalid('input.messages.0.compressed'),
    ],
    ['message with an unknown key', createMessage({ id: 1 }), invalid('input.messages.0.id')],
    ['content a string', createMessage({ content: 'hi' }), failed('input.messages.0.content')],
    [
      'content version 2',
      createMessage({ content: { version: 2, parts: [] } }),
      failed('input.messages.0.content.version'),
    ],
    [
      "part type 'nope'",
      createParts([{ type: 'nope' }]),
      failed(under('input.messages.0.content.parts.0')),
    ],
    [
      'text with NUL',
      createParts([textPart(NUL)]),
      failed('input.messages.0.content.parts.0.text'),
    ],
    [
      'text, lone surrogate',
      createParts([textPart(LONE_HIGH)]),
      failed('input.messages.0.content.parts.0.text'),
    ],
    [
      'second message text, lone low surrogate',
      create({ messages: [userMessage('hi'), message('assistant', [textPart(LONE_LOW)])] }),
      failed('input.messages.1.content.parts.0.text'),
    ],
    [
      'reasoning text with NUL',
      createParts([{ type: 'reasoning', text: NUL }], 'assistant'),
      failed('input.messages.0.content.parts.0.text'),
    ],
    [
      'tool-call input key with NUL',
      createParts([toolCall({ input: { [NUL]: 1 } })], 'assistant'),
      failed(under('input.messages.0.content.parts.0.input')),
    ],
    [
      'tool-call toolName, lone surrogate',
      createParts([toolCall({ toolName: LONE_HIGH })], 'assistant'),
      failed('input.messages.0.content.parts.0.toolName'),
    ],
    [
      'providerMetadata value with NUL',
      createParts([{ ...textPart('hi'), providerMetadata: { p: { note: NUL } } }]),
      failed('input.messages.0.content.parts.0.providerMetadata.p.note'),
    ],
    [
      'tool-call input with a BigInt',
      createParts([toolCall({ input: { n: 1n } })], 'assistant'),
      failed(under('input.messages.0.content.parts.0.input')),
    ],
    [
      'tool-call input that contains itself',
      createParts([toolCall({ input: cyclic() })], 'assistant'),
      failed(under('input.messages.0.content.parts.0.input')),
    ],
    ['oversized content', createParts([textPart(OVERSIZED)]), tooLarge],
  ],
  update: [
    ['fn a string', (store, ids) => store.update(ids.chatId, 'finishTurn' as never), invalid('fn')],
    [
      'options.signal a string',
      (store, ids) =>
        store.update(ids.chatId, (chat) => chat.setArchived(true), { signal: 'stop' } as never),
      invalid('options.signal'),
    ],
    [
      'options with an unknown key',
      (store, ids) =>
        store.update(ids.chatId, (chat) => chat.setArchived(true), { timeout: 5 } as never),
      invalid('options.timeout'),
    ],
    [
      'options a string',
      (store, ids) => store.update(ids.chatId, (chat) => chat.setArchived(true), 'x' as never),
      invalid('options'),
    ],
    [
      "options.durable 'no'",
      (store, ids) =>
        store.update(ids.chatId, (chat) => chat.setArchived(true), { durable: 'no' } as never),
      invalid('options.durable'),
    ],
    [
      'options.pipelined 1',
      (store, ids) =>
        store.update(ids.chatId, (chat) => chat.setArchived(true), { pipelined: 1 } as never),
      invalid('options.pipelined'),
    ],
  ],
  lock: [
    [
      'options.durable (update only)',
      (store, ids) => store.lock(ids.chatId, async () => undefined, { durable: false } as never),
      invalid('options.durable'),
    ],
    ['fn a number', (store, ids) => store.lock(ids.chatId, 1 as never), invalid('fn')],
    [
      'options with an unknown key',
      (store, ids) => store.lock(ids.chatId, async () => undefined, { wait: false } as never),
      invalid('options.wait'),
    ],
  ],
  readLock: [
    ['fn null', (store, ids) => store.readLock(ids.chatId, null as never), invalid('fn')],
    [
      'options.signal an object',
      (store, ids) => store.readLock(ids.chatId, async () => undefined, { signal: {} } as never),
      invalid('options.signal'),
    ],
  ],
  setFamilyArchived: [
    [
      "archived 'yes'",
      (store, ids) => store.setFamilyArchived(ids.chatId, 'yes' as never),
      invalid('archived'),
    ],
    [
      'archived 1',
      (store, ids) => store.setFamilyArchived(ids.chatId, 1 as never),
      invalid('archived'),
    ],
    [
      'archived missing',
      (store, ids) => store.setFamilyArchived(ids.chatId, undefined as never),
      invalid('archived'),
    ],
  ],
  getMessage: [
    ['messageId 0', (store, ids) => store.getMessage(ids.chatId, 0), invalid('messageId')],
    ['messageId -1', (store, ids) => store.getMessage(ids.chatId, -1), invalid('messageId')],
    ['messageId 1.5', (store, ids) => store.getMessage(ids.chatId, 1.5), invalid('messageId')],
    [
      "messageId '1'",
      (store, ids) => store.getMessage(ids.chatId, '1' as never),
      invalid('messageId'),
    ],
    ['messageId 2^53', (store, ids) => store.getMessage(ids.chatId, 2 ** 53), invalid('messageId')],
    [
      'messageId Infinity',
      (store, ids) => store.getMessage(ids.chatId, Infinity),
      invalid('messageId'),
    ],
  ],
  listMessages: [
    ['options a string', pageOfMessages('x'), invalid('options')],
    ['options an array', pageOfMessages([]), invalid('options')],
    ['limit 0', pageOfMessages({ limit: 0 }), invalid('options.limit')],
    ['limit 201', pageOfMessages({ limit: 201 }), invalid('options.limit')],
    ['limit 1.5', pageOfMessages({ limit: 1.5 }), invalid('options.limit')],
    ["limit '10'", pageOfMessages({ limit: '10' }), invalid('options.limit')],
    ['before -1', pageOfMessages({ before: -1 }), invalid('options.before')],
    ['after 1.5', pageOfMessages({ after: 1.5 }), invalid('options.after')],
    ["before '5'", pageOfMessages({ before: '5' }), invalid('options.before')],
    ['unknown key', pageOfMessages({ cursor: 'x' }), invalid('options.cursor')],
  ],
  getChatSince: [
    [
      'afterRevision -1',
      (store, ids) => store.getChatSince(ids.chatId, -1),
      invalid('afterRevision'),
    ],
    [
      'afterRevision 1.5',
      (store, ids) => store.getChatSince(ids.chatId, 1.5),
      invalid('afterRevision'),
    ],
    [
      "afterRevision '1'",
      (store, ids) => store.getChatSince(ids.chatId, '1' as never),
      invalid('afterRevision'),
    ],
    [
      'afterRevision missing',
      (store, ids) => store.getChatSince(ids.chatId, undefined as never),
      invalid('afterRevision'),
    ],
  ],
  listChats: [
    ['ownerId a number', pageOfChats(undefined, 42), invalid('ownerId')],
    ['ownerId empty', pageOfChats(undefined, ''), invalid('ownerId')],
    ['ownerId with NUL', pageOfChats(undefined, NUL), invalid('ownerId')],
    ['ownerId with a lone surrogate', pageOfChats(undefined, LONE_HIGH), invalid('ownerId')],
    ['options a number', pageOfChats(5), invalid('options')],
    ['limit 0', pageOfChats({ limit: 0 }), invalid('options.limit')],
    ['limit 201', pageOfChats({ limit: 201 }), invalid('options.limit')],
    ["archived 'yes'", pageOfChats({ archived: 'yes' }), invalid('options.archived')],
    ['includeChildren 1', pageOfChats({ includeChildren: 1 }), invalid('options.includeChildren')],
    ['cursor a number', pageOfChats({ cursor: 42 }), invalid('options.cursor')],
    ['cursor not base64 JSON', pageOfChats({ cursor: '%%%' }), invalid('options.cursor')],
    [
      'cursor whose time is not a time',
      pageOfChats({ cursor: forgedCursor('not a time') }),
      invalid('options.cursor'),
    ],
    [
      'cursor whose time has a NUL',
      pageOfChats({ cursor: forgedCursor(NUL) }),
      invalid('options.cursor'),
    ],
    ['unknown key', pageOfChats({ page: 2 }), invalid('options.page')],
  ],
  updateChatMetadata: [
    ['update empty', metadata({}), invalid('update')],
    ['update a string', metadata('x'), invalid('update')],
    ['title empty', metadata({ title: '' }), invalid('update.title')],
    ['title a number', metadata({ title: 42 }), invalid('update.title')],
    ['title null', metadata({ title: null }), invalid('update.title')],
    ['title with NUL', metadata({ title: NUL }), invalid('update.title')],
    ['title of 501 characters', metadata({ title: 't'.repeat(501) }), invalid('update.title')],
    ['labels { a: 1 }', metadata({ labels: { a: 1 } }), invalid('update.labels.a')],
    ["labels ['x']", metadata({ labels: ['x'] }), invalid('update.labels')],
    ['labels null', metadata({ labels: null }), invalid('update.labels')],
    [
      'label value, lone surrogate',
      metadata({ labels: { a: LONE_HIGH } }),
      invalid('update.labels.a'),
    ],
    ['label key with NUL', metadata({ labels: { [NUL]: 'v' } }), invalid(under('update.labels'))],
    [
      'onlyIfTitle a number',
      metadata({ title: 'x', onlyIfTitle: 7 }),
      invalid('update.onlyIfTitle'),
    ],
    ['onlyIfTitle alone', metadata({ onlyIfTitle: 'x' }), invalid('update')],
    ['unknown key', metadata({ title: 'x', archived: true }), invalid('update.archived')],
  ],
  getAcquisitionCandidates: [
    ['limit 0', candidates(0), invalid('limit')],
    ['limit 1001', candidates(1001), invalid('limit')],
    ['limit -1', candidates(-1), invalid('limit')],
    ['limit 1.5', candidates(1.5), invalid('limit')],
    ["limit '5'", candidates('5'), invalid('limit')],
    ['limit missing', candidates(undefined), invalid('limit')],
  ],
  getIdleRootChats: [
    ['cutoff a string', idleRoots('2026-01-01'), invalid('cutoff')],
    ['cutoff an invalid date', idleRoots(new Date(Number.NaN)), invalid('cutoff')],
    ['cutoff missing', idleRoots(undefined), invalid('cutoff')],
    ['limit 0', idleRoots(new Date(), 0), invalid('limit')],
    ['limit 1001', idleRoots(new Date(), 1001), invalid('limit')],
  ],
  upsertHeartbeats: [
    ['workerId a number', upsert({}, 1), invalid('workerId')],
    ['workerId empty', upsert({}, ''), invalid('workerId')],
    ['workerId with NUL', upsert({}, NUL), invalid('workerId')],
    ['entries a string', (store) => store.upsertHeartbeats('w1', 'x' as never), invalid('entries')],
    [
      'entries an object',
      (store, ids) => store.upsertHeartbeats('w1', { 0: entries(ids)[0] } as never),
      invalid('entries'),
    ],
    ['entry null', (store) => store.upsertHeartbeats('w1', [null] as never), invalid('entries.0')],
    ['entry chatId not a UUID', upsert({ chatId: 'chat' }), invalid('entries.0.chatId')],
    ['entry chatId 42', upsert({ chatId: 42 }), invalid('entries.0.chatId')],
    ['entry runnerId empty', upsert({ runnerId: '' }), invalid('entries.0.runnerId')],
    ['entry runnerId with NUL', upsert({ runnerId: NUL }), invalid('entries.0.runnerId')],
    [
      'entry runnerId, lone surrogate',
      upsert({ runnerId: LONE_HIGH }),
      invalid('entries.0.runnerId'),
    ],
    ['entry with an unknown key', upsert({ workerId: 'w2' }), invalid('entries.0.workerId')],
  ],
  deleteHeartbeats: [
    ['entries a string', (store) => store.deleteHeartbeats('x' as never), invalid('entries')],
    [
      'entry chatId not a UUID',
      (store, ids) => store.deleteHeartbeats(entries(ids, { chatId: 'chat' })),
      invalid('entries.0.chatId'),
    ],
    [
      'entry runnerId a number',
      (store, ids) => store.deleteHeartbeats(entries(ids, { runnerId: 1 })),
      invalid('entries.0.runnerId'),
    ],
    [
      'entry with an unknown key',
      (store, ids) => store.deleteHeartbeats(entries(ids, { all: true })),
      invalid('entries.0.all'),
    ],
  ],
  getRunnerSyncRows: [
    [
      'chatIds a string',
      (store, ids) => store.getRunnerSyncRows(ids.chatId as never),
      invalid('chatIds'),
    ],
    ['chatIds [42]', (store) => store.getRunnerSyncRows([42] as never), invalid('chatIds.0')],
    [
      'chatIds an object',
      (store, ids) => store.getRunnerSyncRows({ 0: ids.chatId } as never),
      invalid('chatIds'),
    ],
  ],
  getStreamSyncRows: [
    ['chatIds missing', (store) => store.getStreamSyncRows(undefined as never), invalid('chatIds')],
    ['chatIds [null]', (store) => store.getStreamSyncRows([null] as never), invalid('chatIds.0')],
  ],
};

// --- transitions ---------------------------------------------------------------------------

type TransitionRow = [label: string, call: ChatCall, expected: Expected];

/** Per transition: a state where it is allowed (so accepted input would write), and its rows. */
const TRANSITION_ROWS: { transition: string; state: State; rows: TransitionRow[] }[] = [
  {
    transition: 'sendMessage',
    state: 'W',
    rows: [
      ['input a string', (chat) => chat.sendMessage('hi' as never), invalid('input')],
      ['unknown key', send({ title: 'x' }), invalid('input.title')],
      ["role 'robot'", send({ role: 'robot' }), invalid('input.role')],
      ['createdBy missing', send({ createdBy: undefined }), invalid('input.createdBy')],
      ['createdBy empty', send({ createdBy: '' }), invalid('input.createdBy')],
      ['createdBy with NUL', send({ createdBy: NUL }), invalid('input.createdBy')],
      ['modelConfigId a number', send({ modelConfigId: 1 }), invalid('input.modelConfigId')],
      [
        'reasoningEffort, lone surrogate',
        send({ reasoningEffort: LONE_HIGH }),
        invalid('input.reasoningEffort'),
      ],
      ["busy 'drop'", send({ busy: 'drop' }), invalid('input.busy')],
      ['content a string', send({ content: 'hi' }), failed('input.content')],
      [
        'text with NUL',
        send({ content: content(textPart(NUL)) }),
        failed('input.content.parts.0.text'),
      ],
      [
        'text, lone surrogate',
        send({ content: content(textPart(LONE_LOW)) }),
        failed('input.content.parts.0.text'),
      ],
      ['oversized content', send({ content: text(OVERSIZED) }), tooLarge],
    ],
  },
  {
    transition: 'editMessage',
    state: 'W',
    rows: [
      ['messageId 0', edit({ messageId: 0 }), invalid('input.messageId')],
      ['messageId -1', edit({ messageId: -1 }), invalid('input.messageId')],
      ['messageId 1.5', edit({ messageId: 1.5 }), invalid('input.messageId')],
      ["messageId '1'", edit({ messageId: '1' }), invalid('input.messageId')],
      ['createdBy missing', edit({ createdBy: undefined }), invalid('input.createdBy')],
      ['createdBy, lone surrogate', edit({ createdBy: LONE_HIGH }), invalid('input.createdBy')],
      ['unknown key', edit({ role: 'user' }), invalid('input.role')],
      [
        'text with NUL',
        edit({ content: content(textPart(NUL)) }),
        failed('input.content.parts.0.text'),
      ],
      ['oversized content', edit({ content: text(OVERSIZED) }), tooLarge],
    ],
  },
  {
    transition: 'deleteQueued',
    state: 'R1',
    rows: [
      ['id 0', (chat) => chat.deleteQueued(0), invalid('queuedMessageId')],
      ['id -1', (chat) => chat.deleteQueued(-1), invalid('queuedMessageId')],
      ['id 1.5', (chat) => chat.deleteQueued(1.5), invalid('queuedMessageId')],
      ["id '1'", (chat) => chat.deleteQueued('1' as never), invalid('queuedMessageId')],
      ['id null', (chat) => chat.deleteQueued(null as never), invalid('queuedMessageId')],
    ],
  },
  {
    transition: 'promoteQueued',
    state: 'R1',
    rows: [
      ['id 0', (chat) => chat.promoteQueued(0), invalid('queuedMessageId')],
      ['id -1', (chat) => chat.promoteQueued(-1), invalid('queuedMessageId')],
      ['id 1.5', (chat) => chat.promoteQueued(1.5), invalid('queuedMessageId')],
      [
        'the queued id as a string',
        (chat, ids) => chat.promoteQueued(String(ids.queuedId) as never),
        invalid('queuedMessageId'),
      ],
    ],
  },
  {
    transition: 'interrupt',
    state: 'A0',
    rows: [
      ['reason empty', (chat) => chat.interrupt(''), invalid('reason')],
      ['reason a number', (chat) => chat.interrupt(42 as never), invalid('reason')],
      ['reason with NUL', (chat) => chat.interrupt(NUL), invalid('reason')],
      ['reason with a lone surrogate', (chat) => chat.interrupt(LONE_HIGH), invalid('reason')],
      [
        'reason of 10 001 characters',
        (chat) => chat.interrupt('r'.repeat(10_001)),
        invalid('reason'),
      ],
    ],
  },
  {
    transition: 'setArchived',
    state: 'W',
    rows: [
      ["archived 'yes'", (chat) => chat.setArchived('yes' as never), invalid('archived')],
      ['archived 1', (chat) => chat.setArchived(1 as never), invalid('archived')],
      ['archived missing', (chat) => chat.setArchived(undefined as never), invalid('archived')],
    ],
  },
  {
    transition: 'acquire',
    state: 'W',
    rows: [
      ['input a string', acquire('w2'), invalid('input')],
      ['workerId missing', acquire({ runnerId: 'r2' }), invalid('input.workerId')],
      ['workerId empty', acquire({ workerId: '', runnerId: 'r2' }), invalid('input.workerId')],
      ['workerId a number', acquire({ workerId: 2, runnerId: 'r2' }), invalid('input.workerId')],
      ['workerId with NUL', acquire({ workerId: NUL, runnerId: 'r2' }), invalid('input.workerId')],
      [
        'runnerId, lone surrogate',
        acquire({ workerId: 'w2', runnerId: LONE_HIGH }),
        invalid('input.runnerId'),
      ],
      [
        'unknown key',
        acquire({ workerId: 'w2', runnerId: 'r2', force: true }),
        invalid('input.force'),
      ],
    ],
  },
  {
    transition: 'recordRetryState',
    state: 'R0',
    rows: [
      ['missing', (chat) => chat.recordRetryState(undefined as never), invalid('retryState')],
      ['null', (chat) => chat.recordRetryState(null), invalid('retryState')],
      ['a string with NUL', (chat) => chat.recordRetryState(NUL), invalid('retryState')],
      [
        'a value with NUL',
        (chat) => chat.recordRetryState({ note: NUL }),
        invalid('retryState.note'),
      ],
      [
        'a nested value with a lone surrogate',
        (chat) => chat.recordRetryState({ attempts: [{ note: LONE_HIGH }] }),
        invalid('retryState.attempts.0.note'),
      ],
      [
        'a key with NUL',
        (chat) => chat.recordRetryState({ [NUL]: 1 }),
        invalid(under('retryState')),
      ],
      ['a function', (chat) => chat.recordRetryState((() => 1) as never), invalid('retryState')],
      ['NaN', (chat) => chat.recordRetryState(Number.NaN), invalid('retryState')],
      ['a Date', (chat) => chat.recordRetryState(new Date(0) as never), invalid('retryState')],
      ['a BigInt', (chat) => chat.recordRetryState(1n as never), invalid('retryState')],
      [
        'a value that contains itself',
        (chat) => chat.recordRetryState(cyclic() as never),
        invalid(under('retryState')),
      ],
      [
        'a value nested 101 deep',
        (chat) => chat.recordRetryState(nested(101) as never),
        invalid(under('retryState')),
      ],
      [
        'an undefined value',
        (chat) => chat.recordRetryState({ next: undefined } as never),
        invalid(under('retryState')),
      ],
    ],
  },
  {
    transition: 'commitStep',
    state: 'R0',
    rows: [
      [
        'input an array',
        (chat) => chat.commitStep([assistantText('ok')] as never),
        invalid('input'),
      ],
      ['messages missing', (chat) => chat.commitStep({} as never), invalid('input.messages')],
      ['messages empty', (chat) => chat.commitStep({ messages: [] }), invalid('input.messages')],
      [
        'messages an object',
        (chat) => chat.commitStep({ messages: { 0: assistantText('ok') } } as never),
        invalid('input.messages'),
      ],
      ["role 'robot'", step({ role: 'robot' }), invalid('input.messages.0.role')],
      [
        "visibility 'everyone'",
        step({ visibility: 'everyone' }),
        invalid('input.messages.0.visibility'),
      ],
      [
        'usage.inputTokens -1',
        step({ usage: { inputTokens: -1 } }),
        invalid('input.messages.0.usage.inputTokens'),
      ],
      [
        'usage.inputTokens 1.5',
        step({ usage: { inputTokens: 1.5 } }),
        invalid('input.messages.0.usage.inputTokens'),
      ],
      ['costMicros -1', step({ costMicros: -1 }), invalid('input.messages.0.costMicros')],
      ["runtimeMs 'x'", step({ runtimeMs: 'x' }), invalid('input.messages.0.runtimeMs')],
      [
        "consumeCompactionRequest 'yes'",
        (chat) =>
          chat.commitStep({
            messages: [assistantText('ok')],
            consumeCompactionRequest: 'yes',
          } as never),
        invalid('input.consumeCompactionRequest'),
      ],
      [
        'lastInUpdate 1',
        (chat) =>
          chat.commitStep({
            messages: [assistantText('ok')],
            finishTurn: { release: true },
            lastInUpdate: 1,
          } as never),
        invalid('input.lastInUpdate'),
      ],
      [
        'unknown key',
        (chat) => chat.commitStep({ messages: [assistantText('ok')], final: true } as never),
        invalid('input.final'),
      ],
      [
        'text, lone surrogate',
        stepParts([textPart(LONE_HIGH)]),
        failed('input.messages.0.content.parts.0.text'),
      ],
      [
        'tool output with NUL',
        stepParts(
          [{ type: 'tool-result', toolCallId: 's9', toolName: 't', output: { text: NUL } }],
          'tool',
        ),
        failed('input.messages.0.content.parts.0.output.text'),
      ],
      [
        'tool output with a BigInt',
        stepParts([{ type: 'tool-result', toolCallId: 's9', toolName: 't', output: 1n }], 'tool'),
        failed(under('input.messages.0.content.parts.0.output')),
      ],
      ['oversized content', stepParts([textPart(OVERSIZED)]), tooLarge],
    ],
  },
  {
    transition: 'completeRequiresAction',
    state: 'A0',
    rows: [
      ['input a string', (chat) => chat.completeRequiresAction('d1' as never), invalid('input')],
      ['results a string', complete({ results: 'x' }), invalid('input.results')],
      ['results an object', complete({ results: { d1: 'done' } }), invalid('input.results')],
      ['createdBy missing', complete({ createdBy: undefined }), invalid('input.createdBy')],
      ['createdBy with NUL', complete({ createdBy: NUL }), invalid('input.createdBy')],
      ['modelConfigId empty', complete({ modelConfigId: '' }), invalid('input.modelConfigId')],
      ['unknown key', complete({ force: true }), invalid('input.force')],
      [
        'toolCallId a number',
        complete({}, { toolCallId: 1 }),
        invalid('input.results.0.toolCallId'),
      ],
      ["isError 'yes'", complete({}, { isError: 'yes' }), invalid('input.results.0.isError')],
      [
        'result with an unknown key',
        complete({}, { toolName: 'client_tool' }),
        invalid('input.results.0.toolName'),
      ],
      // Documented: a non-JSON output is INVALID_TOOL_RESULTS ('invalid-output').
      ['output a function', complete({}, { output: () => 1 }), { code: 'INVALID_TOOL_RESULTS' }],
      ['output a BigInt', complete({}, { output: 1n }), { code: 'INVALID_TOOL_RESULTS' }],
      [
        'output that contains itself',
        complete({}, { output: cyclic() }),
        { code: 'INVALID_TOOL_RESULTS' },
      ],
      [
        'output nested 120 deep',
        complete({}, { output: nested(120) }),
        { code: 'INVALID_TOOL_RESULTS' },
      ],
      [
        'output nested 20,000 deep',
        complete({}, { output: nested(20_000) }),
        { code: 'INVALID_TOOL_RESULTS' },
      ],
      // Text Postgres cannot store is an output that cannot be recorded: the same code, so a
      // client learns which call's result to fix.
      [
        'output with NUL',
        complete({}, { output: { text: NUL } }),
        { code: 'INVALID_TOOL_RESULTS' },
      ],
      [
        'output, lone surrogate',
        complete({}, { output: LONE_HIGH }),
        { code: 'INVALID_TOOL_RESULTS' },
      ],
      ['oversized output', complete({}, { output: OVERSIZED }), tooLarge],
    ],
  },
  {
    transition: 'cancelRequiresAction',
    state: 'A0',
    rows: [
      ['reason empty', (chat) => chat.cancelRequiresAction(''), invalid('reason')],
      ['reason an object', (chat) => chat.cancelRequiresAction({} as never), invalid('reason')],
      ['reason with NUL', (chat) => chat.cancelRequiresAction(NUL), invalid('reason')],
      [
        'reason with a lone surrogate',
        (chat) => chat.cancelRequiresAction(LONE_LOW),
        invalid('reason'),
      ],
    ],
  },
  {
    transition: 'finishInterruption',
    state: 'I0',
    rows: [
      ['partials a string', (chat) => chat.finishInterruption('x' as never), invalid('partials')],
      ['partials null', (chat) => chat.finishInterruption(null as never), invalid('partials')],
      [
        'partials an object',
        (chat) => chat.finishInterruption({ 0: assistantText('p') } as never),
        invalid('partials'),
      ],
      [
        "role 'robot'",
        (chat) => chat.finishInterruption([{ ...assistantText('p'), role: 'robot' }] as never),
        invalid('partials.0.role'),
      ],
      [
        'usage.outputTokens -1',
        (chat) => chat.finishInterruption([{ ...assistantText('p'), usage: { outputTokens: -1 } }]),
        invalid('partials.0.usage.outputTokens'),
      ],
      [
        'text with NUL',
        (chat) => chat.finishInterruption([message('assistant', [textPart(NUL)])] as never),
        failed('partials.0.content.parts.0.text'),
      ],
      [
        'oversized content',
        (chat) => chat.finishInterruption([assistantText(OVERSIZED)]),
        tooLarge,
      ],
      [
        'options.release a string',
        (chat) => chat.finishInterruption([], { release: 'yes' } as never),
        invalid('options.release'),
      ],
      [
        'options with an unknown key',
        (chat) => chat.finishInterruption([], { release: true, now: 1 } as never),
        invalid('options.now'),
      ],
    ],
  },
  {
    transition: 'finishTurn',
    state: 'R0',
    rows: [
      ['options a string', (chat) => chat.finishTurn('release' as never), invalid('options')],
      [
        'options.release 1',
        (chat) => chat.finishTurn({ release: 1 } as never),
        invalid('options.release'),
      ],
    ],
  },
  {
    transition: 'finishError',
    state: 'R0',
    rows: [
      ['lastError a string', (chat) => chat.finishError('boom' as never), failed('lastError')],
      ['lastError null', (chat) => chat.finishError(null as never), failed('lastError')],
      ['message empty', finishError({ message: '' }), failed('lastError.message')],
      ["kind 'weird'", finishError({ kind: 'weird' }), failed('lastError.kind')],
      ['retryable missing', finishError({ retryable: undefined }), failed('lastError.retryable')],
      ['statusCode 1.5', finishError({ statusCode: 1.5 }), failed('lastError.statusCode')],
      ['unknown key', finishError({ stack: 's' }), failed('lastError.stack')],
      ['message with NUL', finishError({ message: NUL }), failed('lastError.message')],
      [
        'detail with a lone surrogate',
        finishError({ detail: LONE_HIGH }),
        failed('lastError.detail'),
      ],
      ['provider with NUL', finishError({ provider: NUL }), failed('lastError.provider')],
      [
        'options.release null',
        (chat) => chat.finishError(anError, { release: null } as never),
        invalid('options.release'),
      ],
    ],
  },
  {
    transition: 'reconcileInvalidState',
    state: 'Invalid',
    rows: [
      ['input a string', (chat) => chat.reconcileInvalidState('fix' as never), invalid('input')],
      [
        'unknown key',
        (chat) => chat.reconcileInvalidState({ force: true } as never),
        invalid('input.force'),
      ],
      [
        'reason empty',
        (chat) => chat.reconcileInvalidState({ reason: '' }),
        invalid('input.reason'),
      ],
      [
        'reason with NUL',
        (chat) => chat.reconcileInvalidState({ reason: NUL }),
        invalid('input.reason'),
      ],
      [
        'lastError without a kind',
        (chat) =>
          chat.reconcileInvalidState({ lastError: { message: 'x', retryable: false } } as never),
        failed('input.lastError.kind'),
      ],
      [
        'lastError message, lone surrogate',
        (chat) =>
          chat.reconcileInvalidState({
            lastError: { message: LONE_HIGH, kind: 'internal', retryable: false },
          }),
        failed('input.lastError.message'),
      ],
    ],
  },
];

// --- an empty user message -----------------------------------------------------------------

type MachineRow = [
  label: string,
  state: State,
  call: (machine: Machine, ids: ChatInState) => Promise<unknown>,
  expected: Expected,
];

/** The message itself or anything under its content: the rule may sit on either. */
const emptyUser = (root: string) => refused(new RegExp(`^${literal(root)}(\\.content(\\..+)?)?$`));

const NO_PARTS = content();
const BLANK = content(textPart(' \n\t '));
const inUpdate =
  (call: ChatCall) =>
  (machine: Machine, ids: ChatInState): Promise<unknown> =>
    machine.update(ids.chatId, (chat) => call(chat, ids));
const onStore =
  (call: StoreCall) =>
  (machine: Machine, ids: ChatInState): Promise<unknown> =>
    call(machine.store, ids);

const EMPTY_USER_MESSAGE_ROWS: MachineRow[] = [
  ['createChat: no parts', 'W', onStore(createParts([])), emptyUser('input.messages.0')],
  [
    'createChat: one empty text part',
    'W',
    onStore(createParts([textPart('')])),
    emptyUser('input.messages.0'),
  ],
  [
    'createChat: whitespace-only text',
    'W',
    onStore(createParts(BLANK.parts)),
    emptyUser('input.messages.0'),
  ],
  [
    'createChat: two blank text parts',
    'W',
    onStore(createParts([textPart(''), textPart('  ')])),
    emptyUser('input.messages.0'),
  ],
  [
    'sendMessage (starts a turn): no parts',
    'W',
    inUpdate(send({ content: NO_PARTS })),
    emptyUser('input'),
  ],
  [
    'sendMessage (starts a turn): whitespace-only',
    'W',
    inUpdate(send({ content: BLANK })),
    emptyUser('input'),
  ],
  [
    'sendMessage (queued): no parts',
    'R0',
    inUpdate(send({ content: NO_PARTS })),
    emptyUser('input'),
  ],
  ['editMessage: no parts', 'W', inUpdate(edit({ content: NO_PARTS })), emptyUser('input')],
  [
    'editMessage: whitespace-only text',
    'W',
    inUpdate(edit({ content: BLANK })),
    emptyUser('input'),
  ],
  [
    'commitStep: a user message with no parts',
    'R0',
    inUpdate(stepParts([], 'user')),
    emptyUser('input.messages.0'),
  ],
];

// --- openStore -----------------------------------------------------------------------------

type OpenRow = [
  label: string,
  source: (database: TestDatabase) => unknown,
  options: (pubsub: PubSub) => unknown,
  expected: Expected,
];

const theDatabase = (database: TestDatabase) => database.source();
const withPubsub = (patch: Patch) => (pubsub: PubSub) => ({ pubsub, ...patch });
const pubsubOnly = withPubsub({});
const url = (patch: Patch) => () => ({ url: 'postgres://localhost/x', ...patch });

const OPEN_ROWS: OpenRow[] = [
  ['source null', () => null, pubsubOnly, invalid('source')],
  ['source a string', () => './data', pubsubOnly, invalid('source')],
  ['source with no kind', () => ({}), pubsubOnly, invalid('source')],
  [
    'source with two kinds',
    () => ({ dataDir: './data', memory: true }),
    pubsubOnly,
    invalid('source'),
  ],
  [
    'source with an unknown key',
    () => ({ memory: true, size: 1 }),
    pubsubOnly,
    invalid('source.size'),
  ],
  ['dataDir empty', () => ({ dataDir: '' }), pubsubOnly, invalid('source.dataDir')],
  ['dataDir a number', () => ({ dataDir: 42 }), pubsubOnly, invalid('source.dataDir')],
  [
    'dataDir with NUL',
    () => ({ dataDir: `/tmp/chatd-${NUL}` }),
    pubsubOnly,
    invalid('source.dataDir'),
  ],
  ['memory false', () => ({ memory: false }), pubsubOnly, invalid('source.memory')],
  [
    'loadDataDir a string',
    () => ({ memory: true, loadDataDir: 'x' }),
    pubsubOnly,
    invalid('source.loadDataDir'),
  ],
  [
    'url not postgres://',
    () => ({ url: 'http://localhost/db' }),
    pubsubOnly,
    invalid('source.url'),
  ],
  ['url a number', () => ({ url: 5432 }), pubsubOnly, invalid('source.url')],
  ['maxConnections 0', url({ maxConnections: 0 }), pubsubOnly, invalid('source.maxConnections')],
  [
    'maxConnections 1.5',
    url({ maxConnections: 1.5 }),
    pubsubOnly,
    invalid('source.maxConnections'),
  ],
  [
    "maxConnections '4'",
    url({ maxConnections: '4' }),
    pubsubOnly,
    invalid('source.maxConnections'),
  ],
  ['options missing', theDatabase, () => undefined, invalid('options')],
  ['options a string', theDatabase, () => 'x', invalid('options')],
  ['pubsub missing', theDatabase, () => ({}), invalid('options.pubsub')],
  [
    'options with an unknown key',
    theDatabase,
    withPubsub({ debug: true }),
    invalid('options.debug'),
  ],
  ['lease a string', theDatabase, withPubsub({ lease: 'short' }), invalid('lease')],
  [
    'lease.heartbeatIntervalMs 0',
    theDatabase,
    withPubsub({ lease: { heartbeatIntervalMs: 0 } }),
    invalid('lease.heartbeatIntervalMs'),
  ],
  [
    'lease.staleAfterMs 1.5',
    theDatabase,
    withPubsub({ lease: { staleAfterMs: 1.5 } }),
    invalid('lease.staleAfterMs'),
  ],
  [
    'lease stale before the heartbeat interval',
    theDatabase,
    withPubsub({ lease: { heartbeatIntervalMs: 10, staleAfterMs: 5 } }),
    invalid('lease.staleAfterMs'),
  ],
  [
    'lease with an unknown key',
    theDatabase,
    withPubsub({ lease: { ttl: 5 } }),
    invalid('lease.ttl'),
  ],
  ['limits an array', theDatabase, withPubsub({ limits: [] }), invalid('limits')],
  [
    'limits.maxContentBytes 0',
    theDatabase,
    withPubsub({ limits: { maxContentBytes: 0 } }),
    invalid('limits.maxContentBytes'),
  ],
  [
    "limits.maxContentBytes '1000'",
    theDatabase,
    withPubsub({ limits: { maxContentBytes: '1000' } }),
    invalid('limits.maxContentBytes'),
  ],
  [
    'limits with an unknown key',
    theDatabase,
    withPubsub({ limits: { maxBytes: 5 } }),
    invalid('limits.maxBytes'),
  ],
];

// --- metadata: the same rules on creation and on later updates ----------------------------

type Verdict = 'accepted' | 'refused';

const TITLES: [label: string, title: unknown, verdict: Verdict][] = [
  ['of one character', 'x', 'accepted'],
  ['of 500 characters', 't'.repeat(500), 'accepted'],
  ['padded with spaces', '  spaced  ', 'accepted'],
  ['with an emoji (a surrogate pair)', 'chat 😀', 'accepted'],
  ['empty', '', 'refused'],
  ['of 501 characters', 't'.repeat(501), 'refused'],
  ['with NUL', NUL, 'refused'],
  ['with a lone surrogate', LONE_HIGH, 'refused'],
  ['a number', 42, 'refused'],
  ['null', null, 'refused'],
];

const LABELS: [label: string, labels: unknown, verdict: Verdict][] = [
  ['none', {}, 'accepted'],
  ['with string values (one empty)', { team: 'core', empty: '' }, 'accepted'],
  ['with an emoji key and value', { '😀': '😀' }, 'accepted'],
  ['with a number value', { a: 1 }, 'refused'],
  ['an array', ['x'], 'refused'],
  ['a string', 'x', 'refused'],
  ['null', null, 'refused'],
  ['with a NUL value', { a: NUL }, 'refused'],
  ['with a NUL key', { [NUL]: 'v' }, 'refused'],
  ['with a lone-surrogate value', { a: LONE_LOW }, 'refused'],
];

// --- suites --------------------------------------------------------------------------------

describeEachDatabase('bad input', (database) => {
  describe('store methods refuse it, write nothing and publish nothing', () => {
    describe('chat ids', () => {
      it.each(CHAT_ID_ROWS)('%s', async (_label, call, expected) => {
        const { machine, ids } = await setUp(database, 'W');
        await expectRefused(database, machine, () => call(machine.store, ids), expected);
      });
    });

    for (const [method, rows] of Object.entries(STORE_ROWS)) {
      describe(method, () => {
        it.each(rows)('%s', async (_label, call, expected) => {
          const { machine, ids } = await setUp(database, 'W');
          await expectRefused(database, machine, () => call(machine.store, ids), expected);
        });
      });
    }
  });

  describe('transitions refuse it, roll the update back and publish nothing', () => {
    for (const { transition, state, rows } of TRANSITION_ROWS) {
      describe(`chat.${transition} (in ${state})`, () => {
        it.each(rows)('%s', async (_label, call, expected) => {
          const { machine, ids } = await setUp(database, state);
          await expectRefused(database, machine, () => inUpdate(call)(machine, ids), expected);
        });
      });
    }
  });

  describe('an empty user message is refused', () => {
    it.each(EMPTY_USER_MESSAGE_ROWS)('%s', async (_label, state, call, expected) => {
      const { machine, ids } = await setUp(database, state);
      await expectRefused(database, machine, () => call(machine, ids), expected);
    });
  });

  describe('openStore refuses bad sources and options and opens nothing', () => {
    it.each(OPEN_ROWS)('%s', async (_label, source, options, expected) => {
      const before = snapshotResources();
      const pubsub = new PubSub();
      const outcome = await outcomeOf(() =>
        openStore(source(database) as never, options(pubsub) as never),
      );
      // A store opened by mistake is closed before asserting, so a failing row leaks nothing.
      if ('accepted' in outcome) await (outcome.accepted as MessageStore).close();
      await pubsub.close();
      expectOutcome(outcome, expected);
      expect.soft('accepted' in outcome, 'no store was opened').toBe(false);
      expect(await newResourcesSince(before)).toEqual([]);
    });
  });

  describe('the same rules on creation and on later updates', () => {
    /** `createChat` and `updateChatMetadata` given one field: both accept it or both refuse it. */
    async function expectSameRule(field: 'title' | 'labels', value: unknown, verdict: Verdict) {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const create = () => machine.create({ [field]: value as never });
      const update = () => machine.store.updateChatMetadata(chatId, { [field]: value as never });
      if (verdict === 'refused') {
        await expectRefused(database, machine, create, invalid(under(`input.${field}`)));
        await expectRefused(database, machine, update, invalid(under(`update.${field}`)));
        return;
      }
      const created = await create();
      expect((await machine.store.getChat(created.chatId))[field]).toEqual(value);
      expect((await update())[field]).toEqual(value);
      // Stored unchanged, not only returned so: read back with SQL.
      const rows = await database.query<Record<string, unknown>>(
        `SELECT ${field} FROM chats WHERE id = ANY($1::uuid[])`,
        [[created.chatId, chatId]],
      );
      expect(rows.map((row) => row[field])).toEqual([value, value]);
    }

    it.each(TITLES)('a title %s is %s by both', async (_label, title, verdict) => {
      await expectSameRule('title', title, verdict);
    });

    it.each(LABELS)('labels %s are %s by both', async (_label, labels, verdict) => {
      await expectSameRule('labels', labels, verdict);
    });
  });
});
