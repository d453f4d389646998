import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { type ChatdServer, createServer } from './server.js';
import { type Json, readStream as readTokenStream } from './test-support/read-stream.js';

/** A stream read with the admin token, resumed from `lastEventId` when given. */
function readStream(
  url: string,
  chatId: string,
  until: (event: Json) => boolean,
  lastEventId?: string,
) {
  return readTokenStream(
    url,
    TOKEN,
    chatId,
    until,
    lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  );
}

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const TOKEN = 'replica-admin-token-0123456789abcdef';

async function startReplica(database: TestDatabase, worker: boolean) {
  const server = await createServer(
    loadConfig({
      PORT: '0',
      DATABASE_URL: database.url,
      CHATD_ADMIN_TOKEN: TOKEN,
      CHATD_SECRET_KEY: 'replicas-share-this-secret-key-0123456789',
      CHATD_WORKER: worker ? '1' : '0',
      CHATD_DEMO_DELAY_MS: '15',
    }),
    { logLevel: 'silent' },
  );
  return { server, url: await server.listen() };
}

describe.skipIf(serverUrl === undefined)(
  'two servers on one Postgres (needs TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let a: { server: ChatdServer; url: string };
    let b: { server: ChatdServer; url: string };

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl as string);
      a = await startReplica(database, true);
      b = await startReplica(database, false); // API only: every turn runs on A
    });
    afterAll(async () => {
      await b?.server.close();
      await a?.server.close();
      await database?.drop();
    });

    it('a message sent through B runs on A; B streams it live; a client resumes on B with the Last-Event-ID it had on A', async () => {
      const created = await fetch(`${b.url}/v1/chats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hello from B' }),
      });
      expect(created.status).toBe(201);
      const chat = (await created.json()) as Json;
      const onA = await readStream(
        a.url,
        chat.id,
        (event) => event.type === 'message-part' && event.seq === 6,
      );
      const onB = await readStream(
        b.url,
        chat.id,
        (event) => event.type === 'status' && event.status === 'waiting',
        onA.at(-1)?.id,
      );
      const parts = [...onA, ...onB]
        .filter((event) => event.data.type === 'message-part')
        .map((event) => event.data.seq as number);
      expect(new Set(parts).size).toBe(parts.length);
      expect(parts.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
      if (onB[0]?.data.type === 'message-part') expect(onB[0].data.seq).toBe(7);
      const answer = onB.find(
        (event) => event.data.type === 'message' && event.data.message.role === 'assistant',
      );
      expect(answer?.data.message.content.parts[0].text).toContain('hello from B');
      // The whole text arrived as parts, once, in order.
      const text = [...onA, ...onB]
        .filter(
          (event) => event.data.type === 'message-part' && event.data.part.type === 'text-delta',
        )
        .map((event) => event.data.part.delta)
        .join('');
      expect(text).toBe(answer?.data.message.content.parts[0].text);
    });

    it('deleting a chat on A ends its streams on B at once, not at the next stream sync', async () => {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const created = await fetch(`${a.url}/v1/chats`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'deleted while B streams it' }),
      });
      const chat = (await created.json()) as Json;
      const stream = await fetch(`${b.url}/v1/chats/${chat.id}/stream`, { headers });
      expect(stream.status).toBe(200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      // The first events (the chat as it is) arrived: B's feed of the chat is open.
      await reader.read();
      const deleted = await fetch(`${a.url}/v1/chats/${chat.id}`, { method: 'DELETE', headers });
      expect(deleted.status).toBe(204);
      const deletedAt = Date.now();
      while (!(await reader.read()).done);
      // B's sync poll (every 10 s) would end it too; the deletion's notice ends it at once.
      expect(Date.now() - deletedAt).toBeLessThan(5000);
    });

    it('a model configuration stored or deleted on A is the default, or refused, on B too', async () => {
      const request = (url: string, method: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const newChatModel = async (url: string) =>
        (
          (await (
            await request(url, 'POST', '/v1/chats', { content: 'which model?' })
          ).json()) as Json
        ).modelConfigId;
      // B lists the models first, so it has read the stored ones before A changes them.
      expect((await request(b.url, 'GET', '/v1/models')).status).toBe(200);
      const stored = await request(a.url, 'POST', '/v1/admin/model-configs', {
        id: 'stored-on-a',
        provider: 'openai-compatible',
        model: 'm',
        baseUrl: 'http://127.0.0.1:9/v1',
      });
      expect(stored.status).toBe(201);
      await expect.poll(() => newChatModel(b.url), { timeout: 10_000 }).toBe('stored-on-a');
      const deleted = await request(a.url, 'DELETE', '/v1/admin/model-configs/stored-on-a');
      expect(deleted.status).toBe(204);
      // Refused on B at once, with no wait for the announcement.
      const explicit = await request(b.url, 'POST', '/v1/chats', {
        content: 'x',
        modelConfigId: 'stored-on-a',
      });
      expect(explicit.status).toBe(400);
      await expect.poll(() => newChatModel(b.url), { timeout: 10_000 }).toBe('demo');
    });
  },
);
