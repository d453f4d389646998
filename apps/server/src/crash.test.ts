import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { type ChatdServer, createServer } from './server.js';
import { type Json, readStream } from './test-support/read-stream.js';
import { type RunningBinary, runBinary } from './test-support/run-binary.js';

const TOKEN = 'crash-admin-token-0123456789abcdefgh';
const serverUrl = process.env.TEST_DATABASE_URL || undefined;

describe.skipIf(serverUrl === undefined)(
  'a server killed mid-reply (needs TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let first: RunningBinary | undefined;
    let survivor: ChatdServer | undefined;

    const env = (url: string) => ({
      DATABASE_URL: url,
      CHATD_SECRET_KEY: 'crash-test-secret-key-0123456789abcdef',
      CHATD_ADMIN_TOKEN: TOKEN,
      CHATD_LEASE_MS: '3000',
      CHATD_DEMO_DELAY_MS: '60',
    });

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl as string);
    });
    afterAll(async () => {
      first?.kill();
      await survivor?.close();
      await database?.drop();
    });

    it('another server takes the chat over after the lease and completes the turn once', async () => {
      first = await runBinary({ ...env(database.url), LOG_LEVEL: 'warn' });
      const firstUrl = first.url;

      const created = await fetch(`${firstUrl}/v1/chats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'Tell me something long', title: 'crash' }),
      });
      const chat = (await created.json()) as Json;
      // The first server is streaming the reply.
      await readStream(
        firstUrl,
        TOKEN,
        chat.id,
        (event) => event.type === 'message-part' && event.seq >= 5,
      );

      survivor = await createServer(loadConfig({ ...env(database.url), PORT: '0' }), {
        logLevel: 'silent',
      });
      const url = await survivor.listen();
      first.kill();

      const events = await readStream(
        url,
        TOKEN,
        chat.id,
        (event) => event.type === 'status' && event.status === 'waiting',
      );
      expect(events.at(-1)?.data).toMatchObject({ type: 'status', status: 'waiting' });
      const page = await fetch(`${url}/v1/chats/${chat.id}/messages`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const { messages } = (await page.json()) as Json;
      // One user message, one complete answer: no step lost, none committed twice.
      expect(messages.map((message: Json) => message.role)).toEqual(['assistant', 'user']);
      expect(JSON.stringify(messages[0].content)).toContain('for a real model.');
    });
  },
);
