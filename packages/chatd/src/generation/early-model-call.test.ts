import { realClock, silentLogger } from '@chatd/core';
import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { tool } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type Chatd, createChatd } from '../chatd/chatd.js';
import { staticModels } from '../models/static-models.js';
import type { EngineContext } from '../tasks/engine-context.js';
import { type ScriptedCall, scriptedModel, textAnswer } from '../test-support/mock-model.js';
import type { ToolProvider } from '../tools/tool-provider.js';
import { EarlyModelCall } from './early-model-call.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

interface Setup {
  chatd: Chatd;
  testStore: TestStore;
  script: ScriptedCall[];
  /** In order: `model called`, `write`, `written` (the chat's creating write). */
  events: string[];
  /** Each streaming model call's abort signal. */
  signals: AbortSignal[];
  tools: { opened: number; closed: number };
}

/** A started engine on embedded PGlite whose model, tools and creating write are watched. */
async function setup(): Promise<Setup> {
  const testStore = await createTestStore();
  open.push(() => testStore.close());
  const events: string[] = [];
  const signals: AbortSignal[] = [];
  const script: ScriptedCall[] = [];
  const model = scriptedModel(script);
  const doStream = model.doStream.bind(model);
  model.doStream = async (options) => {
    events.push('model called');
    if (options.abortSignal !== undefined) signals.push(options.abortSignal);
    return doStream(options);
  };
  const { store } = testStore;
  const createChat = store.createChat.bind(store);
  // `write`: the input was found valid and the chat's statement goes out.
  store.createChat = async (input, options) => {
    try {
      return await createChat(input, {
        beforeWrite: async () => {
          await options?.beforeWrite?.();
          events.push('write');
        },
      });
    } finally {
      events.push('written');
    }
  };
  const tools = { opened: 0, closed: 0 };
  const provider: ToolProvider = {
    forTurn: async () => {
      tools.opened += 1;
      return {
        tools: {
          lookup: tool({ inputSchema: z.object({ query: z.string() }), execute: async () => 'x' }),
        },
        close: () => {
          tools.closed += 1;
        },
      };
    },
  };
  const chatd = createChatd({
    store,
    models: staticModels({ mock: { model }, other: { model } }, { defaultModelConfigId: 'mock' }),
    tools: provider,
    options: { acquireIntervalMs: 50 },
  });
  open.push(() => chatd.close());
  await chatd.start();
  return { chatd, testStore, script, events, signals, tools };
}

async function waitForWaiting(chatd: Chatd, chatId: string) {
  await vi.waitFor(async () => expect((await chatd.getChat(chatId)).status).toBe('waiting'), {
    timeout: 20_000,
    interval: 10,
  });
}

describe('the first model call of a chat created here', () => {
  it('goes out before the chat is written, and is the only call of the first step', async () => {
    const { chatd, script, events, tools } = await setup();
    script.push({ parts: textAnswer('Hello there!') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say hello' });
    await waitForWaiting(chatd, chat.id);
    expect(events).toEqual(['model called', 'write', 'written']);
    expect(tools).toEqual({ opened: 1, closed: 1 });
    const { messages } = await chatd.listMessages(chat.id);
    expect(messages[0]?.content.parts).toEqual([{ type: 'text', text: 'Hello there!' }]);
  });

  it('is used with a system prompt, client tools and several parts (as stored, keys reordered)', async () => {
    const { chatd, script, events } = await setup();
    script.push({ parts: textAnswer('Done.') });
    const chat = await chatd.createChat({
      ownerId: 'ann',
      systemPrompt: 'Be brief.',
      content: [
        { type: 'text', text: 'Look at this' },
        { type: 'file', mediaType: 'text/plain', url: 'data:text/plain;base64,aGVsbG8=' },
      ],
      dynamicTools: [
        {
          name: 'pick_color',
          description: 'Asks the user for a color',
          inputSchema: {
            type: 'object',
            properties: { hint: { type: 'string', description: 'What the color is for' } },
            required: ['hint'],
            additionalProperties: false,
          },
        },
      ],
    });
    await waitForWaiting(chatd, chat.id);
    expect(events.filter((event) => event === 'model called')).toHaveLength(1);
  });

  it('is aborted, and its tools closed, when the write fails', async () => {
    const before = snapshotResources();
    const { chatd, events, signals, tools } = await setup();
    await expect(
      chatd.createChat({
        ownerId: 'ann',
        content: 'Hi',
        parentChatId: '00000000-0000-4000-8000-000000000000',
      }),
    ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    expect(events).toEqual(['model called', 'write', 'written']);
    await vi.waitFor(() => expect(tools).toEqual({ opened: 1, closed: 1 }));
    expect(signals[0]?.aborted).toBe(true);
    expect(chatd.stats().liveRunners).toBe(0);
    for (const close of open.splice(0).reverse()) await close();
    expect(await newResourcesSince(before)).toEqual([]);
  });

  it('is not sent on an instance that does not run chats', async () => {
    const testStore = await createTestStore();
    open.push(() => testStore.close());
    const script: ScriptedCall[] = [];
    const model = scriptedModel(script);
    const apiOnly = createChatd({
      store: testStore.store,
      models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
    });
    open.push(() => apiOnly.close());
    await apiOnly.createChat({ ownerId: 'ann', content: 'Hi' });
    expect(model.doStreamCalls).toHaveLength(0);
  });
});

describe('an early model call', () => {
  function started() {
    const signals: AbortSignal[] = [];
    const model = scriptedModel([]);
    const doStream = model.doStream.bind(model);
    model.doStream = async (options) => {
      if (options.abortSignal !== undefined) signals.push(options.abortSignal);
      return doStream(options);
    };
    const tools = { closed: 0 };
    const context = {
      models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
      tools: {
        forTurn: async () => ({
          tools: {},
          close: () => {
            tools.closed += 1;
          },
        }),
      },
      clock: realClock,
      logger: silentLogger,
    } as unknown as EngineContext;
    const call = new EarlyModelCall(context, {
      chatId: '00000000-0000-4000-8000-000000000001',
      ownerId: 'ann',
      modelConfigId: 'mock',
      mcpServerIds: [],
      dynamicTools: [],
      messages: [{ role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'Hi' }] } }],
    });
    return { call, signals, tools };
  }

  it('is given once, to a step of its own model', async () => {
    const { call, signals, tools } = started();
    const taken = await call.take('mock');
    expect(taken?.turnTools).toBeDefined();
    expect(await call.take('mock')).toBeUndefined();
    call.discard();
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    expect(signals[0]?.aborted).toBe(false);
    expect(tools.closed).toBe(0);
    taken?.abort();
    expect(signals[0]?.aborted).toBe(true);
  });

  it('is aborted, its tools closed, when a step of another model asks for it', async () => {
    const { call, signals, tools } = started();
    expect(await call.take('another')).toBeUndefined();
    expect(tools.closed).toBe(1);
    // Aborted before the SDK reached the model, or while the model streamed.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('is aborted and its tools closed once when discarded, even twice', async () => {
    const { call, signals, tools } = started();
    call.discard();
    call.discard();
    expect(await call.take('mock')).toBeUndefined();
    await vi.waitFor(() => expect(tools.closed).toBe(1));
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
