import { randomUUID } from 'node:crypto';
import { type MessageStore, openStore } from '@chatd/message-store';
import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import { PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Chatd, createChatd } from '../chatd/chatd.js';
import { staticModels } from '../models/static-models.js';
import { type ScriptedCall, scriptedModel } from '../test-support/mock-model.js';
import { deferred, heldAnswer, isStatus, read } from '../test-support/streams.js';
import type { ChatStreamEventWithCursor } from './subscriber-events.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** A replica: its own pool, PubSub over LISTEN/NOTIFY (named, to find its connection) and chatd. */
async function replica(
  database: TestDatabase,
  name: string,
  script: ScriptedCall[],
  options: { streamSyncIntervalMs?: number; runnerSyncIntervalMs?: number } = {},
): Promise<{ store: MessageStore; chatd: Chatd; applicationName: string }> {
  const applicationName = `${name}-${randomUUID().slice(0, 8)}`;
  const pubsub = new PubSub({
    transport: new PostgresTransport({
      connectionString: withApplicationName(database.url, applicationName),
    }),
  });
  const store = await openStore({ url: database.url }, { pubsub });
  const chatd = createChatd({
    store,
    models: staticModels(
      { mock: { model: scriptedModel(script) } },
      { defaultModelConfigId: 'mock' },
    ),
    options: { acquireIntervalMs: 50, ...options },
  });
  cleanups.push(async () => {
    await chatd.close();
    await store.close();
    await pubsub.close();
  });
  return { store, chatd, applicationName };
}

const WORDS = Array.from({ length: 40 }, (_, index) => `w${index} `);

/** The parts of the answer's episode: checks they are seq 1..n with no gap or duplicate. */
function answerParts(events: ChatStreamEventWithCursor[]) {
  const parts = events.filter((event) => event.type === 'message-part');
  const lastEpisode = parts.at(-1);
  const episode = parts.filter(
    (part) =>
      part.historyVersion === lastEpisode?.historyVersion &&
      part.generationAttempt === lastEpisode?.generationAttempt,
  );
  return episode;
}

function deltas(parts: ChatStreamEventWithCursor[]): string {
  return parts
    .map((event) =>
      event.type === 'message-part' && event.part.type === 'text-delta' ? event.part.delta : '',
    )
    .join('');
}

describe.skipIf(serverUrl === undefined)(
  'chat streams across replicas on Postgres (needs TEST_DATABASE_URL)',
  () => {
    async function twoReplicas() {
      const database = await createTestDatabase(serverUrl as string);
      cleanups.push(() => database.drop());
      const script: ScriptedCall[] = [];
      const a = await replica(database, 'chatd-a', script);
      const b = await replica(database, 'chatd-b', []);
      // Only A runs a worker: it generates, B only serves streams.
      await a.chatd.start();
      return { database, script, a, b };
    }

    it('B streams every part of the turn A generates, in order with no gap or duplicate, then the answer; so do a late joiner on B and a subscriber on A', async () => {
      const { script, a, b } = await twoReplicas();
      const release = deferred();
      script.push(heldAnswer(WORDS, 10, release.promise));
      const chat = await a.chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
      const onB: ChatStreamEventWithCursor[] = [];
      const onA: ChatStreamEventWithCursor[] = [];
      const readingB = read(b.chatd.subscribe(chat.id), onB, isStatus('waiting'));
      const readingA = read(a.chatd.subscribe(chat.id), onA, isStatus('waiting'));
      await vi.waitFor(() => expect(answerParts(onB).length).toBeGreaterThanOrEqual(12), {
        timeout: 20_000,
      });
      const lateOnB: ChatStreamEventWithCursor[] = [];
      const readingLate = read(b.chatd.subscribe(chat.id), lateOnB, isStatus('waiting'));
      release.resolve();
      await Promise.all([readingA, readingB, readingLate]);
      for (const events of [onB, onA, lateOnB]) {
        const parts = answerParts(events);
        expect(parts.map((part) => part.type === 'message-part' && part.seq)).toEqual(
          parts.map((_, index) => index + 1),
        );
        expect(deltas(parts)).toBe(WORDS.join(''));
        const answer = events.findIndex(
          (event) => event.type === 'message' && event.message.role === 'assistant',
        );
        expect(answer).toBeGreaterThan(events.indexOf(parts.at(-1) as ChatStreamEventWithCursor));
      }
    });

    it('a stream resumed by cursor mid-episode, on the same replica or the other, equals one uninterrupted stream', async () => {
      const { script, a, b } = await twoReplicas();
      const release = deferred();
      script.push(heldAnswer(WORDS, 8, release.promise));
      const chat = await a.chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
      const whole: ChatStreamEventWithCursor[] = [];
      const uninterrupted = read(b.chatd.subscribe(chat.id), whole, isStatus('waiting'));
      const firstPart: ChatStreamEventWithCursor[] = [];
      const stop = new AbortController();
      await read(
        b.chatd.subscribe(chat.id, { signal: stop.signal }),
        firstPart,
        (event) => event.type === 'message-part' && event.seq === 6,
      );
      stop.abort();
      const cursor = firstPart.at(-1)?.cursor as string;
      const onA: ChatStreamEventWithCursor[] = [];
      const onB: ChatStreamEventWithCursor[] = [];
      const resumedOnA = read(a.chatd.subscribe(chat.id, { cursor }), onA, isStatus('waiting'));
      const resumedOnB = read(b.chatd.subscribe(chat.id, { cursor }), onB, isStatus('waiting'));
      // Both have picked up the episode where the cursor left it before the model goes on.
      await vi.waitFor(() => expect(onA.length * onB.length).toBeGreaterThan(0), {
        timeout: 20_000,
      });
      release.resolve();
      await Promise.all([uninterrupted, resumedOnA, resumedOnB]);
      const expected = deltas(answerParts(whole));
      expect(expected).toBe(WORDS.join(''));
      for (const rest of [onA, onB]) {
        expect(rest[0]).toMatchObject({ type: 'message-part', seq: 7 });
        expect(deltas(answerParts([...firstPart, ...rest]))).toBe(expected);
        expect(
          rest.filter((event) => event.type === 'message' && event.message.role === 'user'),
        ).toEqual([]);
      }
    });

    it("a chat deleted on A ends its streams on B at once, without waiting for B's sync poll", async () => {
      const database = await createTestDatabase(serverUrl as string);
      cleanups.push(() => database.drop());
      const script: ScriptedCall[] = [];
      const a = await replica(database, 'chatd-a', script);
      // B's poll would find the chat gone only in an hour: only A's notice can end the stream.
      const b = await replica(database, 'chatd-b', [], { streamSyncIntervalMs: 3_600_000 });
      await a.chatd.start();
      const release = deferred();
      script.push(heldAnswer(WORDS, 4, release.promise));
      const chat = await a.chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
      const onB: ChatStreamEventWithCursor[] = [];
      const readingB = read(b.chatd.subscribe(chat.id), onB, () => false);
      await vi.waitFor(() => expect(answerParts(onB).length).toBeGreaterThanOrEqual(4), {
        timeout: 20_000,
      });
      await a.chatd.deleteChat(chat.id);
      await expect(readingB).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
      release.resolve();
    });

    it("a chat deleted on B stops A's running turn at once, without waiting for A's runner sync", async () => {
      const database = await createTestDatabase(serverUrl as string);
      cleanups.push(() => database.drop());
      const script: ScriptedCall[] = [];
      // A's runner sync would find the chat gone only in an hour: only B's notice can stop it.
      const a = await replica(database, 'chatd-a', script, { runnerSyncIntervalMs: 3_600_000 });
      const b = await replica(database, 'chatd-b', []);
      await a.chatd.start();
      const release = deferred();
      script.push(heldAnswer(WORDS, 4, release.promise));
      const chat = await a.chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
      await vi.waitFor(() => expect(a.chatd.stats().liveRunners).toBe(1), { timeout: 20_000 });
      await b.chatd.deleteChat(chat.id);
      await vi.waitFor(
        () => expect(a.chatd.stats()).toMatchObject({ liveRunners: 0, cleaningRunners: 0 }),
        { timeout: 5_000, interval: 20 },
      );
      release.resolve();
    });

    it("B's listening connection killed mid-turn: the stream continues without a gap after the resync", async () => {
      const { database, script, a, b } = await twoReplicas();
      const release = deferred();
      script.push(heldAnswer(WORDS, 10, release.promise));
      const chat = await a.chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
      const onB: ChatStreamEventWithCursor[] = [];
      const reading = read(b.chatd.subscribe(chat.id), onB, isStatus('waiting'));
      await vi.waitFor(() => expect(answerParts(onB).length).toBeGreaterThanOrEqual(12), {
        timeout: 20_000,
      });
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rows } = await admin.query(
          'SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE application_name = $1',
          [b.applicationName],
        );
        expect(rows.length).toBeGreaterThan(0);
        const killed = rows.map((row: { pid: number }) => row.pid);
        // B's transport listens again (a new backend) before the model goes on.
        await vi.waitFor(
          async () => {
            const { rows: now } = await admin.query(
              'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
              [b.applicationName],
            );
            const fresh = now.filter((row: { pid: number }) => !killed.includes(row.pid));
            expect(fresh.length).toBeGreaterThan(0);
          },
          { timeout: 20_000 },
        );
      } finally {
        await admin.end();
      }
      release.resolve();
      await reading;
      const parts = answerParts(onB);
      expect(parts.map((part) => part.type === 'message-part' && part.seq)).toEqual(
        parts.map((_, index) => index + 1),
      );
      const answer = onB.find(
        (event) => event.type === 'message' && event.message.role === 'assistant',
      );
      expect(answer).toMatchObject({ message: { content: { parts: [{ text: WORDS.join('') }] } } });
      // Unless the turn ended while B was away (the committed answer then replaces the
      // preview), the parts that follow the reconnect complete the text.
      const ended = parts.some(
        (part) => part.type === 'message-part' && part.part.type === 'text-end',
      );
      if (ended) expect(deltas(parts)).toBe(WORDS.join(''));
    });
  },
);
