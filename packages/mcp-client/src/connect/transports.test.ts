import { fileURLToPath } from 'node:url';
import type { LogFields, Logger } from '@chatd/core';
import { ManualClock, newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ToolExecutionOptions } from 'ai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type McpTestServer, startMcpTestServer } from '../test-support/mcp-test-server.js';
import { registerSampleTools } from '../test-support/sample-tools.js';
import type { McpToolOutput } from '../tools/index.js';
import { connectAll, McpClientPool } from './pool.js';
import type { McpToolSet } from './tool-set.js';

const STDIO_SERVER = fileURLToPath(new URL('../test-support/stdio-server.mjs', import.meta.url));
const EVERYTHING = fileURLToPath(
  new URL(
    '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);
const callOptions: ToolExecutionOptions = { toolCallId: 'call-1', messages: [] };

async function call(set: McpToolSet, name: string, input: unknown = {}) {
  const tool = set.tools[name];
  if (!tool?.execute) throw new Error(`no tool ${name}`);
  return (await tool.execute(input, callOptions)) as McpToolOutput;
}

function stdio(overrides: Record<string, unknown> = {}) {
  return {
    id: 'local',
    slug: 'local',
    transport: 'stdio',
    command: process.execPath,
    args: [STDIO_SERVER],
    ...overrides,
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function collectingLogger() {
  const lines: LogFields[] = [];
  const logger: Logger = {
    child: () => logger,
    debug: () => {},
    info: (fields: LogFields | string) => {
      if (typeof fields !== 'string') lines.push(fields);
    },
    warn: () => {},
    error: () => {},
  };
  return { logger, lines };
}

let server: McpTestServer;
let hanging: McpTestServer;

beforeAll(async () => {
  server = await startMcpTestServer({ setup: (mcp) => registerSampleTools(mcp) });
  hanging = await startMcpTestServer({ hang: true });
});
afterAll(async () => {
  await server.close();
  await hanging.close();
});

describe('stdio transport', () => {
  it('starts the child with the configured cwd and only an explicit environment', async () => {
    process.env.CHATD_PARENT_SECRET = 'must-not-leak';
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const set = await connectAll([stdio({ env: { GREETING: 'hi' }, cwd, toolAllowList: ['env'] })]);
    try {
      const { keys, cwd: childCwd } = JSON.parse((await call(set, 'local__env')).text) as {
        keys: string[];
        cwd: string;
      };
      expect(keys).toContain('GREETING');
      expect(keys).not.toContain('CHATD_PARENT_SECRET');
      expect(childCwd).toBe(cwd.replace(/\/$/, ''));
    } finally {
      delete process.env.CHATD_PARENT_SECRET;
      await set.close();
    }
  });

  it('starts the child in the parent’s cwd with the safe environment when env and cwd are null', async () => {
    await using set = await connectAll([stdio({ env: null, cwd: null, toolAllowList: ['env'] })]);
    expect(set.servers[0]?.status).toBe('connected');
    const { keys, cwd } = JSON.parse((await call(set, 'local__env')).text) as {
      keys: string[];
      cwd: string;
    };
    expect(cwd).toBe(process.cwd());
    expect(keys).toContain('PATH');
  });

  it('sends the child’s stderr to the logger and kills the child on close', async () => {
    const { logger, lines } = collectingLogger();
    const pool = new McpClientPool({ logger });
    const set = await pool.connectAll([stdio({ toolAllowList: ['echo'] })]);
    expect((await call(set, 'local__echo', { message: 'over stdio' })).text).toBe(
      'echo: over stdio',
    );
    const [pid] = pool.childPids;
    expect(pid).toBeTypeOf('number');
    expect(isRunning(pid as number)).toBe(true);
    await set.close();
    await pool.close();
    expect(isRunning(pid as number)).toBe(false);
    expect(lines.some((line) => String(line.stderr).includes('stdio test server'))).toBe(true);
  });

  it('returns an error result when the server dies mid-call and drops the dead connection', async () => {
    const pool = new McpClientPool();
    try {
      const set = await pool.connectAll([stdio({ toolAllowList: ['die', 'echo'] })]);
      const output = await call(set, 'local__die');
      expect(output.isError).toBe(true);
      expect(output.text).toMatch(/closed/i);
      await vi.waitFor(() => expect(pool.size).toBe(0));
      await set.close();
      const next = await pool.connectAll([stdio({ toolAllowList: ['die', 'echo'] })]);
      expect((await call(next, 'local__echo', { message: 'back' })).text).toBe('echo: back');
      await next.close();
    } finally {
      await pool.close();
    }
  });
});

describe('connect budget', () => {
  it('fails servers that hang on initialize over each transport at the budget while others connect', async () => {
    const clock = new ManualClock();
    const pending = connectAll(
      [
        { id: 'http-hang', slug: 'a', url: hanging.url },
        { id: 'sse-hang', slug: 'b', transport: 'sse', url: hanging.sseUrl },
        stdio({ id: 'stdio-hang', slug: 'c', args: [STDIO_SERVER, 'hang'] }),
        { id: 'good', slug: 'good', url: server.url, toolAllowList: ['echo'] },
      ],
      { clock, connectTimeoutMs: 10_000 },
    );
    // Four budgets start at once; the good server's is released when it has connected (which
    // takes real time: the clock only drives the deadlines).
    await vi.waitFor(() => expect(clock.pendingTimerCount).toBe(3), { timeout: 10_000 });
    await clock.advance(9_999);
    expect(clock.pendingTimerCount).toBe(3);
    await clock.advance(1);
    const set = await pending;
    try {
      expect(set.servers.map((s) => s.status)).toEqual(['failed', 'failed', 'failed', 'connected']);
      for (const status of set.servers.slice(0, 3))
        expect(status.error).toContain('timed out after 10000 ms');
      expect(Object.keys(set.tools)).toEqual(['good__echo']);
    } finally {
      await set.close();
    }
  });
});

describe('connect budget across pages', () => {
  it('counts tools/list pages against the same budget as connect and initialize', async () => {
    const slowPages = await startMcpTestServer({
      createServer: () => {
        const low = new Server({ name: 'slow', version: '1.0.0' }, { capabilities: { tools: {} } });
        low.setRequestHandler(ListToolsRequestSchema, async (request) =>
          request.params?.cursor
            ? new Promise<never>(() => {}) // the second page never comes
            : {
                tools: [{ name: 'first', inputSchema: { type: 'object' as const } }],
                nextCursor: 'p2',
              },
        );
        return low;
      },
    });
    const clock = new ManualClock();
    try {
      const pending = connectAll([{ id: 'slow', slug: 'slow', url: slowPages.url }], {
        clock,
        connectTimeoutMs: 3_000,
      });
      await vi.waitFor(() =>
        expect(
          slowPages.requests.filter((request) => request.method === 'POST').length,
        ).toBeGreaterThanOrEqual(4),
      );
      await clock.advance(3_000);
      const set = await pending;
      expect(set.servers[0]).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('timed out after 3000 ms'),
      });
      expect(clock.pendingTimerCount).toBe(0);
      await set.close();
    } finally {
      await slowPages.close();
    }
  });
});

describe('resources', () => {
  it('leaves no sockets, timers or child processes behind after close', async () => {
    // Start from a quiet process: no sockets left over from earlier tests.
    server.dropConnections();
    hanging.dropConnections();
    await vi.waitFor(() => expect(snapshotResources().get('TCPSocketWrap') ?? 0).toBe(0));
    const before = snapshotResources();
    const pool = new McpClientPool();
    const set = await pool.connectAll([
      { id: 'h', slug: 'h', url: server.url, toolAllowList: ['echo'] },
      { id: 's', slug: 's', transport: 'sse', url: server.sseUrl, toolAllowList: ['echo'] },
      stdio({ toolAllowList: ['echo'] }),
    ]);
    await call(set, 'h__echo', { message: '1' });
    await call(set, 's__echo', { message: '2' });
    await call(set, 'local__echo', { message: '3' });
    const pids = pool.childPids;
    await set.close();
    await pool.close();
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    // The client's sockets close once the server has closed its ends too.
    server.dropConnections();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('server-everything over stdio', () => {
  it('discovers its tools and calls echo and get-sum', async () => {
    const set = await connectAll([
      {
        id: 'everything',
        slug: 'everything',
        transport: 'stdio',
        command: process.execPath,
        args: [EVERYTHING, 'stdio'],
      },
    ]);
    try {
      expect(set.servers[0]?.status).toBe('connected');
      const names = Object.keys(set.tools);
      expect(names).toContain('everything__echo');
      expect(names).toContain('everything__get-sum');
      expect((await call(set, 'everything__echo', { message: 'hi' })).text).toContain('hi');
      expect((await call(set, 'everything__get-sum', { a: 2, b: 3 })).text).toContain('5');
    } finally {
      await set.close();
    }
  });
});

describe('closing while connecting', () => {
  it('stops a connect in progress and leaves no child behind when the pool closes', async () => {
    const before = snapshotResources();
    const processesBefore = before.get('ProcessWrap') ?? 0;
    const pool = new McpClientPool();
    const pending = pool.connectAll([stdio({ args: [STDIO_SERVER, 'hang'] })]);
    await vi.waitFor(() =>
      expect(snapshotResources().get('ProcessWrap') ?? 0).toBe(processesBefore + 1),
    );
    await pool.close();
    expect(await newResourcesSince(before)).toEqual([]);
    const set = await pending;
    expect(set.servers[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('closed'),
    });
    expect(pool.size).toBe(0);
  });
});
