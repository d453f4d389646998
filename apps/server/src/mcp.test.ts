import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeOpenAI } from '@chatd/chatd/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Json, readStream } from './test-support/read-stream.js';
import {
  ADMIN_TOKEN,
  call as request,
  startTestServer,
  type TestServer,
} from './test-support/test-server.js';

const API_KEY = 'mcp-api-key-that-must-stay-secret';

/** A real MCP server (the SDK's, stateless Streamable HTTP) with one tool; records headers. */
async function startLookupServer() {
  const headers: IncomingHttpHeaders[] = [];
  const http: Server = createHttpServer(async (request, response) => {
    headers.push(request.headers);
    const mcp = new McpServer({ name: 'docs', version: '1.0.0' });
    mcp.registerTool(
      'lookup',
      { description: 'Looks a topic up', inputSchema: { topic: z.string() } },
      async ({ topic }) => ({ content: [{ type: 'text', text: `${topic} is a chat engine` }] }),
    );
    // No session id generator: stateless, one transport per request.
    const transport = new StreamableHTTPServerTransport({});
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    close: () => {
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe('MCP servers configured by admins, used by chats', () => {
  let fake: FakeOpenAI;
  let docs: Awaited<ReturnType<typeof startLookupServer>>;
  let started: TestServer;
  let url: string;

  const call = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    request(url, token, method, path, body);
  const turnOver = (chatId: string) =>
    readStream(
      url,
      ADMIN_TOKEN,
      chatId,
      (event) => event.type === 'status' && event.status === 'waiting',
    );

  beforeAll(async () => {
    fake = await FakeOpenAI.start();
    docs = await startLookupServer();
    started = await startTestServer();
    url = started.url;
    const model = await call('POST', '/v1/admin/model-configs', {
      id: 'fake',
      provider: 'openai-compatible',
      model: 'fake-1',
      baseUrl: fake.baseURL,
    });
    expect(model.status).toBe(201);
  });
  afterAll(async () => {
    await started?.close();
    await docs?.close();
    await fake?.close();
  });

  it('runs an MCP tool in a chat that picked the server, with its key and the chat identity', async () => {
    const created = await call('POST', '/v1/admin/mcp-servers', {
      slug: 'docs',
      url: docs.url,
      authType: 'api-key',
      apiKeyHeader: 'x-api-key',
      apiKeyValue: API_KEY,
      forwardIdentityHeaders: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      slug: 'docs',
      transport: 'streamable-http',
      authType: 'api-key',
    });
    expect(created.text).not.toContain(API_KEY);
    const listed = await call('GET', '/v1/mcp-servers');
    expect(listed.text).not.toContain(API_KEY);
    expect(listed.body.mcpServers).toEqual([
      expect.objectContaining({ id: created.body.id, hasToken: false }),
    ]);

    fake.reply(
      {
        kind: 'tool-calls',
        calls: [{ id: 'c1', name: 'docs__lookup', arguments: '{"topic":"chatd"}' }],
      },
      { kind: 'text', text: 'chatd is a chat engine, says the docs server.' },
    );
    const chat = await call('POST', '/v1/chats', {
      content: 'What is chatd?',
      title: 'mcp',
      modelConfigId: 'fake',
      mcpServerIds: [created.body.id],
    });
    expect(chat.status).toBe(201);
    await turnOver(chat.body.id);
    const { body } = await call('GET', `/v1/chats/${chat.body.id}/messages`);
    const roles = body.messages.map((message: Json) => message.role).reverse();
    expect(roles).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(JSON.stringify(body.messages[1].content)).toContain('chatd is a chat engine');
    // The model saw the MCP tool, and the server got the key and who is asking.
    expect(JSON.stringify(fake.requests[0]?.body.tools)).toContain('docs__lookup');
    const toolCall = docs.headers.find((headers) => headers['x-chatd-chat-id'] === chat.body.id);
    expect(toolCall?.['x-api-key']).toBe(API_KEY);
  });

  it("sends a user's own OAuth token to a server that needs one", async () => {
    const created = await call('POST', '/v1/admin/mcp-servers', {
      slug: 'private-docs',
      url: docs.url,
      authType: 'oauth2',
    });
    const id = created.body.id as string;
    expect(
      (await call('PUT', `/v1/mcp-servers/${id}/token`, { accessToken: 'user-token-1' })).status,
    ).toBe(204);
    expect((await call('GET', '/v1/mcp-servers')).body.mcpServers).toContainEqual(
      expect.objectContaining({ id, hasToken: true }),
    );
    fake.reply(
      {
        kind: 'tool-calls',
        calls: [{ id: 'c2', name: 'private-docs__lookup', arguments: '{"topic":"x"}' }],
      },
      { kind: 'text', text: 'done' },
    );
    const before = docs.headers.length;
    const chat = await call('POST', '/v1/chats', {
      content: 'look',
      title: 't',
      modelConfigId: 'fake',
      mcpServerIds: [id],
    });
    await turnOver(chat.body.id);
    expect(
      docs.headers.slice(before).some((headers) => headers.authorization === 'Bearer user-token-1'),
    ).toBe(true);
    expect((await call('DELETE', `/v1/mcp-servers/${id}/token`)).status).toBe(204);
    expect((await call('DELETE', `/v1/mcp-servers/${id}/token`)).status).toBe(404);
  });

  it("shows a server that cannot be reached as a warning in the chat's stream; the turn goes on", async () => {
    const down = await call('POST', '/v1/admin/mcp-servers', {
      slug: 'down',
      url: 'http://127.0.0.1:9/mcp',
    });
    const chat = await call('POST', '/v1/chats', {
      content: 'hello',
      title: 't',
      modelConfigId: 'demo',
      mcpServerIds: [down.body.id],
    });
    const events = await readStream(
      url,
      ADMIN_TOKEN,
      chat.body.id,
      (event) => event.type === 'status' && event.status === 'waiting',
    );
    const warning = events.find(
      (event) => event.data.type === 'message-part' && event.data.part.type === 'data-warning',
    );
    expect(warning?.data.part.data).toMatchObject({ source: 'down' });
    expect(warning?.data.part.data.message).toContain('The MCP server down is unavailable');
    const { body } = await call('GET', `/v1/chats/${chat.body.id}/messages`);
    expect(body.messages[0].role).toBe('assistant');
  });

  it('refuses bad configs, unknown servers on a chat, duplicates and non-admins', async () => {
    const bad = await call('POST', '/v1/admin/mcp-servers', { slug: 'x', url: 'ftp://nowhere' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('url');
    // Not the id the server drew for it, which the client never saw.
    expect(bad.body.error.message).not.toMatch(/\(id /);
    expect(
      (
        await call('POST', '/v1/admin/mcp-servers', {
          slug: 'y',
          url: docs.url,
          tooolAllowList: [],
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('POST', '/v1/admin/mcp-servers', { slug: 'docs', url: docs.url })).status,
    ).toBe(409);
    const unknown = await call('POST', '/v1/chats', {
      content: 'x',
      mcpServerIds: ['00000000-0000-4000-8000-000000000000'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_MCP_SERVER');
    const user = await call('POST', '/v1/admin/users', { name: 'mcp-user' });
    const plain = user.body.token.token as string;
    expect(
      (await call('POST', '/v1/admin/mcp-servers', { slug: 'z', url: docs.url }, plain)).status,
    ).toBe(403);
    expect((await call('GET', '/v1/mcp-servers', undefined, plain)).status).toBe(200);
    const listed = (await call('GET', '/v1/mcp-servers')).body.mcpServers as Json[];
    const target = listed.find((entry) => entry.slug === 'docs');
    expect((await call('DELETE', `/v1/admin/mcp-servers/${target.id}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/admin/mcp-servers/${target.id}`)).status).toBe(404);
  });
});
