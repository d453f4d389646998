import type { LogFields, Logger } from '@chatd/core';
import { errorOf, ManualClock } from '@chatd/core/testing';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ToolExecutionOptions } from 'ai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { McpUserToken } from '../auth/index.js';
import { readBody, sendJson } from '../test-support/http-server.js';
import { type McpTestServer, startMcpTestServer } from '../test-support/mcp-test-server.js';
import { registerSampleTools, sampleToolEvents } from '../test-support/sample-tools.js';
import type { McpToolOutput } from '../tools/index.js';
import { McpClientPool } from './pool.js';
import type { McpToolSet } from './tool-set.js';

const callOptions: ToolExecutionOptions = { toolCallId: 'call-1', messages: [] };

async function call(set: McpToolSet, name: string, input: unknown = {}) {
  const tool = set.tools[name];
  if (!tool?.execute) throw new Error(`no tool ${name}`);
  return (await tool.execute(input, callOptions)) as McpToolOutput;
}

let server: McpTestServer;
const events = sampleToolEvents();
const tokenRequests: URLSearchParams[] = [];
let tokenResponse: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = await startMcpTestServer({
    setup: (mcp) => {
      registerSampleTools(mcp, events);
      mcp.registerTool('drop', { description: 'Kills the connection mid-call' }, async () => {
        events.countCalls++;
        server.dropConnections();
        return new Promise(() => {});
      });
      mcp.registerTool(
        'drop_streaming',
        { description: 'Starts the response stream, then kills the connection' },
        async (extra) => {
          events.countCalls++;
          // A notification on the call's stream: the client has the response headers once it
          // sees this (the test waits for that, then kills the connection).
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: 'started', progress: 1 },
          });
          return new Promise(() => {});
        },
      );
    },
    routes: async (request, response) => {
      if (!request.url?.startsWith('/token')) return false;
      tokenRequests.push(new URLSearchParams(await readBody(request)));
      sendJson(response, tokenResponse.status, tokenResponse.body);
      return true;
    },
  });
});
afterAll(async () => {
  await server.close();
});

function config(overrides: Record<string, unknown> = {}) {
  return { id: 'cfg', slug: 'srv', url: server.url, toolAllowList: ['echo'], ...overrides };
}

/** Headers of the tools/call requests the server saw since `from`. */
function mcpHeaders(from: number) {
  return server.requests
    .slice(from)
    .filter((request) => request.path === '/mcp' && request.method === 'POST');
}

describe('McpClientPool', () => {
  it('reuses a connection across turns and closes it after the idle timeout', async () => {
    const clock = new ManualClock();
    const pool = new McpClientPool({ clock, idleTimeoutMs: 60_000 });
    const instances = server.instances.length;
    const first = await pool.connectAll([config()]);
    await first.close();
    expect(pool.idleCount).toBe(1);
    const second = await pool.connectAll([config()]);
    expect(server.instances.length).toBe(instances + 1);
    expect((await call(second, 'srv__echo', { message: 'again' })).text).toBe('echo: again');
    await second.close();
    expect(pool.size).toBe(1);
    await clock.advance(59_999);
    expect(pool.size).toBe(1);
    await clock.advance(1);
    expect(pool.size).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
    await pool.close();
  });

  it('opens a new connection when the config changes or for another user', async () => {
    const pool = new McpClientPool();
    try {
      const instances = server.instances.length;
      const a = await pool.connectAll([config()], { identity: { ownerId: 'u1' } });
      const b = await pool.connectAll([config({ toolAllowList: ['echo', 'greet'] })], {
        identity: { ownerId: 'u1' },
      });
      const c = await pool.connectAll([config()], { identity: { ownerId: 'u2' } });
      const d = await pool.connectAll([config()], {
        identity: { ownerId: 'u1', chatId: 'other-chat' },
      });
      expect(server.instances.length).toBe(instances + 3);
      expect(pool.size).toBe(3);
      await Promise.all([a, b, c, d].map((set) => set.close()));
    } finally {
      await pool.close();
    }
  });

  it('sends each chat its own identity headers on a shared pooled connection', async () => {
    const pool = new McpClientPool();
    try {
      const cfg = config({
        forwardIdentityHeaders: true,
        authType: 'api-key',
        apiKeyHeader: 'X-API-Key',
        apiKeyValue: 'key-1',
      });
      const root = await pool.connectAll([cfg], { identity: { ownerId: 'u1', chatId: 'chat-1' } });
      const sub = await pool.connectAll([cfg], {
        identity: { ownerId: 'u1', chatId: 'sub-1', parentChatId: 'chat-1' },
      });
      expect(pool.size).toBe(1);
      let from = server.requests.length;
      await call(root, 'srv__echo', { message: 'x' });
      const [rootCall] = mcpHeaders(from);
      expect(rootCall?.headers).toMatchObject({
        'x-chatd-owner-id': 'u1',
        'x-chatd-chat-id': 'chat-1',
        'x-api-key': 'key-1',
      });
      expect(rootCall?.headers['x-chatd-subchat-id']).toBeUndefined();
      from = server.requests.length;
      await call(sub, 'srv__echo', { message: 'y' });
      expect(mcpHeaders(from)[0]?.headers).toMatchObject({
        'x-chatd-owner-id': 'u1',
        'x-chatd-chat-id': 'chat-1',
        'x-chatd-subchat-id': 'sub-1',
        'x-api-key': 'key-1',
      });
      await root.close();
      await sub.close();
    } finally {
      await pool.close();
    }
  });

  it('does not send identity headers unless the config asks for them', async () => {
    const pool = new McpClientPool();
    try {
      const from = server.requests.length;
      const set = await pool.connectAll([config()], { identity: { ownerId: 'u1', chatId: 'c1' } });
      await call(set, 'srv__echo', { message: 'x' });
      for (const request of mcpHeaders(from))
        expect(request.headers['x-chatd-owner-id']).toBeUndefined();
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('lets an admin custom header win over a forwarded identity header, and sends OAuth2 bearer tokens', async () => {
    const pool = new McpClientPool();
    try {
      const from = server.requests.length;
      const custom = await pool.connectAll(
        [
          config({
            id: 'custom',
            forwardIdentityHeaders: true,
            authType: 'custom-headers',
            customHeaders: '{"X-Chatd-Owner-Id":"admin","X-Team":"blue"}',
          }),
        ],
        { identity: { ownerId: 'u1' } },
      );
      const oauth = await pool.connectAll(
        [config({ id: 'oauth', authType: 'oauth2', forwardIdentityHeaders: true })],
        {
          identity: { ownerId: 'u1' },
          userTokens: { oauth: { accessToken: 'test-token-abc', tokenType: 'bearer' } },
        },
      );
      const seen = mcpHeaders(from);
      expect(
        seen.some(
          (r) => r.headers['x-chatd-owner-id'] === 'admin' && r.headers['x-team'] === 'blue',
        ),
      ).toBe(true);
      expect(
        seen.some(
          (r) =>
            r.headers.authorization === 'Bearer test-token-abc' &&
            r.headers['x-chatd-owner-id'] === 'u1',
        ),
      ).toBe(true);
      await custom.close();
      await oauth.close();
    } finally {
      await pool.close();
    }
  });

  it('connects without Authorization when the token has a refresh failure or is empty, and sends expired tokens', async () => {
    const pool = new McpClientPool();
    try {
      const from = server.requests.length;
      const set = await pool.connectAll(
        [
          config({ id: 'failed', slug: 'failed', authType: 'oauth2' }),
          config({ id: 'empty', slug: 'empty', authType: 'oauth2' }),
          config({ id: 'expired', slug: 'expired', authType: 'oauth2' }),
        ],
        {
          userTokens: {
            failed: { accessToken: 'revoked-token', refreshFailureReason: 'invalid_grant' },
            empty: { accessToken: '' },
            expired: { accessToken: 'old-token', expiresAt: new Date(0) },
          },
        },
      );
      expect(set.servers.map((s) => s.status)).toEqual(['connected', 'connected', 'connected']);
      const auths = mcpHeaders(from).map((r) => r.headers.authorization);
      expect(auths).not.toContain('Bearer revoked-token');
      expect(auths).toContain('Bearer old-token');
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('refreshes a token about to expire before connecting, keeping the unrotated refresh token', async () => {
    const clock = new ManualClock();
    const pool = new McpClientPool({ clock });
    tokenResponse = {
      status: 200,
      body: { access_token: 'fresh-token', token_type: 'bearer', expires_in: 3600 },
    };
    const refreshed: McpUserToken[] = [];
    try {
      const from = server.requests.length;
      const set = await pool.connectAll(
        [
          config({
            authType: 'oauth2',
            oauth2: { tokenUrl: `${server.origin}/token`, clientId: 'client-1' },
          }),
        ],
        {
          userTokens: {
            cfg: {
              accessToken: 'stale-token',
              refreshToken: 'refresh-1',
              expiresAt: clock.now() + 5_000,
            },
          },
          onTokenRefreshed: (_id, token) => {
            refreshed.push(token);
          },
        },
      );
      expect(set.servers[0]?.status).toBe('connected');
      expect(refreshed).toEqual([
        {
          accessToken: 'fresh-token',
          refreshToken: 'refresh-1',
          tokenType: 'bearer',
          expiresAt: clock.now() + 3_600_000,
        },
      ]);
      expect(tokenRequests.at(-1)?.get('refresh_token')).toBe('refresh-1');
      const auths = mcpHeaders(from).map((r) => r.headers.authorization);
      expect(auths).not.toContain('Bearer stale-token');
      expect(auths).toContain('Bearer fresh-token');
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('refreshes the token on a reused connection when it nears expiry between calls', async () => {
    const clock = new ManualClock();
    const pool = new McpClientPool({ clock });
    tokenResponse = {
      status: 200,
      body: {
        access_token: 'second-token',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'refresh-2',
      },
    };
    const refreshed: McpUserToken[] = [];
    try {
      const set = await pool.connectAll(
        [config({ authType: 'oauth2', oauth2: { tokenUrl: `${server.origin}/token` } })],
        {
          userTokens: {
            cfg: {
              accessToken: 'first-token',
              refreshToken: 'refresh-1',
              expiresAt: clock.now() + 60_000,
            },
          },
          onTokenRefreshed: (_id, token) => {
            refreshed.push(token);
          },
        },
      );
      await clock.advance(55_000);
      const from = server.requests.length;
      await call(set, 'srv__echo', { message: 'x' });
      expect(mcpHeaders(from)[0]?.headers.authorization).toBe('Bearer second-token');
      expect(refreshed[0]?.refreshToken).toBe('refresh-2');
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('records a permanent refresh failure, reports it and stops sending the token', async () => {
    const clock = new ManualClock();
    const pool = new McpClientPool({ clock });
    tokenResponse = {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'secret detail' },
    };
    const refreshed: McpUserToken[] = [];
    try {
      const from = server.requests.length;
      const set = await pool.connectAll(
        [config({ authType: 'oauth2', oauth2: { tokenUrl: `${server.origin}/token` } })],
        {
          userTokens: {
            cfg: {
              accessToken: 'dying-token',
              refreshToken: 'refresh-x',
              expiresAt: clock.now() + 1_000,
            },
          },
          onTokenRefreshed: (_id, token) => {
            refreshed.push(token);
          },
        },
      );
      expect(set.servers[0]?.status).toBe('connected');
      expect(refreshed[0]?.refreshFailureReason).toContain('invalid_grant');
      expect(refreshed[0]?.refreshFailureReason).not.toContain('secret detail');
      expect(mcpHeaders(from).map((r) => r.headers.authorization)).not.toContain(
        'Bearer dying-token',
      );
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('reconnects once on an expired session, re-initializes and retries the call', async () => {
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([config()]);
      const instances = server.instances.length;
      server.expireSessions();
      expect((await call(set, 'srv__echo', { message: 'after expiry' })).text).toBe(
        'echo: after expiry',
      );
      expect(server.instances.length).toBe(instances + 1);
      expect((await call(set, 'srv__echo', { message: 'still fine' })).text).toBe(
        'echo: still fine',
      );
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('reconnects only once when several calls find the session expired together', async () => {
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([config()]);
      const instances = server.instances.length;
      server.expireSessions();
      const outputs = await Promise.all(
        ['a', 'b', 'c'].map((message) => call(set, 'srv__echo', { message })),
      );
      expect(outputs.map((output) => output.text)).toEqual(['echo: a', 'echo: b', 'echo: c']);
      expect(server.instances.length).toBe(instances + 1);
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('reconnects only once and reports MCP_SESSION_EXPIRED when the new session is refused too', async () => {
    let reject = false;
    const forgetful = await startMcpTestServer({
      setup: (mcp) => registerSampleTools(mcp),
      rejectCalls: () => reject,
    });
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([config({ url: forgetful.url })]);
      reject = true;
      const instances = forgetful.instances.length;
      const output = await call(set, 'srv__echo', { message: 'x' });
      expect(output.isError).toBe(true);
      expect(output.text).toContain('rejected the session again after reconnecting');
      expect(forgetful.instances.length).toBe(instances + 1);
      await set.close();
    } finally {
      await pool.close();
      await forgetful.close();
    }
  });

  it('reconnects once over legacy SSE when the server forgot the session', async () => {
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([config({ transport: 'sse', url: server.sseUrl })]);
      const instances = server.instances.length;
      server.expireSessions();
      expect((await call(set, 'srv__echo', { message: 'sse again' })).text).toBe('echo: sse again');
      expect(server.instances.length).toBe(instances + 1);
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('fails a call at once, without retrying, when the server dies mid-call', async () => {
    // The clock never moves: the calls must end because the connection broke, not by timeout.
    const clock = new ManualClock();
    const transportErrors: string[] = [];
    const logger: Logger = {
      child: () => logger,
      debug: (fields: LogFields | string) => {
        if (typeof fields !== 'string') transportErrors.push(String(fields.err));
      },
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    const pool = new McpClientPool({ clock, logger });
    try {
      const set = await pool.connectAll([config({ toolAllowList: ['drop', 'drop_streaming'] })]);
      let before = events.countCalls;
      const beforeHeaders = await call(set, 'srv__drop');
      expect(beforeHeaders.isError).toBe(true);
      expect(events.countCalls).toBe(before + 1);

      before = events.countCalls;
      const running = call(set, 'srv__drop_streaming');
      // The SDK reports the progress notification (its token is unknown to it) as an error.
      await vi.waitFor(() => expect(transportErrors.join()).toContain('unknown token'));
      server.dropConnections();
      const midStream = await running;
      expect(midStream.isError).toBe(true);
      expect(midStream.text).toContain(
        'was lost during the call to drop_streaming; it may have run',
      );
      expect(events.countCalls).toBe(before + 1);
      await set.close();
    } finally {
      await pool.close();
    }
  });

  it('refreshes a pooled connection’s tools after notifications/tools/list_changed', async () => {
    const pool = new McpClientPool();
    try {
      const cfg = config({ toolAllowList: [] });
      const first = await pool.connectAll([cfg]);
      expect(Object.keys(first.tools)).not.toContain('srv__added_later');
      const instance = server.instances.at(-1);
      if (!instance || !('registerTool' in instance)) throw new Error('expected an McpServer');
      instance.registerTool('added_later', { description: 'new' }, async () => ({
        content: [{ type: 'text', text: 'new!' }],
      }));
      await vi.waitFor(
        async () => {
          const next = await pool.connectAll([cfg]);
          try {
            expect(Object.keys(next.tools)).toContain('srv__added_later');
            expect((await call(next, 'srv__added_later')).text).toBe('new!');
          } finally {
            await next.close();
          }
          // The re-list is a round trip of its own: allow for a busy machine.
        },
        { timeout: 15_000, interval: 50 },
      );
      expect(pool.size).toBe(1);
      await first.close();
    } finally {
      await pool.close();
    }
  });

  it('rejects the call with the abort reason and closes connections it opened', async () => {
    const pool = new McpClientPool();
    try {
      const controller = new AbortController();
      const reason = new Error('turn cancelled');
      const pending = pool.connectAll([config()], { signal: controller.signal });
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(pool.size).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('fails connectAll after close with MCP_POOL_CLOSED', async () => {
    const pool = new McpClientPool();
    await pool.close();
    await expect(pool.connectAll([config()])).rejects.toMatchObject({ code: 'MCP_POOL_CLOSED' });
  });

  it('rejects options out of range naming them', async () => {
    const pool = new McpClientPool();
    try {
      expect(() => new McpClientPool({ idleTimeoutMs: 0 })).toThrow('idleTimeoutMs');
      await expect(pool.connectAll([], { callTimeoutMs: -1 })).rejects.toThrow('callTimeoutMs');
      await expect(pool.connectAll([], { maxResultBytes: 1.5 })).rejects.toThrow('maxResultBytes');
    } finally {
      await pool.close();
    }
  });

  // Configs refuse unknown fields; options do too, or a misspelt one silently gets its default.
  const connectAllOptions =
    'userTokens, onTokenRefreshed, identity, signal, logger, connectTimeoutMs, callTimeoutMs, maxResultBytes';
  it.each([
    [
      'options.connectTimeoutMS',
      `is not an option; the options are ${connectAllOptions}`,
      { connectTimeoutMS: 5000 },
    ],
    ['options.maxResultbytes', 'is not an option', { callTimeoutMs: 10, maxResultbytes: 100 }],
    // The pool's constructor takes the clock; here it would be silently ignored.
    ['options.clock', 'is not an option', { clock: new ManualClock() }],
    // A misspelt ownerId would put the connection under the anonymous pool key.
    [
      'options.identity.ownerID',
      'is not an option; the options are ownerId, chatId, parentChatId',
      { identity: { ownerID: 'user-1' } },
    ],
    ['options.identity', 'must be an object, got "user-1"', { identity: 'user-1' }],
    ['options', 'must be an object, got null', null],
  ])(
    'refuses connectAll options before connecting anything: %s',
    async (argument, problem, options) => {
      const pool = new McpClientPool();
      try {
        const requests = server.requests.length;
        await expect(pool.connectAll([config()], options as never)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          argument,
          message: expect.stringContaining(`Invalid ${argument}: ${problem}`),
        });
        expect(pool.size).toBe(0);
        expect(server.requests.length).toBe(requests);
      } finally {
        await pool.close();
      }
    },
  );

  it('refuses an unknown pool option by name', () => {
    expect(errorOf(() => new McpClientPool({ idleTimeoutMS: 1000 } as never))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.idleTimeoutMS',
      message:
        'Invalid options.idleTimeoutMS: is not an option; the options are idleTimeoutMs, clock, logger',
    });
    expect(errorOf(() => new McpClientPool(null as never))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options',
    });
  });
});

describe('paginated tool lists', () => {
  it('follows nextCursor across every page', async () => {
    const names = ['t1', 't2', 't3', 't4', 't5'];
    const paged = await startMcpTestServer({
      createServer: () => {
        const low = new Server(
          { name: 'paged', version: '1.0.0' },
          { capabilities: { tools: {} } },
        );
        low.setRequestHandler(ListToolsRequestSchema, async (request) => {
          const start = Number(request.params?.cursor ?? 0);
          const page = names
            .slice(start, start + 2)
            .map((name) => ({ name, inputSchema: { type: 'object' as const } }));
          return start + 2 < names.length
            ? { tools: page, nextCursor: String(start + 2) }
            : { tools: page };
        });
        low.setRequestHandler(CallToolRequestSchema, async (request) => ({
          content: [{ type: 'text', text: `ran ${request.params.name}` }],
        }));
        return low;
      },
    });
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([{ id: 'p', slug: 'paged', url: paged.url }]);
      expect(Object.keys(set.tools)).toEqual(names.map((name) => `paged__${name}`));
      expect((await call(set, 'paged__t5')).text).toBe('ran t5');
      await set.close();
    } finally {
      await pool.close();
      await paged.close();
    }
  });
});
