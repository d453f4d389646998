import { FakeOpenAI } from '@chatd/chatd/testing';
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
    let provider: FakeOpenAI;
    let first: RunningBinary | undefined;
    let survivor: ChatdServer | undefined;

    // Both servers answer with a local provider, which holds the first server's reply mid-stream
    // until the test has killed it.
    const env = (url: string) => ({
      DATABASE_URL: url,
      CHATD_SECRET_KEY: 'crash-test-secret-key-0123456789abcdef',
      CHATD_ADMIN_TOKEN: TOKEN,
      CHATD_LEASE_MS: '3000',
      OPENAI_COMPATIBLE_BASE_URL: provider.baseURL,
      OPENAI_COMPATIBLE_API_KEY: 'test-key',
      OPENAI_COMPATIBLE_MODELS: 'fake-1',
    });

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl as string);
      provider = await FakeOpenAI.start();
    });
    afterAll(async () => {
      first?.kill();
      await survivor?.close();
      await provider?.close();
      await database?.drop();
    });

    it('another server takes the chat over after the lease and completes the turn once', async () => {
      first = await runBinary({ ...env(database.url), LOG_LEVEL: 'warn' });
      const firstUrl = first.url;
      const release = provider.hold(['Cut off ', 'before this.']);
      provider.reply({ kind: 'text', text: ['The whole answer, ', 'from the survivor.'] });

      const created = await fetch(`${firstUrl}/v1/chats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'Tell me something long', title: 'crash' }),
      });
      const chat = (await created.json()) as Json;
      // The first server is streaming the reply, held after its first words.
      await readStream(
        firstUrl,
        TOKEN,
        chat.id,
        (event) => event.type === 'message-part' && event.part.type === 'text-delta',
      );

      survivor = await createServer(loadConfig({ ...env(database.url), PORT: '0' }), {
        logLevel: 'silent',
      });
      const url = await survivor.listen();
      first.kill();
      release();

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
      // One user message, one complete answer, the survivor's: no step lost, none committed
      // twice, nothing kept of the reply cut off.
      expect(messages.map((message: Json) => message.role)).toEqual(['assistant', 'user']);
      expect(messages[0].content.parts).toEqual([
        { type: 'text', text: 'The whole answer, from the survivor.' },
      ]);
      expect(provider.requests).toHaveLength(2);
    });
  },
);
