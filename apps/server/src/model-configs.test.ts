import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeOpenAI } from '@chatd/chatd/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createServer } from './server.js';
import { type Json, readStream } from './test-support/read-stream.js';
import {
  newDataDir,
  call as request,
  startTestServer,
  ADMIN_TOKEN as TOKEN,
} from './test-support/test-server.js';

const API_KEY = 'sk-test-very-secret-provider-key';

/** A server in `dataDir` (kept across restarts), with `call` sending as the admin. */
async function start(dataDir: string, env: Record<string, string> = {}) {
  const { server, url } = await startTestServer(env, { dataDir });
  const call = (method: string, path: string, body?: unknown, token = TOKEN) =>
    request(url, token, method, path, body);
  return { server, url, call };
}

describe('models offered by the environment', () => {
  it("asks OpenAI's and Anthropic's models for at most their own output limit", () => {
    const { providers } = loadConfig({ OPENAI_API_KEY: 'sk-a', ANTHROPIC_API_KEY: 'sk-b' });
    const limits = providers.flatMap(({ name, models }) =>
      models.map((model) => [`${name}/${model.id}`, model.maxOutputTokens]),
    );
    expect(limits).toEqual([
      ['openai/gpt-4o-mini', 16_384],
      ['openai/gpt-4o', 16_384],
      ['anthropic/claude-sonnet-4-5', 64_000],
      ['anthropic/claude-haiku-4-5', 64_000],
    ]);
  });

  it('sends OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS as the max_tokens of an OpenAI-compatible model', async () => {
    const fake = await FakeOpenAI.start();
    const { server, url } = await startTestServer({
      OPENAI_COMPATIBLE_BASE_URL: fake.baseURL,
      OPENAI_COMPATIBLE_MODELS: 'fake-1',
      OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS: '4096',
      CHATD_TITLE_MODEL: 'off',
    });
    try {
      fake.reply({ kind: 'text', text: 'Short.' });
      const chat = await request(url, TOKEN, 'POST', '/v1/chats', { content: 'hi' });
      expect(chat.status).toBe(201);
      await readStream(
        url,
        TOKEN,
        chat.body.id,
        (event) => event.type === 'status' && event.status === 'waiting',
      );
      expect(fake.requests.map(({ body }) => (body as { max_tokens?: number }).max_tokens)).toEqual(
        [4096],
      );
    } finally {
      await server.close();
      await fake.close();
    }
    expect(() => loadConfig({ OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS: '4096' })).toThrow(
      /OPENAI_COMPATIBLE_BASE_URL/,
    );
  });
});

describe('model configurations stored by admins, with their keys sealed', () => {
  let dataDir: string;
  let fake: FakeOpenAI;
  let started: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    dataDir = await newDataDir('chatd-models-');
    fake = await FakeOpenAI.start();
    started = await start(dataDir);
  });
  afterAll(async () => {
    await started?.server.close();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores a configuration, never shows its key, and runs a chat on it with the key', async () => {
    const { call, url } = started;
    const created = await call('POST', '/v1/admin/model-configs', {
      id: 'fake-model',
      provider: 'openai-compatible',
      model: 'fake-1',
      label: 'Fake model',
      baseUrl: fake.baseURL,
      apiKey: API_KEY,
      contextLimitTokens: 8000,
      pricing: { input: 1_000_000, output: 2_000_000 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'fake-model',
      hasApiKey: true,
      baseUrl: fake.baseURL,
    });
    expect(created.text).not.toContain(API_KEY);
    const listed = await call('GET', '/v1/admin/model-configs');
    expect(listed.text).not.toContain(API_KEY);
    // A stored configuration becomes the default of new chats (over the demo model), and the
    // list says which one is.
    const defaults = (await call('GET', '/v1/models')).body.models.map((model: Json) => [
      model.id,
      model.default,
    ]);
    expect(defaults).toContainEqual(['fake-model', true]);
    expect(defaults).toContainEqual(['demo', false]);

    fake.reply({ kind: 'text', text: 'Hello from the fake provider' });
    const chat = await call('POST', '/v1/chats', {
      content: 'hi',
      modelConfigId: 'fake-model',
      title: 't',
    });
    expect(chat.status).toBe(201);
    await readStream(
      url,
      TOKEN,
      chat.body.id,
      (event) => event.type === 'status' && event.status === 'waiting',
    );
    const { body } = await call('GET', `/v1/chats/${chat.body.id}/messages`);
    const answer = body.messages[0];
    expect(JSON.stringify(answer.content)).toContain('Hello from the fake provider');
    // 10 input and 5 output tokens at $1 and $2 per million: 20 micro-dollars.
    expect(answer.costMicros).toBe(20);
    expect(fake.requests.at(-1)?.body.model).toBe('fake-1');
    // The demo model's dice tool is offered to the demo model only.
    expect(fake.requests.at(-1)?.body.tools ?? []).toEqual([]);
  });

  it('refuses bad, duplicate and non-admin writes; deletes', async () => {
    const { call } = started;
    const base = { id: 'second', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseURL };
    expect(
      (await call('POST', '/v1/admin/model-configs', { ...base, provider: 'mistral' })).status,
    ).toBe(400);
    expect(
      (await call('POST', '/v1/admin/model-configs', { ...base, id: 'has/slash' })).status,
    ).toBe(400);
    const noUrl = await call('POST', '/v1/admin/model-configs', {
      id: 'x',
      provider: 'openai-compatible',
      model: 'm',
    });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.message).toContain('baseUrl');
    expect((await call('POST', '/v1/admin/model-configs', { ...base, id: 'demo' })).status).toBe(
      409,
    );
    const user = await call('POST', '/v1/admin/users', { name: 'plain' });
    const plain = user.body.token.token as string;
    expect((await call('POST', '/v1/admin/model-configs', base, plain)).status).toBe(403);
    expect((await call('GET', '/v1/admin/model-configs', undefined, plain)).status).toBe(403);
    expect((await call('POST', '/v1/admin/model-configs', base)).status).toBe(201);
    expect((await call('POST', '/v1/admin/model-configs', base)).status).toBe(409);
    expect((await call('DELETE', '/v1/admin/model-configs/second')).status).toBe(204);
    expect((await call('DELETE', '/v1/admin/model-configs/second')).status).toBe(404);
  });

  it('keeps the key only sealed in the database, under a generated key file of mode 0600', async () => {
    await started.server.close();
    const keyFile = join(dataDir, 'secret.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const pglite = await PGlite.create(join(dataDir, 'pglite'));
    try {
      const { rows } = await pglite.query<{ api_key_sealed: string }>(
        "SELECT api_key_sealed FROM server_model_configs WHERE id = 'fake-model'",
      );
      expect(rows[0]?.api_key_sealed).toMatch(/^v1:/);
      expect(rows[0]?.api_key_sealed).not.toContain(API_KEY);
    } finally {
      await pglite.close();
    }
    // The same key file on the next start: the stored key still opens.
    const keyBefore = await readFile(keyFile, 'utf8');
    started = await start(dataDir);
    expect(await readFile(keyFile, 'utf8')).toBe(keyBefore);
    fake.reply({ kind: 'text', text: 'Still works' });
    const chat = await started.call('POST', '/v1/chats', {
      content: 'again',
      modelConfigId: 'fake-model',
      title: 't',
    });
    await readStream(
      started.url,
      TOKEN,
      chat.body.id,
      (event) => event.type === 'status' && event.status === 'waiting',
    );
    expect(fake.requests).toHaveLength(2);
  });

  it('refuses to start with a key that does not open the stored secrets, naming CHATD_SECRET_KEY', async () => {
    await started.server.close();
    await expect(
      start(dataDir, { CHATD_SECRET_KEY: 'another-secret-key-that-seals-nothing-here' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'CHATD_SECRET_KEY',
      message: expect.stringContaining('does not open the secrets stored in the database'),
    });
    // The folder was released: the right key starts at once.
    started = await start(dataDir);
  });

  it('requires CHATD_SECRET_KEY with Postgres, before connecting', async () => {
    await expect(
      createServer(
        loadConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', CHATD_DATA_DIR: dataDir }),
        { logLevel: 'silent' },
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('CHATD_SECRET_KEY'),
    });
    expect(() => loadConfig({ CHATD_SECRET_KEY: 'short' })).toThrow(/CHATD_SECRET_KEY/);
  });
});
