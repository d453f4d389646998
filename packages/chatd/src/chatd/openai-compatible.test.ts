import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { ChatStatus } from '@chatd/core';
import { createTestStore } from '@chatd/message-store/testing';
import { tool } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { staticModels } from '../models/static-models.js';
import type { ChatStreamEventWithCursor } from '../stream/subscriber-events.js';
import { deferred, isStatus, read } from '../test-support/streams.js';
import { FAKE_TITLE, FakeOpenAI } from '../testing/fake-openai.js';
import type { ToolProvider } from '../tools/tool-provider.js';
import { type Chatd, createChatd } from './chatd.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(tools?: ToolProvider) {
  const fake = await FakeOpenAI.start();
  cleanups.push(() => fake.close());
  const testStore = await createTestStore();
  cleanups.push(() => testStore.close());
  const provider = createOpenAICompatible({
    name: 'fake',
    baseURL: fake.baseURL,
    apiKey: 'test-key',
    includeUsage: true,
  });
  const chatd = createChatd({
    store: testStore.store,
    models: staticModels(
      { fake: { model: provider.chatModel('fake-model') } },
      {
        defaultModelConfigId: 'fake',
      },
    ),
    ...(tools === undefined ? {} : { tools }),
    options: {
      acquireIntervalMs: 50,
      generationRetryInitialDelayMs: 20,
      generationRetryMaxDelayMs: 100,
      titleModelConfigId: 'fake',
    },
  });
  cleanups.push(() => chatd.close());
  await chatd.start();
  return { fake, chatd };
}

async function waitForStatus(chatd: Chatd, chatId: string, status: ChatStatus) {
  await vi.waitFor(
    async () => {
      expect((await chatd.getChat(chatId)).status).toBe(status);
    },
    { timeout: 15_000, interval: 20 },
  );
}

/** The chat's turn requests (title requests ask for a title and carry no tools). */
function turnRequests(fake: FakeOpenAI) {
  return fake.requests.filter(
    (request) => !JSON.stringify(request.body.messages).includes('Write a short title'),
  );
}

describe('chatd on an OpenAI-compatible provider', () => {
  it('streams a text answer through the real provider path', async () => {
    const { fake, chatd } = await setup();
    fake.reply({ kind: 'text', text: 'Hello from the fake provider.' });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello', title: 'fixed' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const { messages } = await chatd.listMessages(chat.id);
    expect(messages[0]?.content.parts).toEqual([
      { type: 'text', text: expect.stringContaining('fake provider') },
    ]);
  });

  it("titles a new chat with a non-streaming call that takes none of the turns' scripted replies", async () => {
    const { fake, chatd } = await setup();
    fake.reply({ kind: 'text', text: 'First answer.' }, { kind: 'text', text: 'Second answer.' });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hello' });
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).title).toBe(FAKE_TITLE), {
      timeout: 15_000,
      interval: 20,
    });
    await chatd.sendMessage(chat.id, { content: 'again', busy: 'queue' });
    await vi.waitFor(
      async () => {
        const { messages } = await chatd.listMessages(chat.id);
        const replies = messages.filter((message) => message.role === 'assistant');
        expect(replies.map((message) => message.content.parts)).toEqual([
          [{ type: 'text', text: 'Second answer.' }],
          [{ type: 'text', text: 'First answer.' }],
        ]);
      },
      { timeout: 15_000, interval: 20 },
    );
    expect(fake.requests.map((request) => request.body.stream === true)).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('holds a scripted reply after its first piece until the test lets it go on', async () => {
    const { fake, chatd } = await setup();
    const release = deferred();
    fake.reply({ kind: 'text', text: ['Once upon', ' a time.'], holdUntil: release.promise });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'a story', title: 'fixed' });
    const stop = new AbortController();
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(
      chatd.subscribe(chat.id, { signal: stop.signal }),
      events,
      isStatus('waiting'),
    );
    const deltas = () =>
      events.flatMap((event) =>
        event.type === 'message-part' && event.part.type === 'text-delta' ? [event.part.delta] : [],
      );
    await vi.waitFor(() => expect(deltas()).toEqual(['Once upon']));
    // Held: the turn is still running, and no reply is committed yet.
    expect((await chatd.getChat(chat.id)).status).toBe('running');
    expect((await chatd.listMessages(chat.id)).messages.map((m) => m.role)).toEqual(['user']);
    release.resolve();
    await reading;
    stop.abort();
    expect(deltas().join('')).toBe('Once upon a time.');
  });

  it('runs a tool the model called and sends the result back', async () => {
    const tools: ToolProvider = {
      forTurn: async () => ({
        tools: {
          add: tool({
            inputSchema: z.object({ a: z.number(), b: z.number() }),
            execute: async ({ a, b }) => ({ sum: a + b }),
          }),
        },
        close: () => {},
      }),
    };
    const { fake, chatd } = await setup(tools);
    fake.reply(
      { kind: 'tool-calls', calls: [{ id: 'call_1', name: 'add', arguments: '{"a":2,"b":3}' }] },
      { kind: 'text', text: 'The sum is 5.' },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'add 2 and 3', title: 'fixed' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const second = turnRequests(fake)[1]?.body.messages as Array<{
      role: string;
      content: unknown;
    }>;
    expect(second.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    // The provider sends a tool result as the JSON text of its output.
    expect(second[2]?.content).toBe('{"sum":5}');
  });

  it('honours Retry-After: a 429 asking for 2 s is retried after 2 s', async () => {
    const { fake, chatd } = await setup();
    fake.reply(
      {
        kind: 'error',
        status: 429,
        headers: { 'retry-after': '2' },
        message: 'Rate limit reached',
      },
      { kind: 'text', text: 'Made it.' },
    );
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 'fixed' });
    await waitForStatus(chatd, chat.id, 'waiting');
    const [first, second] = turnRequests(fake);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  it('retries a 500 three times, then succeeds', async () => {
    const { fake, chatd } = await setup();
    const serverError = { kind: 'error', status: 500, message: 'boom' } as const;
    fake.reply(serverError, serverError, serverError, { kind: 'text', text: 'Fourth time lucky.' });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 'fixed' });
    await waitForStatus(chatd, chat.id, 'waiting');
    expect(turnRequests(fake)).toHaveLength(4);
    const { messages } = await chatd.listMessages(chat.id);
    expect(messages[0]?.content.parts).toEqual([{ type: 'text', text: 'Fourth time lucky.' }]);
  });

  it('ends in error with kind auth on a 401, without retrying', async () => {
    const { fake, chatd } = await setup();
    fake.reply({ kind: 'error', status: 401, message: 'Incorrect API key provided' });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 'fixed' });
    await waitForStatus(chatd, chat.id, 'error');
    expect((await chatd.getChat(chat.id)).lastError).toMatchObject({
      kind: 'auth',
      retryable: false,
      statusCode: 401,
      provider: 'fake.chat',
    });
    expect(turnRequests(fake)).toHaveLength(1);
  });
});
