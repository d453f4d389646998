import { APICallError } from '@ai-sdk/provider';
import type { ChatStatus } from '@chatd/core';
import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatUpdatePayload,
  chatUpdateChannel,
} from '@chatd/message-store';
import {
  type CreateTestStoreOptions,
  createTestStore,
  type TestStore,
} from '@chatd/message-store/testing';
import { tool } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { staticModels } from '../models/static-models.js';
import type { ChatStreamEventWithCursor } from '../stream/subscriber-events.js';
import {
  type ScriptedCall,
  scriptedModel,
  textAnswer,
  toolCalls,
} from '../test-support/mock-model.js';
import { deferred, heldAnswer, isStatus, read } from '../test-support/streams.js';
import type { ToolProvider, ToolTurnContext } from '../tools/tool-provider.js';
import { type Chatd, type CreateChatdOptions, createChatd } from './chatd.js';
import type { ChatdOptions } from './options.js';

const FAST: ChatdOptions = {
  acquireIntervalMs: 50,
  taskRetryInitialDelayMs: 10,
  taskRetryMaxDelayMs: 50,
  generationRetryInitialDelayMs: 10,
  generationRetryMaxDelayMs: 50,
};

interface Engine {
  chatd: Chatd;
  testStore: TestStore;
  script: ScriptedCall[];
  model: ReturnType<typeof scriptedModel>;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function engine(
  options: ChatdOptions = {},
  extra: Partial<CreateChatdOptions> = {},
  storeOptions: CreateTestStoreOptions = {},
): Promise<Engine> {
  const testStore = await createTestStore(storeOptions);
  open.push(() => testStore.close());
  const script: ScriptedCall[] = [];
  const model = scriptedModel(script);
  const chatd = createChatd({
    store: testStore.store,
    models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
    options: { ...FAST, ...options },
    ...extra,
  });
  open.push(() => chatd.close());
  await chatd.start();
  return { chatd, testStore, script, model };
}

/**
 * Creates a chat whose model first calls the client tool `pickColor` (call `p1`), then
 * answers `answer` once it has the result.
 */
async function askForAColor(chatd: Chatd, script: ScriptedCall[], answer: string) {
  script.push(
    { parts: toolCalls([{ toolCallId: 'p1', toolName: 'pickColor', input: {} }]) },
    { parts: textAnswer(answer) },
  );
  return chatd.createChat({
    ownerId: 'ann',
    content: 'Pick a color',
    dynamicTools: [{ name: 'pickColor', inputSchema: { type: 'object', properties: {} } }],
  });
}

async function waitForStatus(chatd: Chatd, chatId: string, status: ChatStatus) {
  await vi.waitFor(
    async () => {
      expect((await chatd.getChat(chatId)).status).toBe(status);
    },
    { timeout: 30_000, interval: 20 },
  );
}

async function transcript(chatd: Chatd, chatId: string) {
  const { messages } = await chatd.listMessages(chatId, { limit: 200 });
  return messages
    .slice()
    .reverse()
    .map((message) => ({ role: message.role, parts: message.content.parts }));
}

describe('a chatd turn', () => {
  it('answers the first message and leaves the chat waiting', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('Hello there!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say hello' });
    expect(chat.status).toBe('running');
    await waitForStatus(chatd, chat.id, 'waiting');
    const messages = await transcript(chatd, chat.id);
    expect(messages).toEqual([
      { role: 'user', parts: [{ type: 'text', text: 'Say hello' }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'Hello there!' }] },
    ]);
    const { messages: page } = await chatd.listMessages(chat.id);
    expect(page[0]?.usage).toMatchObject({ inputTokens: 10, outputTokens: 5 });
    expect(chatd.stats()).toMatchObject({ inputTokens: 10, outputTokens: 5, providerErrors: {} });
    // The store opened its in-memory database itself, so no other replica follows its drafts,
    // and the reply was committed within the draft window: not one draft was written.
    expect(chatd.stats().draftBatchesWritten).toBe(0);
  });

  it('writes drafts of the reply for followers on other replicas', async () => {
    const { chatd, script } = await engine({}, {}, { drafts: { remoteFollowers: true } });
    script.push({ parts: textAnswer('Hello there!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say hello' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(chatd.stats().draftBatchesWritten).toBeGreaterThan(0);
  });

  it("returns the first user message's id, after a system prompt too", async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('One.') }, { parts: textAnswer('Two.') });
    for (const systemPrompt of [undefined, 'Be brief.']) {
      const chat = await chatd.createChat({
        ownerId: 'ann',
        content: 'Count',
        ...(systemPrompt === undefined ? {} : { systemPrompt }),
      });
      await waitForStatus(chatd, chat.id, 'waiting');
      const { messages } = await chatd.listMessages(chat.id, { limit: 200 });
      const user = messages.find((message) => message.role === 'user');
      expect(chat.firstMessageId).toBe(user?.id);
    }
  });

  it('refuses an unknown model configuration before writing anything', async () => {
    const { chatd, testStore } = await engine();
    await expect(
      chatd.createChat({ ownerId: 'ann', content: 'hi', modelConfigId: 'nope' }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_MODEL_CONFIG' });
    expect((await testStore.store.listChats('ann')).chats).toEqual([]);
  });

  it('commits a server tool call, runs the tool, commits its result, then answers', async () => {
    const calls: unknown[] = [];
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {
          weather: tool({
            description: 'weather in a city',
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }) => {
              calls.push(city);
              return { city, celsius: 7 };
            },
          }),
        },
        close: () => {},
      }),
    };
    const { chatd, script } = await engine({}, { tools });
    script.push(
      { parts: toolCalls([{ toolCallId: 'c1', toolName: 'weather', input: { city: 'Oslo' } }]) },
      { parts: textAnswer('It is 7°C in Oslo.') },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Weather in Oslo?' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(calls).toEqual(['Oslo']);
    const messages = await transcript(chatd, chat.id);
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(messages[2]?.parts[0]).toMatchObject({
      type: 'tool-result',
      toolCallId: 'c1',
      output: { city: 'Oslo', celsius: 7 },
    });
  });

  it('waits for client tool results, then runs on', async () => {
    const { chatd, script } = await engine();
    const chat = await askForAColor(chatd, script, 'Blue it is.');
    await waitForStatus(chatd, chat.id, 'requires-action');
    await chatd.submitToolResults(chat.id, [{ toolCallId: 'p1', output: 'blue' }]);
    await waitForStatus(chatd, chat.id, 'waiting');
    const messages = await transcript(chatd, chat.id);
    expect(messages.at(-1)).toEqual({
      role: 'assistant',
      parts: [{ type: 'text', text: 'Blue it is.' }],
    });
  });

  it("ends the turn after a stop-after tool's successful result, without asking the model again", async () => {
    let opened = 0;
    let closed = 0;
    const contexts: ToolTurnContext[] = [];
    const tools: ToolProvider = {
      forTurn: async (context) => {
        contexts.push(context);
        opened += 1;
        return {
          tools: {
            submitPlan: tool({ inputSchema: z.object({}), execute: async () => 'plan saved' }),
          },
          stopAfter: ['submitPlan'],
          close: () => {
            closed += 1;
          },
        };
      },
    };
    const { chatd, script } = await engine({}, { tools });
    script.push(
      { parts: toolCalls([{ toolCallId: 's1', toolName: 'submitPlan', input: {} }]) },
      { parts: textAnswer('This answer must not be asked for.') },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Plan it' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const messages = await transcript(chatd, chat.id);
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[2]?.parts[0]).toMatchObject({ type: 'tool-result', output: 'plan saved' });
    expect(script).toHaveLength(1);
    // One tool set per action (model step, tool batch), each closed after it; the tool
    // batch's commit decides the finish in its own transaction.
    expect(opened).toBe(2);
    // Each action's tools know the chat, its owner and the model it runs with.
    expect(contexts[0]).toMatchObject({
      chatId: chat.id,
      ownerId: 'ann',
      modelConfigId: chat.modelConfigId,
      mcpServerIds: [],
    });
    expect(closed).toBe(opened);
  });

  it("streams the tool set's warnings to subscribers as data-warning parts", async () => {
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {},
        warnings: [{ message: 'The docs server is unavailable', source: 'docs' }],
        close: () => {},
      }),
    };
    const { chatd, script } = await engine({}, { tools });
    const release = deferred();
    script.push(heldAnswer(['Hello', ' there'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi' });
    const stop = new AbortController();
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(
      chatd.subscribe(chat.id, { signal: stop.signal }),
      events,
      isStatus('waiting'),
    );
    await vi.waitFor(() =>
      expect(
        events.map((event) => (event.type === 'message-part' ? event.part.type : '')),
      ).toContain('text-delta'),
    );
    release.resolve();
    await reading;
    stop.abort();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'message-part',
        part: {
          type: 'data-warning',
          data: { message: 'The docs server is unavailable', source: 'docs' },
        },
      }),
    );
  });

  it('warns that a server tool hides a client tool of the same name, and declares both names once', async () => {
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {
          lookup: tool({ inputSchema: z.object({}), execute: async () => 'server' }),
        },
        close: () => {},
      }),
    };
    const { chatd, model, script } = await engine({}, { tools });
    const release = deferred();
    script.push(heldAnswer(['Hello', ' there'], 1, release.promise));
    const chat = await chatd.createChat({
      ownerId: 'ann',
      content: 'hi',
      dynamicTools: [
        { name: 'lookup', inputSchema: { type: 'object' } },
        { name: 'constructor', inputSchema: { type: 'object' } },
        { name: '__proto__', inputSchema: { type: 'object' } },
      ],
    });
    const stop = new AbortController();
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(
      chatd.subscribe(chat.id, { signal: stop.signal }),
      events,
      isStatus('waiting'),
    );
    // The warning is part of the turn in flight: read while it streams.
    await vi.waitFor(() =>
      expect(events.some((event) => event.type === 'message-part')).toBe(true),
    );
    release.resolve();
    await reading;
    stop.abort();
    const warnings = events.flatMap((event) =>
      event.type === 'message-part' && event.part.type === 'data-warning' ? [event.part.data] : [],
    );
    expect(warnings).toEqual([
      {
        message:
          "The client tool lookup has the name of a server tool: the model's calls of lookup run the server's",
        source: 'lookup',
      },
    ]);
    const declared = (model.doStreamCalls[0]?.tools ?? []).map((declaration) => declaration.name);
    expect(declared.sort()).toEqual(['__proto__', 'constructor', 'lookup']);
  });

  it('refuses every call of a step that called an exclusive tool with a client tool', async () => {
    const deployed: unknown[] = [];
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {
          deploy: tool({
            inputSchema: z.object({}),
            execute: async () => {
              deployed.push('deploy');
              return 'deployed';
            },
          }),
        },
        exclusive: ['deploy'],
        close: () => {},
      }),
    };
    const { chatd, script } = await engine({}, { tools });
    script.push(
      {
        parts: toolCalls([
          { toolCallId: 'd1', toolName: 'deploy', input: {} },
          { toolCallId: 'p1', toolName: 'pickColor', input: {} },
        ]),
      },
      { parts: textAnswer('I will deploy on its own next time.') },
    );
    const chat = await chatd.createChat({
      ownerId: 'ann',
      content: 'Deploy and pick a color',
      dynamicTools: [{ name: 'pickColor', inputSchema: { type: 'object', properties: {} } }],
    });
    // Without the exclusive rule the client call would put the chat in requires-action.
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(deployed).toEqual([]);
    const messages = await transcript(chatd, chat.id);
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
    ]);
    expect([messages[2]?.parts[0], messages[3]?.parts[0]]).toEqual([
      expect.objectContaining({ toolCallId: 'd1', isError: true }),
      expect.objectContaining({ toolCallId: 'p1', isError: true }),
    ]);
    expect(JSON.stringify(messages[2]?.parts[0])).toContain('must be called on its own');
  });

  it('honours timeouts longer than the longest Node timer (30 days) instead of firing at once', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    open.push(async () => {
      process.off('warning', onWarning);
    });
    const thirtyDaysMs = 30 * 24 * 60 * 60 * 1000;
    const { chatd, script, model } = await engine({
      taskTimeoutMs: thirtyDaysMs,
      requiresActionTimeoutMs: thirtyDaysMs,
      streamSilenceTimeoutMs: thirtyDaysMs,
    });
    const chat = await askForAColor(chatd, script, 'Blue it is.');
    await waitForStatus(chatd, chat.id, 'requires-action');
    // A timer cut to 1 ms would have timed the call out or retried the task by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await chatd.getChat(chat.id)).status).toBe('requires-action');
    await chatd.submitToolResults(chat.id, [{ toolCallId: 'p1', output: 'blue' }]);
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(model.doStreamCalls).toHaveLength(2);
    expect((await transcript(chatd, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'Blue it is.' },
    ]);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('cancels client tool calls at the requires-action deadline and runs on', async () => {
    const { chatd, script } = await engine({ requiresActionTimeoutMs: 200 });
    const chat = await askForAColor(chatd, script, 'No answer, so green.');
    // Not polled for: the 200 ms in requires-action can pass between two polls on a busy
    // machine. The timed-out result below shows the chat went through it.
    await waitForStatus(chatd, chat.id, 'waiting');
    const messages = await transcript(chatd, chat.id);
    expect(messages[2]?.parts[0]).toMatchObject({
      type: 'tool-result',
      toolCallId: 'p1',
      isError: true,
      output: 'Tool execution timed out',
    });
    expect(messages.at(-1)?.parts).toEqual([{ type: 'text', text: 'No answer, so green.' }]);
  });

  it('queues a message sent while busy and answers it after the current turn', async () => {
    const { chatd, script } = await engine();
    const release = deferred();
    script.push(
      {
        parts: textAnswer('First ').slice(0, 3),
        holdUntil: release.promise,
        after: textAnswer('answer').slice(1),
      },
      { parts: textAnswer('Second answer') },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'one' });
    const sent = await chatd.sendMessage(chat.id, { content: 'two' });
    expect(sent).toMatchObject({
      queued: true,
      queuedMessage: { content: { parts: [{ text: 'two' }] } },
    });
    release.resolve();
    await vi.waitFor(
      async () => {
        const messages = await transcript(chatd, chat.id);
        expect(messages.map((message) => message.role)).toEqual([
          'user',
          'assistant',
          'user',
          'assistant',
        ]);
      },
      { timeout: 30_000, interval: 20 },
    );
    await waitForStatus(chatd, chat.id, 'waiting');
  });

  it('deleteChat stops the running turn at once and ends the chat’s streams', async () => {
    // A runner sync a minute away: the turn must stop because of the deletion itself.
    const { chatd, script } = await engine({ runnerSyncIntervalMs: 60_000 });
    const never = new Promise<void>(() => {});
    script.push({ parts: textAnswer('Once upon a time', 5).slice(0, 4), holdUntil: never });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Tell a story' });
    const stop = new AbortController();
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(chatd.subscribe(chat.id, { signal: stop.signal }), events, () => false);
    reading.catch(() => {});
    await vi.waitFor(() =>
      expect(events.some((event) => event.type === 'message-part')).toBe(true),
    );
    expect(chatd.stats().liveRunners).toBe(1);
    await chatd.deleteChat(chat.id);
    // Stopped by the deletion itself, not found out later by a heartbeat or a sync.
    expect(chatd.stats().liveRunners).toBe(0);
    await expect(reading).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    await expect(chatd.getChat(chat.id)).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    await expect(chatd.deleteChat(chat.id)).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    stop.abort();
  });

  it('setChatLabels replaces the labels; listChats filters by them', async () => {
    const { chatd } = await engine();
    const chat = await chatd.createChat({
      ownerId: 'ann',
      content: 'hi',
      title: 't',
      labels: { a: '1' },
    });
    expect((await chatd.setChatLabels(chat.id, { b: '2' })).labels).toEqual({ b: '2' });
    expect((await chatd.listChats('ann', { labels: { b: '2' } })).chats.map((c) => c.id)).toEqual([
      chat.id,
    ]);
    expect((await chatd.listChats('ann', { labels: { a: '1' } })).chats).toEqual([]);
  });

  it('an interrupt mid-text commits the partial text as one part and leaves the chat waiting', async () => {
    const { chatd, script, testStore } = await engine();
    const never = new Promise<void>(() => {});
    const parts = textAnswer('Once upon a time there was', 5).slice(0, 5);
    script.push({ parts, holdUntil: never });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Tell a story' });
    // Wait until the deltas are in the buffer: the attempt is recorded and streaming.
    await vi.waitFor(
      async () => {
        const state = await testStore.store.readLock(chat.id, async (snapshot) => snapshot.row);
        expect(state.generationAttempt).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 10 },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await chatd.interrupt(chat.id);
    await waitForStatus(chatd, chat.id, 'waiting');
    const messages = await transcript(chatd, chat.id);
    expect(messages[1]?.role).toBe('assistant');
    expect(messages[1]?.parts).toHaveLength(1);
    const [partial] = messages[1]?.parts ?? [];
    expect(partial).toMatchObject({ type: 'text' });
    expect('Once upon a time there was').toContain((partial as { text: string }).text);
  });

  it('keeps a long reply whole when interrupted: 15,000 deltas, past 1 MiB of parts', async () => {
    const { chatd, script } = await engine();
    const words = 15_000;
    const text = ' word'.repeat(words);
    // The stream start, the text start and every delta; then the model holds.
    const parts = textAnswer(text, words).slice(0, words + 2);
    script.push({ parts, holdUntil: new Promise<void>(() => {}) });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say word, many times' });
    // Every delta is in the buffer: over a megabyte of parts.
    await vi.waitFor(
      () => expect(chatd.stats().bufferBytes).toBeGreaterThan(1024 * 1024 + 100_000),
      {
        timeout: 60_000,
        interval: 20,
      },
    );
    await chatd.interrupt(chat.id);
    await waitForStatus(chatd, chat.id, 'waiting');
    const [, reply] = await transcript(chatd, chat.id);
    expect(reply?.parts).toEqual([{ type: 'text', text }]);
  });

  it('retries a retryable provider error and then answers', async () => {
    const { chatd, script } = await engine();
    const serverError = () =>
      new APICallError({
        message: 'Internal Server Error',
        url: 'http://model',
        requestBodyValues: {},
        statusCode: 500,
        isRetryable: true,
      });
    script.push(
      { parts: [], error: serverError() },
      { parts: [], error: serverError() },
      {
        parts: textAnswer('Recovered'),
      },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect((await transcript(chatd, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'Recovered' },
    ]);
    expect(chatd.stats().providerErrors).toEqual({ generic: 2 });
  });

  it('ends in error once the attempts are used up, with a user-facing error', async () => {
    const { chatd, script } = await engine({ maxGenerationAttempts: 2 });
    const overloaded = () =>
      new APICallError({
        message: 'Overloaded',
        url: 'http://model',
        requestBodyValues: {},
        statusCode: 529,
        isRetryable: true,
      });
    script.push({ parts: [], error: overloaded() }, { parts: [], error: overloaded() });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi' });
    await waitForStatus(chatd, chat.id, 'error');
    expect((await chatd.getChat(chat.id)).lastError).toMatchObject({ kind: 'overloaded' });
  });

  it('gives a new chat a fallback title at once, then a generated one', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('Hello!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello there my friend' });
    expect(chat.title).toBe('hello there my friend');
    await vi.waitFor(
      async () => {
        expect((await chatd.getChat(chat.id)).title).toBe('A generated title');
      },
      { timeout: 30_000, interval: 20 },
    );
  });

  it('titles many new chats at once without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { chatd, script } = await engine();
      // More than the default limit of ten listeners per signal.
      const count = 12;
      for (let index = 0; index < count; index += 1) script.push({ parts: textAnswer('Hi!') });
      const chats = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          chatd.createChat({ ownerId: 'ann', content: `question number ${index}` }),
        ),
      );
      await vi.waitFor(
        async () => {
          for (const chat of chats) {
            expect((await chatd.getChat(chat.id)).title).toBe('A generated title');
          }
        },
        { timeout: 30_000, interval: 50 },
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('asks for the title only once the first reply is committed, off its path', async () => {
    const script: ScriptedCall[] = [];
    const model = scriptedModel(script);
    const { chatd } = await engine(
      {},
      { models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }) },
    );
    const release = deferred();
    script.push(heldAnswer(['Hel', 'lo'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello there' });
    await vi.waitFor(() => expect(model.doStreamCalls).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(model.doGenerateCalls).toHaveLength(0);
    release.resolve();
    await vi.waitFor(
      async () => expect((await chatd.getChat(chat.id)).title).toBe('A generated title'),
      { timeout: 30_000, interval: 20 },
    );
    expect(model.doGenerateCalls).toHaveLength(1);
  });

  it('titles a chat no worker runs once titleTimeoutMs has passed', async () => {
    const testStore = await createTestStore();
    open.push(() => testStore.close());
    const model = scriptedModel([]);
    const apiOnly = createChatd({
      store: testStore.store,
      models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
      options: { titleTimeoutMs: 200 },
    });
    open.push(() => apiOnly.close());
    const chat = await apiOnly.createChat({ ownerId: 'ann', content: 'hello there' });
    await vi.waitFor(
      async () => expect((await apiOnly.getChat(chat.id)).title).toBe('A generated title'),
      { timeout: 10_000, interval: 20 },
    );
    expect((await apiOnly.getChat(chat.id)).status).toBe('running');
  });

  it('with titleModelConfigId null, keeps the fallback title and asks no model for one', async () => {
    const script: ScriptedCall[] = [];
    const model = scriptedModel(script);
    const { chatd } = await engine(
      { titleModelConfigId: null },
      { models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }) },
    );
    script.push({ parts: textAnswer('Hello!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello there my friend' });
    await waitForStatus(chatd, chat.id, 'waiting');
    // Past the point where a title would have been asked for (right after the first step).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(model.doGenerateCalls).toHaveLength(0);
    expect((await chatd.getChat(chat.id)).title).toBe('hello there my friend');
  });

  it('refuses a titleModelConfigId that is neither an id nor null', () => {
    for (const titleModelConfigId of ['', 42]) {
      expect(() =>
        createChatd({
          store: {} as never,
          models: staticModels({}),
          options: { titleModelConfigId: titleModelConfigId as never },
        }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('keeps a title the caller gave', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('Hello!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello', title: 'Mine' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect((await chatd.getChat(chat.id)).title).toBe('Mine');
  });
});

describe('interrupts, edits and compaction', () => {
  it('an interrupt during a tool batch keeps finished results; unfinished calls get the interrupted error', async () => {
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {
          fast: tool({ inputSchema: z.object({}), execute: async () => ({ done: true }) }),
          slow: tool({
            inputSchema: z.object({}),
            execute: (_input, { abortSignal }) =>
              new Promise<string>((_resolve, reject) => {
                abortSignal?.addEventListener('abort', () => reject(new Error('aborted')), {
                  once: true,
                });
              }),
          }),
        },
        close: () => {},
      }),
    };
    const { chatd, script, testStore } = await engine({}, { tools });
    script.push({
      parts: toolCalls([
        { toolCallId: 'a', toolName: 'fast', input: {} },
        { toolCallId: 'b', toolName: 'slow', input: {} },
      ]),
    });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'run both' });
    // The calls are committed, and the batch is running: the next attempt has started.
    await vi.waitFor(
      async () => {
        const messages = await transcript(chatd, chat.id);
        expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
        const row = await testStore.store.readLock(chat.id, async (snapshot) => snapshot.row);
        expect(row.generationAttempt).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 10 },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await chatd.interrupt(chat.id);
    await waitForStatus(chatd, chat.id, 'waiting');
    const results = (await transcript(chatd, chat.id))
      .filter((message) => message.role === 'tool')
      .map((message) => message.parts[0]);
    expect(results).toEqual([
      { type: 'tool-result', toolCallId: 'a', toolName: 'fast', output: { done: true } },
      {
        type: 'tool-result',
        toolCallId: 'b',
        toolName: 'slow',
        output: 'Tool execution interrupted by user',
        isError: true,
      },
    ]);
  });

  it('an edit replaces the message and what followed, and answers the new content', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('First answer') }, { parts: textAnswer('Second answer') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'first question', title: 't' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const { messages } = await chatd.listMessages(chat.id);
    const question = messages.find((message) => message.role === 'user');
    await chatd.editMessage(chat.id, question?.id as number, { content: 'better question' });
    await vi.waitFor(
      async () => {
        expect(await transcript(chatd, chat.id)).toEqual([
          { role: 'user', parts: [{ type: 'text', text: 'better question' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Second answer' }] },
        ]);
      },
      { timeout: 30_000, interval: 20 },
    );
  });

  it('a manual compaction commits the summary triplet and returns to waiting', async () => {
    const { chatd, script, testStore } = await engine();
    script.push({ parts: textAnswer('An answer') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'question', title: 't' });
    await waitForStatus(chatd, chat.id, 'waiting');
    await chatd.compact(chat.id);
    await vi.waitFor(
      async () => {
        const messages = await transcript(chatd, chat.id);
        expect(messages.at(-2)?.parts[0]).toMatchObject({
          type: 'tool-call',
          toolName: 'chat_summarized',
          input: { source: 'manual' },
        });
      },
      { timeout: 30_000, interval: 20 },
    );
    await waitForStatus(chatd, chat.id, 'waiting');
    const prompt = await testStore.store.getPromptHistory(chat.id);
    expect(prompt.at(-1)).toMatchObject({ role: 'user', compressed: true, visibility: 'model' });
    // Nothing new since: a second request is refused without a write.
    await expect(chatd.compact(chat.id)).rejects.toMatchObject({ code: 'NOTHING_TO_COMPACT' });
  });

  it('refuses to compact a new chat while it runs as busy, not as having nothing to compact', async () => {
    const { chatd, script } = await engine();
    const release = deferred();
    script.push(heldAnswer(['One', '.'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'First', title: 't' });
    await expect(chatd.compact(chat.id)).rejects.toMatchObject({
      code: 'TRANSITION_NOT_ALLOWED',
      message: expect.stringMatching(/^The chat is running/),
    });
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
  });

  it('compacts automatically when the prompt passed the threshold, then answers', async () => {
    const testStore = await createTestStore();
    open.push(() => testStore.close());
    const script: ScriptedCall[] = [
      { parts: textAnswer('A long answer', 3, { inputTokens: 800 }) },
      { parts: textAnswer('Answer after compaction') },
    ];
    const chatd = createChatd({
      store: testStore.store,
      models: staticModels(
        { mock: { model: scriptedModel(script), contextLimitTokens: 1000 } },
        { defaultModelConfigId: 'mock' },
      ),
      options: FAST,
    });
    open.push(() => chatd.close());
    await chatd.start();
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'question one', title: 't' });
    await waitForStatus(chatd, chat.id, 'waiting');
    await chatd.sendMessage(chat.id, { content: 'question two' });
    await vi.waitFor(
      async () => {
        const messages = await transcript(chatd, chat.id);
        expect(messages.at(-1)?.parts).toEqual([{ type: 'text', text: 'Answer after compaction' }]);
        expect(
          messages.some(
            (message) => (message.parts[0] as { toolName?: string }).toolName === 'chat_summarized',
          ),
        ).toBe(true);
      },
      { timeout: 30_000, interval: 20 },
    );
  });
});

describe('close', () => {
  it('hands a chat over to another instance at once and leaves nothing running', async () => {
    const testStore = await createTestStore({
      lease: { heartbeatIntervalMs: 60_000, staleAfterMs: 600_000 },
    });
    open.push(() => testStore.close());
    const release = deferred();
    const first: ScriptedCall[] = [
      { parts: textAnswer('partial').slice(0, 3), holdUntil: release.promise },
    ];
    const second: ScriptedCall[] = [{ parts: textAnswer('From the second instance') }];
    const before = snapshotResources();
    const one = createChatd({
      store: testStore.store,
      models: staticModels(
        { mock: { model: scriptedModel(first) } },
        { defaultModelConfigId: 'mock' },
      ),
      options: FAST,
    });
    await one.start();
    const chat = await one.createChat({ ownerId: 'ann', content: 'hi' });
    await vi.waitFor(async () => {
      expect((await testStore.store.getChat(chat.id)).workerId).not.toBeNull();
    });
    const two = createChatd({
      store: testStore.store,
      models: staticModels(
        { mock: { model: scriptedModel(second) } },
        { defaultModelConfigId: 'mock' },
      ),
      options: FAST,
    });
    open.push(() => two.close());
    await two.start();
    await one.close();
    release.resolve();
    await waitForStatus(two, chat.id, 'waiting');
    expect((await transcript(two, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'From the second instance' },
    ]);
    await two.close();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('a running worker takes the chats its instance makes runnable', () => {
  /** The chats of every ownership hint, and the updates of the chats asked for, as published. */
  function recordHints(testStore: TestStore) {
    const stop = new AbortController();
    open.push(async () => stop.abort());
    const listen = async (channel: string, onPayload: (payload: unknown) => void) => {
      const subscription = testStore.store.pubsub.subscribe(channel, { signal: stop.signal });
      (async () => {
        for await (const event of subscription) {
          if (event.type === 'message') onPayload(event.payload);
        }
      })().catch(() => {});
      await subscription.ready;
    };
    const ownership: string[] = [];
    return {
      ownership,
      ready: listen(CHAT_OWNERSHIP_CHANNEL, (payload) =>
        ownership.push((payload as { chatId: string }).chatId),
      ),
      async updatesOf(chatId: string): Promise<ChatUpdatePayload[]> {
        const updates: ChatUpdatePayload[] = [];
        await listen(chatUpdateChannel(chatId), (payload) =>
          updates.push(payload as ChatUpdatePayload),
        );
        return updates;
      },
    };
  }

  it('creates the chat owned by its worker, and hands it back in the commit that ends the turn', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    const hints = recordHints(testStore);
    await hints.ready;
    const release = deferred();
    script.push(heldAnswer(['Hel', 'lo'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say hello', title: 't' });
    const ofChat = await hints.updatesOf(chat.id);
    // Owned as soon as createChat returns: no acquisition pass was needed.
    expect(await testStore.store.getChat(chat.id)).toMatchObject({
      status: 'running',
      workerId: 'local-worker',
    });
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
    // The update that says waiting already says unowned: one transaction ended and released.
    expect(ofChat.find((update) => update.status === 'waiting')).toMatchObject({
      workerId: null,
      runnerId: null,
    });
    expect(hints.ownership).not.toContain(chat.id);
  });

  it('records the first attempt in the write that gives the chat to its runner', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    const release = deferred();
    script.push(heldAnswer(['One', '.'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'First', title: 't' });
    const created = await testStore.store.getChat(chat.id);
    expect(created).toMatchObject({ snapshotVersion: 1, generationAttempt: 1 });
    const hints = recordHints(testStore);
    const updates = await hints.updatesOf(chat.id);
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
    // No update of its own for the attempt: the next one is the commit that ends the turn.
    expect(updates.map((update) => [update.snapshotVersion, update.status])).toEqual([
      [2, 'waiting'],
    ]);
    // The same for the next turn, which the message starts.
    updates.length = 0;
    script.push({ parts: textAnswer('Two.') });
    await chatd.sendMessage(chat.id, { content: 'Second' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(
      updates.map((update) => [update.snapshotVersion, update.status, update.generationAttempt]),
    ).toEqual([
      [3, 'running', 1],
      [4, 'waiting', 0],
    ]);
  });

  it("prepares a new chat's first step from createChat's write alone: no read, no transaction", async () => {
    const { chatd, testStore, script, model } = await engine({}, { workerId: 'local-worker' });
    const { store } = testStore;
    const release = deferred();
    script.push(heldAnswer(['Hi', '.'], 1, release.promise));
    const reads = vi.spyOn(store, 'getChat');
    const histories = vi.spyOn(store, 'getPromptHistory');
    const updates = vi.spyOn(store, 'update');
    const hints = recordHints(testStore);
    const chat = await chatd.createChat({
      ownerId: 'ann',
      content: 'Hello',
      title: 't',
      systemPrompt: 'Be brief.',
    });
    const updatesOfChat = await hints.updatesOf(chat.id);
    await vi.waitFor(() => expect(script).toHaveLength(0));
    // The chat row, its prompt history and the recorded attempt came with createChat's write.
    expect(histories).not.toHaveBeenCalled();
    expect(model.doStreamCalls[0]?.prompt).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
    ]);
    expect(updates).not.toHaveBeenCalled();
    // The store is alone on its in-memory database: no other replica can have changed the
    // chat, so the runner has nothing to catch up on, even after the catch-up delay.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release.resolve();
    await vi.waitFor(() =>
      expect(updatesOfChat.map((update) => update.status)).toContain('waiting'),
    );
    expect(reads).not.toHaveBeenCalled();
  });

  it('on a shared database, reads the chat once a moment after the handover, for a change another replica made', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    const { store } = testStore;
    vi.spyOn(store, 'exclusive', 'get').mockReturnValue(false);
    const release = deferred();
    script.push(heldAnswer(['Hi', '.'], 1, release.promise));
    const reads = vi.spyOn(store, 'getChat');
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Hello', title: 't' });
    await vi.waitFor(() => expect(script).toHaveLength(0));
    await vi.waitFor(() => expect(reads.mock.calls).toEqual([[chat.id]]));
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
  });

  it('a runner handed its chat catches up, a moment later, with a change it had no hint of', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    // As on a database other replicas share (the in-memory one has no other writer).
    vi.spyOn(testStore.store, 'exclusive', 'get').mockReturnValue(false);
    const release = deferred();
    script.push(heldAnswer(['Hi', '.'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Hello', title: 't' });
    await vi.waitFor(() => expect(script).toHaveLength(0));
    // As another replica's write just before this one's LISTEN took effect: no hint arrives.
    const publish = vi.spyOn(testStore.pubsub, 'publish').mockImplementation(() => {});
    await testStore.store.update(chat.id, (transitions) => transitions.interrupt());
    publish.mockRestore();
    // Sooner than the manager's database sync (15 s): the catch-up read found it. (It comes
    // 100 ms after the runner listens; the margin is for a machine loaded by other tests.)
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 10_000,
      interval: 20,
    });
    release.resolve();
  });

  it('a retry after a recorded first attempt records the next one', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    const release = deferred();
    script.push(
      {
        parts: [],
        error: new APICallError({
          message: 'Internal Server Error',
          url: 'http://model',
          requestBodyValues: {},
          statusCode: 500,
          isRetryable: true,
        }),
      },
      heldAnswer(['Again', '.'], 1, release.promise),
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Go', title: 't' });
    // Read, not heard: the first call (sent before the chat was written) may have failed and
    // the retry been recorded before a hint subscription made now would listen. The held
    // answer keeps the chat at its second attempt until it is released.
    await vi.waitFor(async () =>
      expect((await testStore.store.getChat(chat.id)).generationAttempt).toBe(2),
    );
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
    expect((await transcript(chatd, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'Again.' },
    ]);
  });

  it('acquires an idle chat in the update that starts its next turn', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    script.push({ parts: textAnswer('One.') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'First', title: 't' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const hints = recordHints(testStore);
    await hints.ready;
    const updates = await hints.updatesOf(chat.id);
    const release = deferred();
    script.push(heldAnswer(['Two', '.'], 1, release.promise));
    await chatd.sendMessage(chat.id, { content: 'Second' });
    await vi.waitFor(() => expect(updates.length).toBeGreaterThan(0));
    const [started] = updates;
    expect(started).toMatchObject({ status: 'running', workerId: 'local-worker' });
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(hints.ownership).not.toContain(chat.id);
    expect((await transcript(chatd, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'Two.' },
    ]);
  });

  it('leaves a chat whose runner is alive alone: a queued message does not move it', async () => {
    const { chatd, testStore, script } = await engine({}, { workerId: 'local-worker' });
    const release = deferred();
    script.push(heldAnswer(['A', 'B'], 1, release.promise), { parts: textAnswer('C') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Go', title: 't' });
    const { runnerId } = await testStore.store.getChat(chat.id);
    await chatd.sendMessage(chat.id, { content: 'Then this', busy: 'queue' });
    expect((await testStore.store.getChat(chat.id)).runnerId).toBe(runnerId);
    release.resolve();
    await waitForStatus(chatd, chat.id, 'waiting');
    expect((await transcript(chatd, chat.id)).map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
  });

  it('an instance whose worker does not run leaves new chats to the workers that do', async () => {
    const { chatd: worker, testStore, script } = await engine({}, { workerId: 'worker' });
    const api = createChatd({
      store: testStore.store,
      models: staticModels(
        { mock: { model: scriptedModel([]) } },
        { defaultModelConfigId: 'mock' },
      ),
      workerId: 'api-only',
    });
    open.push(() => api.close());
    const hints = recordHints(testStore);
    await hints.ready;
    script.push({ parts: textAnswer('Answered by the worker.') });
    const chat = await api.createChat({ ownerId: 'ann', content: 'Hi', title: 't' });
    expect((await testStore.store.getChat(chat.id)).workerId).not.toBe('api-only');
    await waitForStatus(worker, chat.id, 'waiting');
    expect(hints.ownership).toContain(chat.id);
    expect((await transcript(worker, chat.id)).at(-1)?.parts).toEqual([
      { type: 'text', text: 'Answered by the worker.' },
    ]);
  });
});
