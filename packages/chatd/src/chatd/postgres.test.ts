import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChatStatus } from '@chatd/core';
import { type MessageStore, openStore } from '@chatd/message-store';
import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import { PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { staticModels } from '../models/static-models.js';
import { scriptedModel } from '../test-support/mock-model.js';
import { type Chatd, createChatd } from './chatd.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A replica: its own store (connection pool) and PubSub over LISTEN/NOTIFY. */
async function replica(
  database: TestDatabase,
  onPrompt: (text: string) => void,
  lease?: { heartbeatIntervalMs: number; staleAfterMs: number },
): Promise<{ store: MessageStore; chatd: Chatd }> {
  const pubsub = new PubSub({
    transport: new PostgresTransport({ connectionString: database.url }),
  });
  const store = await openStore(
    { url: database.url },
    { pubsub, ...(lease === undefined ? {} : { lease }) },
  );
  const model = scriptedModel([]);
  const doStream = model.doStream.bind(model);
  model.doStream = async (options) => {
    onPrompt(JSON.stringify(options.prompt));
    return doStream(options);
  };
  const chatd = createChatd({
    store,
    models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
    options: { acquireIntervalMs: 50 },
  });
  cleanups.push(async () => {
    await chatd.close();
    await store.close();
    await pubsub.close();
  });
  return { store, chatd };
}

async function waitForStatus(chatd: Chatd, chatId: string, status: ChatStatus, timeout = 20_000) {
  await vi.waitFor(
    async () => {
      expect((await chatd.getChat(chatId)).status).toBe(status);
    },
    { timeout, interval: 25 },
  );
}

/**
 * Starts a chatd replica in a child process (killed after the test) whose model streams a few
 * words and hangs; `streaming` resolves once a turn is under way there.
 */
async function crashChild(
  database: TestDatabase,
): Promise<{ child: ChildProcess; streaming: Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('../test-support/crash-child.ts', import.meta.url)),
      database.url,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  let output = '';
  const streaming = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('streaming')) resolve();
    });
  });
  await vi.waitFor(() => expect(output).toContain('ready'), { timeout: 30_000, interval: 50 });
  return { child, streaming };
}

describe.skipIf(serverUrl === undefined)('chatd on real Postgres (needs TEST_DATABASE_URL)', () => {
  it('two replicas with 50 chats: every chat is acquired and answered exactly once', async () => {
    const database = await createTestDatabase(serverUrl as string);
    cleanups.push(() => database.drop());
    const prompts = new Map<string, number>();
    const byReplica = [0, 0];
    const count = (replicaIndex: number) => (prompt: string) => {
      const match = /chat number (\d+)/.exec(prompt);
      if (match === null) return;
      prompts.set(match[1] as string, (prompts.get(match[1] as string) ?? 0) + 1);
      byReplica[replicaIndex] = (byReplica[replicaIndex] ?? 0) + 1;
    };
    const first = await replica(database, count(0));
    const second = await replica(database, count(1));
    // An API-only replica (never started) creates the chats, so the two workers compete for
    // them; a replica whose worker runs would take the chats it creates itself.
    const api = await replica(database, () => {});
    await Promise.all([first.chatd.start(), second.chatd.start()]);
    const chats = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        api.chatd.createChat({ ownerId: 'ann', content: `chat number ${index}`, title: 'load' }),
      ),
    );
    await Promise.all(chats.map((chat) => waitForStatus(first.chatd, chat.id, 'waiting', 60_000)));
    expect(prompts.size).toBe(50);
    expect([...prompts.values()].every((times) => times === 1)).toBe(true);
    for (const chat of chats) {
      const { messages } = await first.chatd.listMessages(chat.id);
      expect(messages.map((message) => message.role)).toEqual(['assistant', 'user']);
    }
    // Both replicas did work (SKIP LOCKED hands them different chats).
    expect(byReplica[0]).toBeGreaterThan(0);
    expect(byReplica[1]).toBeGreaterThan(0);
  }, 120_000);

  it('a replica killed mid-generation: another takes the chat over after the lease and answers once', async () => {
    const database = await createTestDatabase(serverUrl as string);
    cleanups.push(() => database.drop());
    const { child, streaming } = await crashChild(database);

    const survivor = await replica(database, () => {}, {
      heartbeatIntervalMs: 200,
      staleAfterMs: 1500,
    });
    const chat = await survivor.chatd.createChat({
      ownerId: 'ann',
      content: 'tell me',
      title: 'crash',
    });
    // Only the child's worker runs until the model streams, so the child owns the chat.
    await streaming;
    const owner = (await survivor.store.getChat(chat.id)).workerId;
    await survivor.chatd.start();
    child.kill('SIGKILL');
    await once(child, 'exit');

    await waitForStatus(survivor.chatd, chat.id, 'waiting', 30_000);
    const { messages } = await survivor.chatd.listMessages(chat.id);
    expect(messages.map((message) => message.role)).toEqual(['assistant', 'user']);
    expect(messages[0]?.content.parts).toEqual([{ type: 'text', text: 'done' }]);
    expect((await survivor.store.getChat(chat.id)).workerId).not.toBe(owner);
  }, 90_000);

  it('a replica killed mid-answer, the chat interrupted: another replica commits the partial answer from the drafts', async () => {
    const database = await createTestDatabase(serverUrl as string);
    cleanups.push(() => database.drop());
    const { child, streaming } = await crashChild(database);
    const survivor = await replica(database, () => {}, {
      heartbeatIntervalMs: 200,
      staleAfterMs: 1500,
    });
    const chat = await survivor.chatd.createChat({
      ownerId: 'ann',
      content: 'tell me',
      title: 'c',
    });
    await streaming;
    const row = await survivor.store.getChat(chat.id);
    const key = {
      chatId: chat.id,
      historyVersion: row.historyVersion,
      generationAttempt: row.generationAttempt,
    };
    // The child wrote what it streamed: a step start, the text start and two deltas.
    await vi.waitFor(async () => expect(await survivor.store.readDraft(key)).toHaveLength(4), {
      timeout: 10_000,
    });
    const streamed = (await survivor.store.readDraft(key))
      .map(({ part }) => (part.type === 'text-delta' ? part.delta : ''))
      .join('');
    child.kill('SIGKILL');
    await once(child, 'exit');

    await survivor.chatd.interrupt(chat.id);
    await survivor.chatd.start();
    await waitForStatus(survivor.chatd, chat.id, 'waiting', 30_000);
    const { messages } = await survivor.chatd.listMessages(chat.id);
    expect(messages.map((message) => message.role)).toEqual(['assistant', 'user']);
    expect(messages[0]?.content.parts).toEqual([{ type: 'text', text: streamed }]);
    expect(streamed.length).toBeGreaterThan(0);
    // The commit took the episode's rows with it.
    expect(await survivor.store.readDraft(key)).toEqual([]);
  }, 90_000);
});
