import type { LogFields, Logger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import type { ToolExecutionOptions } from 'ai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type McpTestServer, startMcpTestServer } from '../test-support/mcp-test-server.js';
import { registerSampleTools, sampleToolEvents } from '../test-support/sample-tools.js';
import type { McpToolOutput } from '../tools/index.js';
import { connectAll } from './pool.js';
import type { McpToolSet } from './tool-set.js';

const callOptions: ToolExecutionOptions = { toolCallId: 'call-1', messages: [] };

async function call(set: McpToolSet, name: string, input: unknown, options = callOptions) {
  const tool = set.tools[name];
  if (!tool?.execute) throw new Error(`no tool ${name}`);
  return (await tool.execute(input, options)) as McpToolOutput;
}

/** A logger that records every line, for checking what gets logged. */
function recordingLogger() {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const make = (bindings: LogFields): Logger => {
    const method =
      (level: string) =>
      (fieldsOrMessage: LogFields | string, message?: string): void => {
        if (typeof fieldsOrMessage === 'string')
          lines.push({ level, fields: bindings, message: fieldsOrMessage });
        else
          lines.push({
            level,
            fields: { ...bindings, ...fieldsOrMessage },
            message: message ?? '',
          });
      };
    return {
      child: (more) => make({ ...bindings, ...more }),
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
    };
  };
  return { logger: make({}), lines, text: () => JSON.stringify(lines) };
}

let server: McpTestServer;
const events = sampleToolEvents();

beforeAll(async () => {
  server = await startMcpTestServer({ setup: (mcp) => registerSampleTools(mcp, events) });
});
afterAll(async () => {
  await server.close();
});

const http = (overrides: Record<string, unknown> = {}) => ({
  id: 'cfg-1',
  slug: 'myserver',
  url: server.url,
  ...overrides,
});

describe('connectAll over Streamable HTTP', () => {
  it('discovers tools as slug__tool with descriptions preserved', async () => {
    const set = await connectAll([http({ toolAllowList: ['echo', 'greet'] })]);
    try {
      expect(Object.keys(set.tools)).toEqual(['myserver__echo', 'myserver__greet']);
      expect(set.tools.myserver__echo?.description).toBe('Echoes the message');
      expect(set.servers).toEqual([
        {
          id: 'cfg-1',
          slug: 'myserver',
          status: 'connected',
          toolNames: ['myserver__echo', 'myserver__greet'],
        },
      ]);
    } finally {
      await set.close();
    }
  });

  it('calls a tool with its original name and arguments', async () => {
    await using set = await connectAll([http()]);
    const output = await call(set, 'myserver__echo', { message: 'hello world' });
    expect(output).toEqual({
      isError: false,
      text: 'echo: hello world',
      media: [],
      truncated: false,
    });
  });

  it('sanitizes a dotted slug and the tool stays callable', async () => {
    const set = await connectAll([
      http({ slug: 'awslabs.aws-documentation-mcp-server', toolAllowList: ['echo'] }),
    ]);
    try {
      expect(Object.keys(set.tools)).toEqual(['awslabs_aws-documentation-mcp-server__echo']);
      const output = await call(set, 'awslabs_aws-documentation-mcp-server__echo', {
        message: 'hi',
      });
      expect(output.text).toBe('echo: hi');
    } finally {
      await set.close();
    }
  });

  it('keeps only allow-listed tools, ignoring the deny list', async () => {
    const set = await connectAll([http({ toolAllowList: ['greet'], toolDenyList: ['greet'] })]);
    try {
      expect(Object.keys(set.tools)).toEqual(['myserver__greet']);
    } finally {
      await set.close();
    }
  });

  it('drops deny-listed tools when there is no allow list', async () => {
    const set = await connectAll([http({ toolDenyList: ['echo'] })]);
    try {
      expect(Object.keys(set.tools)).not.toContain('myserver__echo');
      expect(Object.keys(set.tools)).toContain('myserver__greet');
    } finally {
      await set.close();
    }
  });

  it('reports a server whose tools are all filtered out as filtered-out, and close is safe', async () => {
    const set = await connectAll([http({ toolAllowList: ['no-such-tool'] })]);
    expect(set.tools).toEqual({});
    expect(set.servers[0]).toMatchObject({ status: 'filtered-out', toolNames: [] });
    await set.close();
    await set.close();
  });

  it('leaves out an unreachable server without failing the call, with a redacted error', async () => {
    // Userinfo never gets this far: validation refuses it (see the next test).
    const set = await connectAll([
      http({ id: 'dead', slug: 'dead', url: 'http://127.0.0.1:1/mcp?key=secret#frag' }),
      http({ id: 'live', slug: 'live', toolAllowList: ['echo'] }),
    ]);
    try {
      expect(Object.keys(set.tools)).toEqual(['live__echo']);
      const dead = set.servers[0];
      expect(dead).toMatchObject({ id: 'dead', status: 'failed', toolNames: [] });
      expect(dead?.error).toContain('http://127.0.0.1:1/mcp');
      expect(dead?.error).not.toMatch(/secret|frag/);
    } finally {
      await set.close();
    }
  });

  it('marks a server whose URL carries credentials failed before connecting, naming url', async () => {
    const url = new URL(server.url);
    url.username = 'alice';
    url.password = 'secret-pw';
    await using set = await connectAll([http({ url: url.href })]);
    expect(set.servers[0]).toMatchObject({ status: 'failed', toolNames: [] });
    expect(set.servers[0]?.error).toContain('url: must not include a user name or password');
    expect(set.servers[0]?.error).not.toMatch(/secret-pw|alice/);
  });

  it('connects a stored config whose defaulted fields are null, with every tool', async () => {
    const nulls = { enabled: null, transport: null, authType: null, forwardIdentityHeaders: null };
    const lists = { toolAllowList: null, toolDenyList: null };
    await using set = await connectAll([http({ ...nulls, ...lists })]);
    expect(set.servers[0]?.status).toBe('connected');
    expect(Object.keys(set.tools)).toEqual(
      expect.arrayContaining(['myserver__echo', 'myserver__greet']),
    );
  });

  it('connects to several servers in parallel with tools prefixed per slug', async () => {
    const set = await connectAll([
      http({ id: 'b', slug: 'beta', toolAllowList: ['echo'] }),
      http({ id: 'a', slug: 'alpha', toolAllowList: ['echo', 'greet'] }),
    ]);
    try {
      expect(Object.keys(set.tools)).toEqual(['alpha__echo', 'alpha__greet', 'beta__echo']);
      expect(set.servers.map((status) => status.id)).toEqual(['b', 'a']);
    } finally {
      await set.close();
    }
  });

  it('skips a disabled server and reports it as disabled', async () => {
    const set = await connectAll([http({ enabled: false })]);
    expect(set.tools).toEqual({});
    expect(set.servers).toEqual([
      { id: 'cfg-1', slug: 'myserver', status: 'disabled', toolNames: [] },
    ]);
    await set.close();
  });

  it('marks an invalid config failed with a message naming the field, and still connects the others', async () => {
    const set = await connectAll([
      { id: 'bad', slug: 'bad', transport: 'carrier-pigeon', url: server.url },
      http({ toolAllowList: ['echo'] }),
    ]);
    try {
      expect(set.servers[0]).toMatchObject({ id: 'bad', status: 'failed' });
      expect(set.servers[0]?.error).toContain('transport: must be one of');
      expect(Object.keys(set.tools)).toEqual(['myserver__echo']);
    } finally {
      await set.close();
    }
  });

  it('rejects only when configs is not an array', async () => {
    await expect(connectAll('nope' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects an unknown option by name instead of ignoring it, and takes a clock', async () => {
    await expect(connectAll([http()], { connectTimeoutMS: 5000 } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.connectTimeoutMS',
      message: expect.stringMatching(
        /^Invalid options.connectTimeoutMS: is not an option; .*clock$/,
      ),
    });
    await expect(connectAll([http()], null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options',
    });
    await using set = await connectAll([], { clock: new ManualClock() });
    expect(set.servers).toEqual([]);
  });

  it('marks two servers whose truncated names collide and suffixes both', async () => {
    const slug = 's'.repeat(65);
    const set = await connectAll([
      http({ id: 'one', slug, toolAllowList: ['echo'] }),
      http({ id: 'two', slug, toolAllowList: ['echo'] }),
    ]);
    try {
      const names = Object.keys(set.tools);
      expect(names).toHaveLength(2);
      for (const name of names) expect(name).toMatch(/^s{57}_[0-9a-f]{6}$/);
      expect(new Set(names).size).toBe(2);
      expect(set.collisions).toEqual([
        {
          name: 's'.repeat(64),
          tools: expect.arrayContaining([expect.objectContaining({ configId: 'one' })]),
        },
      ]);
      const [first, second] = names as [string, string];
      expect((await call(set, first, { message: 'a' })).text).toBe('echo: a');
      expect((await call(set, second, { message: 'b' })).text).toBe('echo: b');
    } finally {
      await set.close();
    }
  });

  it('orders tools deterministically, tie-broken by config id, and keeps suffixed names stable', async () => {
    const configs = [
      http({ id: 'z-id', slug: 'a__b', toolAllowList: ['echo'] }),
      http({ id: 'a-id', slug: 'a__b', toolAllowList: ['echo'] }),
    ];
    const first = await connectAll(configs);
    const second = await connectAll([...configs].reverse());
    try {
      expect(Object.keys(first.tools)).toEqual(Object.keys(second.tools));
      const collision = first.collisions[0];
      expect(collision?.tools.map((tool) => tool.configId)).toEqual(['a-id', 'z-id']);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('reports each tool with its config id and original name in metadata, annotations kept', async () => {
    const set = await connectAll([http({ toolAllowList: ['echo'] })]);
    try {
      expect(set.tools.myserver__echo?.metadata).toEqual({
        mcp: {
          configId: 'cfg-1',
          slug: 'myserver',
          toolName: 'echo',
          annotations: { readOnlyHint: true, title: 'Echo' },
        },
      });
      expect(set.tools.myserver__echo?.title).toBe('Echo');
    } finally {
      await set.close();
    }
  });

  it('exposes the input schema with its properties and a required list that is never null', async () => {
    const set = await connectAll([http({ toolAllowList: ['echo', 'fail'] })]);
    try {
      const echoSchema = await (
        set.tools.myserver__echo as unknown as { inputSchema: { jsonSchema: unknown } }
      ).inputSchema.jsonSchema;
      expect(echoSchema).toMatchObject({
        type: 'object',
        properties: { message: { type: 'string' } },
        required: ['message'],
      });
      const failSchema = await (
        set.tools.myserver__fail as unknown as { inputSchema: { jsonSchema: unknown } }
      ).inputSchema.jsonSchema;
      expect(failSchema).toMatchObject({ type: 'object', properties: {}, required: [] });
    } finally {
      await set.close();
    }
  });

  it('carries isError as an error result, never a thrown error', async () => {
    const set = await connectAll([http({ toolAllowList: ['fail'] })]);
    try {
      expect(await call(set, 'myserver__fail', {})).toMatchObject({
        isError: true,
        text: 'something broke',
      });
    } finally {
      await set.close();
    }
  });

  it('converts embedded resources, resource links, structured content, images and caps text', async () => {
    const set = await connectAll([http()], { maxResultBytes: 1000 });
    try {
      expect((await call(set, 'myserver__resource_text', {})).text).toBe('the notes');
      const blob = await call(set, 'myserver__resource_blob', {});
      expect(blob.media).toEqual([
        { type: 'image', data: expect.any(String), mediaType: 'image/png' },
      ]);
      expect((await call(set, 'myserver__resource_link', {})).text).toBe(
        '[resource: report (file:///report.pdf): the Q3 report]',
      );
      expect((await call(set, 'myserver__structured', {})).text).toBe('{"total":42}');
      const image = await call(set, 'myserver__image', {});
      expect(image).toMatchObject({ text: '', media: [{ type: 'image', mediaType: 'image/png' }] });
      const big = await call(set, 'myserver__big', {});
      expect(big.truncated).toBe(true);
      expect(Buffer.byteLength(big.text)).toBeLessThanOrEqual(1000);
      expect(big.text).toContain('[truncated: result was 10000 bytes, limit 1000]');
    } finally {
      await set.close();
    }
  });

  it('keeps a result within a cap smaller than the full marker, marker included', async () => {
    await using set = await connectAll([http({ toolAllowList: ['big'] })], { maxResultBytes: 20 });
    const big = await call(set, 'myserver__big', {});
    expect(big).toMatchObject({ truncated: true, text: 'xxxxxxxx\n[truncated]' });
  });

  it('sends MCP cancellation when the AI SDK aborts a call', async () => {
    const set = await connectAll([http({ toolAllowList: ['wait'] })]);
    try {
      const cancelled = events.nextCancel();
      const controller = new AbortController();
      const started = events.waitStarted;
      const running = call(
        set,
        'myserver__wait',
        {},
        { ...callOptions, abortSignal: controller.signal },
      );
      await vi.waitFor(() => expect(events.waitStarted).toBe(started + 1));
      controller.abort(new Error('user stopped'));
      await expect(running).rejects.toThrow('user stopped');
      await cancelled;
    } finally {
      await set.close();
    }
  });

  it('turns a call timeout on the clock into an error result and cancels the call', async () => {
    const clock = new ManualClock();
    const set = await connectAll([http({ toolAllowList: ['wait'] })], {
      clock,
      callTimeoutMs: 5000,
    });
    try {
      const cancelled = events.nextCancel();
      const started = events.waitStarted;
      const running = call(set, 'myserver__wait', {});
      await vi.waitFor(() => expect(events.waitStarted).toBe(started + 1));
      await clock.advance(5000);
      const output = await running;
      expect(output.isError).toBe(true);
      expect(output.text).toContain('timed out after 5000 ms');
      await cancelled;
    } finally {
      await set.close();
    }
  });

  it('never logs URL query strings or secret header values', async () => {
    const { logger, text } = recordingLogger();
    const set = await connectAll(
      [
        http({
          id: 'k',
          slug: 'k',
          authType: 'api-key',
          apiKeyHeader: 'X-API-Key',
          apiKeyValue: 'sekret-key-1',
          // No userinfo: validation would refuse it before anything is logged with the URL.
          url: 'http://127.0.0.1:1/mcp?token=abc',
        }),
        http({ id: 'c', slug: 'c', authType: 'custom-headers', customHeaders: '{not json' }),
      ],
      { logger },
    );
    await set.close();
    expect(set.servers[1]?.status).toBe('connected');
    expect(text()).toContain('http://127.0.0.1:1/mcp');
    expect(text()).not.toMatch(/sekret-key-1|token=abc/);
    expect(text()).toContain('customHeaders is not valid JSON');
  });
});

describe('connectAll over legacy SSE', () => {
  it('discovers and calls tools', async () => {
    const set = await connectAll([
      { id: 's', slug: 'sse', transport: 'sse', url: server.sseUrl, toolAllowList: ['echo'] },
    ]);
    try {
      expect(Object.keys(set.tools)).toEqual(['sse__echo']);
      expect((await call(set, 'sse__echo', { message: 'over sse' })).text).toBe('echo: over sse');
    } finally {
      await set.close();
    }
  });
});
