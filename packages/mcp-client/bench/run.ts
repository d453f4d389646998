/**
 * Benchmarks for @chatd/mcp-client. Run: `pnpm bench` (or `../../node_modules/.bin/tsx bench/run.ts`).
 * Every figure is measured beside its baseline in the same run, in alternating rounds after a
 * warm-up, against real MCP servers (the SDK's McpServer over Streamable HTTP on 127.0.0.1).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connectAll, McpClientPool, type McpToolSet } from '@chatd/mcp-client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type McpTestServer, startMcpTestServer } from '../src/test-support/mcp-test-server.js';
import { registerSampleTools } from '../src/test-support/sample-tools.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0
    ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
    : (sorted[middle] ?? 0);
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Per-request delay of the ten "remote" servers, modelling network and server time. */
const REMOTE_LATENCY_MS = 10;
const main = await startMcpTestServer({ setup: (mcp) => registerSampleTools(mcp) });
const servers: McpTestServer[] = [];
for (let index = 0; index < 10; index++) {
  servers.push(
    await startMcpTestServer({
      setup: (mcp) => registerSampleTools(mcp),
      latencyMs: REMOTE_LATENCY_MS,
    }),
  );
}
const config = (server: McpTestServer, id: string) => ({
  id,
  slug: id,
  url: server.url,
  toolAllowList: ['echo'],
});

// 1. Connect latency: a cold connectAll (new connection) against a pooled one (reused).
const pool = new McpClientPool();
const warm = await pool.connectAll([config(main, 'bench')]);
await warm.close();
for (let i = 0; i < 5; i++) await (await connectAll([config(main, 'bench')])).close();
const cold: number[] = [];
const pooled: number[] = [];
for (let round = 0; round < 40; round++) {
  cold.push(await time(async () => (await connectAll([config(main, 'bench')])).close()));
  pooled.push(await time(async () => (await pool.connectAll([config(main, 'bench')])).close()));
}
const coldMs = median(cold);
const pooledMs = median(pooled);

// 2. Tool-call overhead: the wrapped tool's execute against a bare SDK Client.callTool.
const set: McpToolSet = await pool.connectAll([config(main, 'bench')]);
const execute = set.tools.bench__echo?.execute;
if (!execute) throw new Error('bench__echo missing');
const bare = new Client({ name: 'bench', version: '1.0.0' });
await bare.connect(new StreamableHTTPClientTransport(new URL(main.url)));
const callOptions = { toolCallId: 'bench', messages: [] };
const wrappedCall = () => execute({ message: 'hello' }, callOptions) as Promise<unknown>;
// The same tool with an API key and identity forwarding: every request goes through the
// per-request header wrapper.
const headerSet: McpToolSet = await pool.connectAll(
  [
    {
      ...config(main, 'hdr'),
      authType: 'api-key',
      apiKeyHeader: 'X-API-Key',
      apiKeyValue: 'bench-key',
      forwardIdentityHeaders: true,
    },
  ],
  { identity: { ownerId: 'bench-user', chatId: 'bench-chat' } },
);
const headerExecute = headerSet.tools.hdr__echo?.execute;
if (!headerExecute) throw new Error('hdr__echo missing');
const headerCall = () => headerExecute({ message: 'hello' }, callOptions) as Promise<unknown>;
const bareCall = () => bare.callTool({ name: 'echo', arguments: { message: 'hello' } });
for (let i = 0; i < 200; i++) {
  await wrappedCall();
  await headerCall();
  await bareCall();
}
const wrappedRounds: number[] = [];
const headerRounds: number[] = [];
const bareRounds: number[] = [];
const CALLS_PER_ROUND = 25;
const CALL_ROUNDS = 80;
for (let round = 0; round < CALL_ROUNDS; round++) {
  const order =
    round % 2 === 0
      ? ([
          [wrappedCall, wrappedRounds],
          [headerCall, headerRounds],
          [bareCall, bareRounds],
        ] as const)
      : ([
          [bareCall, bareRounds],
          [headerCall, headerRounds],
          [wrappedCall, wrappedRounds],
        ] as const);
  for (const [fn, rounds] of order) {
    const elapsed = await time(async () => {
      for (let i = 0; i < CALLS_PER_ROUND; i++) await fn();
    });
    rounds.push(elapsed / CALLS_PER_ROUND);
  }
}
const wrappedMs = median(wrappedRounds);
const bareMs = median(bareRounds);
const headerMs = median(headerRounds);
await set.close();
await headerSet.close();
await bare.close();

// 3. Ten servers: one connectAll (parallel) against ten connectAll calls one after another.
const tenConfigs = servers.map((server, index) => config(server, `s${index}`));
const parallel: number[] = [];
const sequential: number[] = [];
for (let round = 0; round < 12; round++) {
  parallel.push(
    await time(async () => {
      const all = await connectAll(tenConfigs);
      if (all.servers.some((server) => server.status !== 'connected')) throw new Error('failed');
      await all.close();
    }),
  );
  sequential.push(
    await time(async () => {
      const sets: McpToolSet[] = [];
      for (const one of tenConfigs) sets.push(await connectAll([one]));
      await Promise.all(sets.map((one) => one.close()));
    }),
  );
}
const parallelMs = median(parallel.slice(2));
const sequentialMs = median(sequential.slice(2));

await pool.close();
await Promise.all([main, ...servers].map((server) => server.close()));

const fmt = (ms: number) => ms.toFixed(2);
const rows = [
  {
    scenario: 'connectAll, 1 server (ms, median of 40)',
    chatd: `${fmt(pooledMs)} (pooled)`,
    baseline: `${fmt(coldMs)} (cold connect: new connection, initialize, tools/list)`,
    ratio: pooledMs / coldMs,
    target: '≤ 0.25',
    met: pooledMs / coldMs <= 0.25,
  },
  {
    scenario: 'tool call, echo (ms per call, median of 80 rounds × 25)',
    chatd: `${fmt(wrappedMs)} (wrapped tool execute)`,
    baseline: `${fmt(bareMs)} (bare SDK Client.callTool, same server)`,
    ratio: wrappedMs / bareMs,
    target: '≤ 1.10',
    met: wrappedMs / bareMs <= 1.1,
  },
  {
    scenario: 'tool call with API key + identity headers (ms per call)',
    chatd: `${fmt(headerMs)} (wrapped, per-request headers)`,
    baseline: `${fmt(bareMs)} (bare SDK Client.callTool, no headers)`,
    ratio: headerMs / bareMs,
    target: '— (informational)',
    met: undefined,
  },
  {
    scenario: `connect 10 servers, ${REMOTE_LATENCY_MS} ms per request (ms, median of 10)`,
    chatd: `${fmt(parallelMs)} (one connectAll, in parallel)`,
    baseline: `${fmt(sequentialMs)} (one after another)`,
    ratio: parallelMs / sequentialMs,
    target: '≤ 0.5',
    met: parallelMs / sequentialMs <= 0.5,
  },
];
const table = [
  '| scenario | chatd | baseline (what) | ratio | target | met? |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.scenario} | ${row.chatd} | ${row.baseline} | ${row.ratio.toFixed(2)} | ${row.target} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`,
  ),
].join('\n');
console.log(table);

const cpuList = cpus();
writeFileSync(
  new URL('../BENCHMARKS.md', import.meta.url),
  `# @chatd/mcp-client benchmarks

Run from \`packages/mcp-client\`: \`pnpm bench\` (or \`../../node_modules/.bin/tsx bench/run.ts\`;
needs \`@chatd/core\` built). Servers are the MCP SDK's \`McpServer\` over Streamable HTTP on
127.0.0.1, in the same process as the client. Each figure is measured beside its baseline in the
same run, in alternating rounds after a warm-up. This file is rewritten by the run.

- Date: ${new Date().toISOString()}
- Node: ${process.version}
- CPU: ${cpuList[0]?.model.trim() ?? 'unknown'} × ${cpuList.length} cores

${table}

What the scenarios measure:
- **connectAll**: wall time of \`connectAll\` + \`close()\` for one server. Cold builds a private
  pool and opens a new connection (HTTP session, \`initialize\`, paginated \`tools/list\`) each
  time; pooled reuses the connection that \`McpClientPool\` kept from the previous turn, so only
  the tool wrappers are rebuilt.
- **tool call**: the wrapped tool's \`execute\` (deadline on the clock, per-request auth and
  identity headers, result conversion) against \`Client.callTool\` on a second, bare SDK client
  connected to the same server. Target: within 10%. A config without auth or identity
  forwarding skips the per-request header wrapper; the informational row measures it (API key
  and identity headers computed for every request).
- **connect 10 servers**: ten distinct servers that wait ${REMOTE_LATENCY_MS} ms before answering each
  HTTP request (a stand-in for network and server time; in-process servers otherwise share the
  client's two cores, which hides the gain), one \`connectAll\` with all ten configs against ten
  \`connectAll\` calls one after another (the first two rounds are warm-up).
`,
);
