import { rm } from 'node:fs/promises';
import { FakeOpenAI } from '@chatd/chatd/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readStream } from './test-support/read-stream.js';
import { type RunningBinary, runBinary } from './test-support/run-binary.js';
import { newDataDir, call as request } from './test-support/test-server.js';

const ADMIN_TOKEN = 'redaction-admin-token-SECRET-0123456789';
const PROVIDER_KEY = 'sk-provider-SECRET-key-abcdef';
const MCP_KEY = 'mcp-SECRET-api-key-987654';
const MCP_USER_TOKEN = 'mcp-user-SECRET-token-555';

describe('secrets never reach the logs or responses (the binary at trace level)', () => {
  let dataDir: string;
  let binary: RunningBinary | undefined;
  let fake: FakeOpenAI;
  let url: string;
  const responses: string[] = [];

  const call = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
    const answer = await request(url, token, method, path, body);
    responses.push(answer.text);
    return answer;
  };

  beforeAll(async () => {
    dataDir = await newDataDir('chatd-redaction-');
    fake = await FakeOpenAI.start();
    binary = await runBinary({
      CHATD_DATA_DIR: dataDir,
      CHATD_ADMIN_TOKEN: ADMIN_TOKEN,
      CHATD_DEMO_DELAY_MS: '1',
      LOG_LEVEL: 'trace',
    });
    url = binary.url;
  });
  afterAll(async () => {
    binary?.kill();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('redacts tokens, provider keys and MCP secrets everywhere', async () => {
    // The banner of a first start shows the admin token once, by design: look past it.
    const output = () => binary?.output() ?? '';
    const startOutput = output().length;
    await call('POST', '/v1/admin/model-configs', {
      id: 'fake',
      provider: 'openai-compatible',
      model: 'fake-1',
      baseUrl: fake.baseURL,
      apiKey: PROVIDER_KEY,
    });
    const mcp = await call('POST', '/v1/admin/mcp-servers', {
      slug: 'unreachable',
      url: 'http://127.0.0.1:9/mcp',
      authType: 'api-key',
      apiKeyHeader: 'x-api-key',
      apiKeyValue: MCP_KEY,
    });
    await call('PUT', `/v1/mcp-servers/${mcp.body.id}/token`, { accessToken: MCP_USER_TOKEN });
    // A failing provider (401) and an MCP server that cannot be reached, in one turn.
    fake.reply({ kind: 'error', status: 401, message: 'bad key' });
    const chat = await call('POST', '/v1/chats', {
      content: 'hi',
      title: 't',
      modelConfigId: 'fake',
      mcpServerIds: [mcp.body.id],
    });
    await readStream(
      url,
      ADMIN_TOKEN,
      chat.body.id,
      (event) => event.type === 'status' && event.status === 'error',
    );
    // Bad requests and a bad token, which are logged with their headers.
    await call('POST', '/v1/chats', { content: 42 });
    await call('GET', '/v1/me', undefined, `${ADMIN_TOKEN}-wrong`);
    await call('GET', '/v1/admin/model-configs');
    await call('GET', '/v1/mcp-servers');
    await vi.waitFor(() => expect(output()).toContain('"statusCode":401'), { timeout: 10_000 });

    const logs = output().slice(startOutput);
    for (const secret of [ADMIN_TOKEN, PROVIDER_KEY, MCP_KEY, MCP_USER_TOKEN]) {
      expect(logs, `logs contain ${secret}`).not.toContain(secret);
      for (const response of responses) expect(response).not.toContain(secret);
    }
    // The provider did get its key: redaction hides it from logs, not from the provider.
    expect(fake.requests).toHaveLength(1);
  });
});
