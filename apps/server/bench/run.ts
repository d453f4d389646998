/*
 * Benchmarks of the reference server (`chatd-server`), each figure beside a bare AI SDK server
 * measured in the same run (the house rule: a ratio against a baseline, or a difference where
 * the target is one).
 *
 * Four processes: this one (the clients and the bookkeeping), the fake model
 * (`fake-model.mjs`), the bare server (`bare-server.mjs`: Fastify + `streamText` +
 * `pipeUIMessageStreamToResponse`, no persistence) and chatd's built server
 * (`node dist/main.js`), the last three started as children with plain `node`, so each
 * server's CPU and memory can be read from /proc for its own pid and nothing else.
 *
 * - Tokens/s delivered to the clients at 50 concurrent streams (closed loop, a new chat per
 *   stream, the model streaming 200 one-token deltas with no delay); CPU ms per 1,000 tokens
 *   of the server process over the same rounds.
 * - Time to first token (request sent → first text delta at the client) and last token →
 *   stream closed, on a paced model (first token after 20 ms, then one every 1 ms), one stream
 *   at a time, so the figures are latency and not queueing.
 * - Idle RSS after start and a warm-up.
 *
 * chatd is measured through `POST /api/chat` (the AI SDK's UI message stream, as the bare
 * server speaks it) and through `POST /v1/chats` + `GET /v1/chats/:id/stream`; on embedded
 * PGlite and, with TEST_DATABASE_URL, on Postgres (a throwaway database). Writes
 * BENCHMARKS.md. Run from the package folder: `pnpm bench` (builds the server and its
 * dependencies first; `--no-build` uses dist/ as it is; `--cpu-prof` writes V8 CPU profiles
 * of both servers instead of BENCHMARKS.md).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, type IncomingMessage, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import pg from 'pg';

const TOKENS = 200;
/** Concurrent streams of the throughput rounds. */
const STREAMS = 50;
/** Turns each stream runs, one after the other, per throughput round (50 × 4 = 200 turns). */
const TURNS_PER_STREAM = 4;
/** Throughput rounds per target, alternating bare → chatd /api/chat → chatd /v1. */
const ROUNDS = 3;
/** The paced model of the latency rounds. */
const PACED = { firstTokenMs: 20, tokenIntervalMs: 1 };
/** A model's own pace for the load at pace: 50 tokens a second per stream, as hosted models stream. */
const MODEL_PACE = { firstTokenMs: 20, tokenIntervalMs: 20 };
/** Rounds of the load at a model's pace: each stream runs one turn (200 tokens, about 4 s). */
const MODEL_PACE_ROUNDS = 2;
/** One stream at a time: chatd's CPU per token is high enough that more would queue. */
const LATENCY_STREAMS = 1;
const LATENCY_TURNS_PER_STREAM = 60;
const LATENCY_ROUNDS = 2;
/** Quiet time before RSS is read, so the servers are idle. */
const IDLE_MS = 3000;
/** Durable one-row commits timed back to back on Postgres (see `commitProbes`). */
const COMMIT_PROBES = 200;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const TARGETS = { throughput: 0.8, cpu: 1.25, firstTokenAddedMs: 3, tailMs: 5 };

const serverDir = fileURLToPath(new URL('..', import.meta.url));
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Child processes

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Resident memory of a process, in MB. */
function processRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

/** A child process started with plain `node`, ready once its stdout matched a pattern. */
class Child {
  readonly label: string;
  readonly #process: ChildProcess;
  /** The last lines of output, for the error when it fails. */
  readonly #output: string[] = [];
  #stopping = false;

  private constructor(label: string, child: ChildProcess) {
    this.label = label;
    this.#process = child;
  }

  static async start(
    label: string,
    args: string[],
    env: Record<string, string>,
    ready: RegExp,
    { timeoutMs = 120_000 } = {},
  ): Promise<{ child: Child; match: RegExpExecArray }> {
    const spawned = spawn(process.execPath, args, {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = new Child(label, spawned);
    children.add(child);
    let seen = '';
    let started = false;
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(child.#failure(`did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        child.#remember(text);
        if (started) return;
        seen += text;
        const found = ready.exec(seen);
        if (found !== null) {
          started = true;
          clearTimeout(timer);
          resolve(found);
        }
      };
      // Both pipes keep draining for the child's whole life, so it never blocks on a full pipe.
      spawned.stdout?.on('data', onData);
      spawned.stderr?.on('data', (chunk: Buffer) => child.#remember(chunk.toString()));
      spawned.once('exit', (code, signal) => {
        clearTimeout(timer);
        const failure = child.#failure(`exited (${code ?? signal})`);
        // Before it was ready this fails the start; afterwards only stop() may end it, so say
        // so at once (the requests to it will fail next).
        reject(failure);
        if (started && !child.#stopping) console.error(`bench: ${failure.message}`);
      });
    });
    return { child, match };
  }

  get pid(): number {
    return this.#process.pid as number;
  }

  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  rssMb(): number {
    return processRssMb(this.pid);
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. Idempotent. */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    children.delete(this);
    const child = this.#process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  #remember(text: string): void {
    this.#output.push(...text.split('\n').filter((line) => line.trim() !== ''));
    this.#output.splice(0, Math.max(0, this.#output.length - 40));
  }

  #failure(what: string): Error {
    return new Error(`${this.label} ${what}:\n${this.#output.join('\n')}`);
  }
}

/** Every child still running: all are stopped at the end, on failure and on Ctrl-C too. */
const children = new Set<Child>();
/** Temp folders and databases to remove at the end. */
const cleanups: Array<() => Promise<unknown>> = [];

async function cleanUp(): Promise<void> {
  await Promise.allSettled([...children].map((child) => child.stop()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping the servers`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/**
 * With `--cpu-prof`, the servers write V8 CPU profiles (one per server start, on exit) into a
 * folder that is kept and printed at the end: to see where the time goes.
 */
const profileDir = process.argv.includes('--cpu-prof')
  ? join(tmpdir(), `chatd-server-bench-profiles-${process.pid}`)
  : undefined;

function profileArgs(name: string): string[] {
  return profileDir === undefined
    ? []
    : [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
      ];
}

async function startFakeModel(): Promise<{ child: Child; url: string }> {
  const { child, match } = await Child.start(
    'fake model',
    [join(benchDir, 'fake-model.mjs')],
    { FAKE_TOKENS: String(TOKENS) },
    /listening (\d+)/,
  );
  return { child, url: `http://127.0.0.1:${match[1]}` };
}

async function startBare(fakeUrl: string): Promise<{ child: Child; url: string }> {
  const { child, match } = await Child.start(
    'bare server',
    [...profileArgs('bare'), join(benchDir, 'bare-server.mjs')],
    { FAKE_MODEL_URL: `${fakeUrl}/v1`, NODE_ENV: 'production' },
    /listening (\d+)/,
  );
  return { child, url: `http://127.0.0.1:${match[1]}` };
}

async function startChatd(
  fakeUrl: string,
  databaseUrl: string | undefined,
): Promise<{ child: Child; url: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chatd-server-bench-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const { child, match } = await Child.start(
    'chatd server',
    [...profileArgs('chatd'), join(serverDir, 'dist/main.js')],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      CHATD_DATA_DIR: dataDir,
      CHATD_ADMIN_TOKEN: ADMIN_TOKEN,
      // Required with Postgres (it seals stored provider keys); any value will do here.
      CHATD_SECRET_KEY: randomBytes(48).toString('base64'),
      OPENAI_COMPATIBLE_BASE_URL: `${fakeUrl}/v1`,
      OPENAI_COMPATIBLE_MODELS: 'bench',
      // The bare server logs nothing either; warnings and errors still show.
      LOG_LEVEL: 'warn',
      // The bare server has no rate limit; one user creating chats this fast would hit chatd's.
      CHATD_RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: 'production',
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
    },
    /chatd is running at (http:\/\/[^\s]+)/,
  );
  return { child, url: match[1] as string };
}

// ---------------------------------------------------------------------------------------------
// Clients

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  token?: string;
}

function send({ method, url, body, token }: HttpCall): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = request(url, {
      method,
      agent,
      headers: {
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    });
    outgoing.setTimeout(60_000, () => outgoing.destroy(new Error(`${method} ${url} timed out`)));
    outgoing.once('response', resolve);
    outgoing.once('error', reject);
    outgoing.end(payload);
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk;
  return text;
}

async function postJson(call: HttpCall): Promise<{ status: number; body: unknown }> {
  const response = await send(call);
  const text = await readAll(response);
  return { status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * Reads a Server-Sent Events response, calling `onData` with each event's `data` and the time
 * it was read; ends when the response does or `onData` returns true (the stream is then
 * closed by this side). Resolves with the time it ended.
 */
async function readEvents(
  call: HttpCall,
  onData: (data: string, at: number) => boolean | undefined,
): Promise<number> {
  const response = await send(call);
  if (response.statusCode !== 200) {
    throw new Error(
      `${call.method} ${call.url}: ${response.statusCode} ${await readAll(response)}`,
    );
  }
  response.setEncoding('utf8');
  try {
    return await readBlocks(response, onData);
  } catch (error) {
    response.destroy();
    throw error;
  }
}

async function readBlocks(
  response: IncomingMessage,
  onData: (data: string, at: number) => boolean | undefined,
): Promise<number> {
  let pending = '';
  for await (const chunk of response) {
    const at = performance.now();
    pending += chunk;
    let end = pending.indexOf('\n\n');
    while (end !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ') && onData(line.slice(6), at) === true) {
          response.destroy();
          return at;
        }
      }
      end = pending.indexOf('\n\n');
    }
  }
  return performance.now();
}

/** What the client saw of one turn. */
interface Turn {
  /** Model tokens received as text (`tok` words), however the deltas were cut. */
  tokens: number;
  /** Request sent → first text at the client. */
  firstTokenMs: number;
  /** Last text at the client → end of the turn (response end, or the `waiting` event). */
  tailMs: number;
  /** The text came (partly) as the committed message, not as live deltas. */
  viaMessage: boolean;
  /** The mark in the prompt by which the fake model reports when it was called. */
  marker: string;
  /** Wall-clock ms (sub-ms precision, comparable across processes) of the request… */
  sentWall: number;
  /** …and of the first text at the client. */
  firstWall: number;
}

/** Wall-clock ms of a `performance.now()` time, comparable with the fake model's. */
const wall = (at: number) => performance.timeOrigin + at;

const countTokens = (text: string) => text.split('tok').length - 1;

let turnCounter = 0;

/** One turn through the AI SDK's UI message stream protocol (bare server or chatd). */
async function uiTurn(url: string, token: string | undefined): Promise<Turn> {
  turnCounter += 1;
  const marker = `m${turnCounter}`;
  const body = {
    id: `bench-${process.pid}-${turnCounter}`,
    messages: [
      {
        id: `user-${turnCounter}`,
        role: 'user',
        parts: [{ type: 'text', text: `Say tok #${marker}` }],
      },
    ],
  };
  const sent = performance.now();
  let first: number | undefined;
  let last = sent;
  let tokens = 0;
  const ended = await readEvents(
    { method: 'POST', url: `${url}/api/chat`, body, ...(token === undefined ? {} : { token }) },
    (data, at) => {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as { type: string; delta?: string };
      if (chunk.type === 'text-delta') {
        tokens += countTokens(chunk.delta ?? '');
        first ??= at;
        last = at;
      }
      if (chunk.type === 'error') throw new Error(`stream error: ${data}`);
    },
  );
  return {
    tokens,
    firstTokenMs: (first ?? ended) - sent,
    tailMs: ended - last,
    viaMessage: false,
    marker,
    sentWall: wall(sent),
    firstWall: wall(first ?? ended),
  };
}

interface V1Event {
  type: string;
  status?: string;
  part?: { type: string; delta?: string };
  message?: { role: string; content: { parts: Array<{ type: string; text?: string }> } };
}

/** One turn through chatd's own API: create the chat, then read its stream until `waiting`. */
async function v1Turn(url: string, { title }: { title?: string } = {}): Promise<Turn> {
  turnCounter += 1;
  const marker = `m${turnCounter}`;
  const sent = performance.now();
  const created = await postJson({
    method: 'POST',
    url: `${url}/v1/chats`,
    body: { content: `Say tok #${marker}`, ...(title === undefined ? {} : { title }) },
    token: ADMIN_TOKEN,
  });
  if (created.status !== 201) throw new Error(`POST /v1/chats: ${JSON.stringify(created)}`);
  const chatId = (created.body as { id: string }).id;
  let first: number | undefined;
  let last = sent;
  let tokens = 0;
  let viaMessage = false;
  const ended = await readEvents(
    { method: 'GET', url: `${url}/v1/chats/${chatId}/stream`, token: ADMIN_TOKEN },
    (data, at) => {
      const event = JSON.parse(data) as V1Event;
      if (event.type === 'message-part' && event.part?.type === 'text-delta') {
        tokens += countTokens(event.part.delta ?? '');
        first ??= at;
        last = at;
      } else if (event.type === 'message' && event.message?.role === 'assistant' && tokens === 0) {
        // The turn was committed before the stream connected: its text comes as the message.
        viaMessage = true;
        for (const part of event.message.content.parts) tokens += countTokens(part.text ?? '');
        first ??= at;
        last = at;
      } else if (event.type === 'status' && event.status === 'waiting') {
        return true;
      } else if (event.type === 'status' && event.status === 'error') {
        throw new Error(`chat ${chatId} ended in error`);
      }
      return undefined;
    },
  );
  return {
    tokens,
    firstTokenMs: (first ?? ended) - sent,
    tailMs: ended - last,
    viaMessage,
    marker,
    sentWall: wall(sent),
    firstWall: wall(first ?? ended),
  };
}

// ---------------------------------------------------------------------------------------------
// Rounds

/** One way of streaming a reply, served by one process. */
interface Target {
  name: string;
  server: Child;
  turn: () => Promise<Turn>;
  /** Turns run so far. */
  served: number;
  /** Extra processes whose CPU is reported beside the server's (Postgres backends). */
  extraCpuMs?: () => Promise<Map<number, number>>;
}

interface Round {
  tokens: number;
  turns: Turn[];
  wallMs: number;
  cpuMs: number;
  clientCpuMs: number;
  extraCpuMs: number | undefined;
}

async function runRound(target: Target, streams: number, turnsPerStream: number): Promise<Round> {
  const extraBefore = await target.extraCpuMs?.();
  const cpuBefore = target.server.cpuMs();
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  const turns: Turn[] = [];
  target.served += streams * turnsPerStream;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      for (let index = 0; index < turnsPerStream; index += 1) turns.push(await target.turn());
    }),
  );
  const wallMs = performance.now() - start;
  const cpuMs = target.server.cpuMs() - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  let extraCpuMs: number | undefined;
  if (extraBefore !== undefined && target.extraCpuMs !== undefined) {
    const after = await target.extraCpuMs();
    extraCpuMs = 0;
    for (const [pid, ms] of after) extraCpuMs += ms - (extraBefore.get(pid) ?? 0);
  }
  const tokens = turns.reduce((sum, turn) => sum + turn.tokens, 0);
  const expected = streams * turnsPerStream * TOKENS;
  if (tokens !== expected) {
    throw new Error(`${target.name}: the clients received ${tokens} tokens, not ${expected}`);
  }
  return {
    tokens,
    turns,
    wallMs,
    cpuMs,
    clientCpuMs: (client.user + client.system) / 1000,
    extraCpuMs,
  };
}

async function setModelPace(
  fakeUrl: string,
  pace: { firstTokenMs: number; tokenIntervalMs: number },
) {
  const { status } = await postJson({ method: 'POST', url: `${fakeUrl}/control`, body: pace });
  if (status !== 200) throw new Error(`fake model control: ${status}`);
}

/** Per marker: when the fake model was called and wrote its first token (wall-clock ms). */
async function modelTimings(fakeUrl: string): Promise<Record<string, [number, number | null]>> {
  const { body } = await postJson({ method: 'POST', url: `${fakeUrl}/timings` });
  return body as Record<string, [number, number | null]>;
}

/** A turn's wait for its first token, split at the model: until it was called, after its first token. */
interface Split {
  untilModelCalledMs: number;
  afterModelFirstTokenMs: number;
}

function splits(turns: Turn[], timings: Record<string, [number, number | null]>): Split[] {
  return turns.flatMap((turn) => {
    const timing = timings[turn.marker];
    if (timing === undefined || timing[1] === null || turn.viaMessage) return [];
    return [
      {
        untilModelCalledMs: timing[0] - turn.sentWall,
        afterModelFirstTokenMs: turn.firstWall - timing[1],
      },
    ];
  });
}

async function modelStats(fakeUrl: string): Promise<{ streamed: number; titles: number }> {
  const { body } = await postJson({ method: 'POST', url: `${fakeUrl}/stats` });
  return body as { streamed: number; titles: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
const median = (values: number[]) => quantile(values, 0.5);
const p99 = (values: number[]) => quantile(values, 0.99);

// ---------------------------------------------------------------------------------------------
// One database

interface Row {
  scenario: string;
  chatd: string;
  baseline: string;
  result: string;
  target: string;
}

/** Counters of the bench database in `pg_stat_database`. */
interface DatabaseWork {
  transactions: number;
  inserted: number;
  updated: number;
  deleted: number;
}

interface DatabaseResult {
  label: string;
  version: string;
  rows: Row[];
  notes: string[];
  /** Where the time goes, from this run's figures. */
  findings: string[];
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
/** A difference, signed. */
const added = (value: number) => `${value < 0 ? '−' : '+'}${ms(Math.abs(value))}`;
const verdict = (met: boolean) => (met ? 'met' : '**missed**');

/** Postgres backends of one database: pid → CPU ms so far (local server only). */
function postgresCpu(pool: pg.Pool, database: string): () => Promise<Map<number, number>> {
  return async () => {
    const { rows } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return new Map(rows.map(({ pid }) => [pid, processCpuMs(pid)]));
  };
}

/** What the commit probes timed on the bench database (see {@link commitProbes}). */
interface CommitTimes {
  /** Durable one-row commits, one after the other. */
  backToBack: number[];
  /** Step-shaped commits, each after {@link REPLY_MS} without statements. */
  afterReply: number[];
}

/**
 * How long a paced reply streams: the database connection that commits its step has been idle
 * that long.
 */
const REPLY_MS = PACED.firstTokenMs + TOKENS * PACED.tokenIntervalMs;
/** Step-shaped commits timed after a reply's idle time (one reply's length each). */
const STEP_COMMIT_PROBES = 100;

/**
 * Times, on the bench database, what a commit costs here, the floor under any reply that ends
 * only once its step is committed:
 * - `COMMIT_PROBES` durable one-row commits back to back (autocommit INSERTs into a scratch
 *   table): waiting for the write-ahead log to reach the disk;
 * - `STEP_COMMIT_PROBES` commits shaped like chatd's step (BEGIN, an `UPDATE … RETURNING` of one
 *   row, the insert of a reply-sized JSON row, COMMIT, sent together on a pipelining connection,
 *   as the store sends them), each after {@link REPLY_MS} without statements, as at the end of a
 *   paced reply. On the machines these runs use, a statement after a pause costs several times
 *   what it costs back to back, whatever runs it.
 */
async function commitProbes(databaseUrl: string): Promise<CommitTimes> {
  const client = new pg.Client({ connectionString: databaseUrl, pipeline: true });
  await client.connect();
  const reply = JSON.stringify({
    version: 1,
    parts: [{ type: 'text', text: 'tok'.repeat(TOKENS) }],
  });
  const backToBack: number[] = [];
  const afterReply: number[] = [];
  try {
    await client.query('CREATE TABLE bench_commit_probe (id integer)');
    await client.query('CREATE TABLE bench_step_probe (id integer PRIMARY KEY, version bigint)');
    await client.query('CREATE TABLE bench_step_message (id serial PRIMARY KEY, content jsonb)');
    await client.query('INSERT INTO bench_step_probe VALUES (1, 0)');
    for (let index = 0; index < COMMIT_PROBES; index += 1) {
      const start = performance.now();
      await client.query('INSERT INTO bench_commit_probe VALUES ($1)', [index]);
      backToBack.push(performance.now() - start);
    }
    for (let index = 0; index < STEP_COMMIT_PROBES; index += 1) {
      await sleep(REPLY_MS);
      const start = performance.now();
      await Promise.all([
        client.query('BEGIN'),
        client.query({
          name: 'bench_step_bump',
          text: 'UPDATE bench_step_probe SET version = version + 1 WHERE id = 1 RETURNING *',
        }),
        client.query({
          name: 'bench_step_insert',
          text: 'INSERT INTO bench_step_message (content) VALUES ($1::jsonb) RETURNING id',
          values: [reply],
        }),
        client.query('COMMIT'),
      ]);
      afterReply.push(performance.now() - start);
    }
  } finally {
    await client.query(
      'DROP TABLE IF EXISTS bench_commit_probe, bench_step_probe, bench_step_message',
    );
    await client.end();
  }
  return { backToBack, afterReply };
}

async function runOn(
  label: string,
  fakeUrl: string,
  databaseUrl: string | undefined,
): Promise<DatabaseResult> {
  console.log(`\n== ${label}`);
  await setModelPace(fakeUrl, { firstTokenMs: 0, tokenIntervalMs: 0 });
  const bare = await startBare(fakeUrl);
  const chatd = await startChatd(fakeUrl, databaseUrl);
  await sleep(IDLE_MS);
  const rssAtStart = { chatd: chatd.child.rssMb(), bare: bare.child.rssMb() };

  let extraCpuMs: (() => Promise<Map<number, number>>) | undefined;
  let databaseWork: (() => Promise<DatabaseWork>) | undefined;
  let commitProbe: (() => Promise<CommitTimes>) | undefined;
  let version = 'PGlite (embedded, in the server process)';
  if (databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const database = new URL(databaseUrl).pathname.slice(1);
    version = ((await pool.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '').split(
      ' on ',
    )[0] as string;
    const probe = await postgresCpu(pool, database)();
    // Only when the server runs on this machine can its backends' CPU be read.
    if ([...probe.keys()].some((pid) => existsSync(`/proc/${pid}/stat`))) {
      extraCpuMs = postgresCpu(pool, database);
    }
    databaseWork = async () => {
      const { rows } = await pool.query<Record<keyof DatabaseWork, string>>(
        `SELECT xact_commit AS transactions, tup_inserted AS inserted, tup_updated AS updated,
                tup_deleted AS deleted
           FROM pg_stat_database WHERE datname = $1`,
        [database],
      );
      const row = rows[0];
      return {
        transactions: Number(row?.transactions),
        inserted: Number(row?.inserted),
        updated: Number(row?.updated),
        deleted: Number(row?.deleted),
      };
    };
    commitProbe = () => commitProbes(databaseUrl);
  }
  const workBefore = await databaseWork?.();

  const targets: Target[] = [
    { name: 'bare', server: bare.child, turn: () => uiTurn(bare.url, undefined), served: 0 },
    {
      name: '/api/chat',
      server: chatd.child,
      turn: () => uiTurn(chatd.url, ADMIN_TOKEN),
      served: 0,
      ...(extraCpuMs === undefined ? {} : { extraCpuMs }),
    },
    {
      name: '/v1',
      server: chatd.child,
      turn: () => v1Turn(chatd.url),
      served: 0,
      ...(extraCpuMs === undefined ? {} : { extraCpuMs }),
    },
  ];

  // The same turns, each chat created with a title: chatd asks no model for one.
  const titled: Target = {
    name: '/v1 titled',
    server: chatd.child,
    turn: () => v1Turn(chatd.url, { title: 'Given' }),
    served: 0,
  };
  const loadTargets = [...targets, titled];

  // Warm-up: the JIT, the connection pools and the agent's sockets.
  for (const target of loadTargets) await runRound(target, STREAMS, 1);
  await sleep(IDLE_MS);
  const rssIdle = { chatd: chatd.child.rssMb(), bare: bare.child.rssMb() };
  console.log('idle RSS after warm-up', rssIdle);

  const titlesBefore = (await modelStats(fakeUrl)).titles;
  const load = new Map<string, Round[]>(loadTargets.map((target) => [target.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const target of loadTargets) {
      const result = await runRound(target, STREAMS, TURNS_PER_STREAM);
      load.get(target.name)?.push(result);
      console.log(
        `${target.name} round ${round + 1}: ${(result.tokens / (result.wallMs / 1000)).toFixed(0)} tokens/s, ` +
          `${((result.cpuMs / result.tokens) * 1000).toFixed(1)} CPU ms/1k tokens`,
      );
    }
  }
  const chatTurns = ROUNDS * STREAMS * TURNS_PER_STREAM * 2;
  const titleCalls = (await modelStats(fakeUrl)).titles - titlesBefore;

  // The same load with the model streaming at its own pace: each token arrives on its own, as
  // from a hosted model, so every part costs its own reads, writes and bookkeeping.
  await setModelPace(fakeUrl, MODEL_PACE);
  const atPace = new Map<string, Round[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < MODEL_PACE_ROUNDS; round += 1) {
    for (const target of targets) {
      const result = await runRound(target, STREAMS, 1);
      atPace.get(target.name)?.push(result);
      console.log(
        `${target.name} at the model's pace, round ${round + 1}: ${(result.tokens / (result.wallMs / 1000)).toFixed(0)} tokens/s, ` +
          `${((result.cpuMs / result.tokens) * 1000).toFixed(1)} CPU ms/1k tokens`,
      );
    }
  }

  await setModelPace(fakeUrl, PACED);
  await modelTimings(fakeUrl);
  const paced = new Map<string, Turn[]>(targets.map((target) => [target.name, []]));
  const pacedSplits = new Map<string, Split[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < LATENCY_ROUNDS; round += 1) {
    for (const target of targets) {
      const result = await runRound(target, LATENCY_STREAMS, LATENCY_TURNS_PER_STREAM);
      paced.get(target.name)?.push(...result.turns);
      const roundSplits = splits(result.turns, await modelTimings(fakeUrl));
      pacedSplits.get(target.name)?.push(...roundSplits);
      console.log(
        `${target.name} paced round ${round + 1}: first token median ${median(result.turns.map((turn) => turn.firstTokenMs)).toFixed(2)} ms ` +
          `(until the model was called ${median(roundSplits.map((split) => split.untilModelCalledMs)).toFixed(2)} ms, ` +
          `p90 ${quantile(
            roundSplits.map((split) => split.untilModelCalledMs),
            0.9,
          ).toFixed(2)} ms; ` +
          `after its first token ${median(roundSplits.map((split) => split.afterModelFirstTokenMs)).toFixed(2)} ms, ` +
          `p90 ${quantile(
            roundSplits.map((split) => split.afterModelFirstTokenMs),
            0.9,
          ).toFixed(2)} ms)`,
      );
    }
  }
  await setModelPace(fakeUrl, { firstTokenMs: 0, tokenIntervalMs: 0 });
  await sleep(IDLE_MS);
  const rssAtEnd = { chatd: chatd.child.rssMb(), bare: bare.child.rssMb() };

  await chatd.child.stop();
  await bare.child.stop();
  // Backends flush their statistics when they exit (a busy one only about once a second).
  await sleep(1000);
  const workAfter = await databaseWork?.();
  // After the counters are read, so its commits are not counted as chatd's.
  const commits = await commitProbe?.();

  // Throughput and CPU: the best round of each (the one least disturbed by other load).
  const best = (name: string) => {
    const rounds = load.get(name) ?? [];
    const rate = Math.max(...rounds.map((round) => round.tokens / (round.wallMs / 1000)));
    const cpu = Math.min(...rounds.map((round) => (round.cpuMs / round.tokens) * 1000));
    const client = Math.min(...rounds.map((round) => (round.clientCpuMs / round.tokens) * 1000));
    const extras = rounds.flatMap((round) =>
      round.extraCpuMs === undefined
        ? []
        : [((round.cpuMs + round.extraCpuMs) / round.tokens) * 1000],
    );
    const withDatabase = extras.length === 0 ? undefined : Math.min(...extras);
    const turns = rounds.flatMap((round) => round.turns);
    return { rate, cpu, client, withDatabase, turns };
  };
  const bestCpuAtPace = (name: string) =>
    Math.min(...(atPace.get(name) ?? []).map((round) => (round.cpuMs / round.tokens) * 1000));
  const baseline = best('bare');
  const baselineAtPace = bestCpuAtPace('bare');
  const bareFirst = median((paced.get('bare') ?? []).map((turn) => turn.firstTokenMs));
  const bareTails = (paced.get('bare') ?? []).map((turn) => turn.tailMs);
  const bareSplits = pacedSplits.get('bare') ?? [];
  const bareUntil = median(bareSplits.map((split) => split.untilModelCalledMs));
  const bareAfter = median(bareSplits.map((split) => split.afterModelFirstTokenMs));
  const rows: Row[] = [];
  const notes: string[] = [];
  const findings: string[] = [];
  for (const name of ['/api/chat', '/v1'] as const) {
    const route =
      name === '/api/chat' ? '`POST /api/chat`' : '`POST /v1/chats` + `GET /v1/chats/:id/stream`';
    const measured = best(name);
    const throughput = measured.rate / baseline.rate;
    const cpu = measured.cpu / baseline.cpu;
    const pacedTurns = paced.get(name) ?? [];
    const first = median(pacedTurns.map((turn) => turn.firstTokenMs));
    const tails = pacedTurns.map((turn) => turn.tailMs);
    const routeSplits = pacedSplits.get(name) ?? [];
    const until = median(routeSplits.map((split) => split.untilModelCalledMs));
    const after = median(routeSplits.map((split) => split.afterModelFirstTokenMs));
    const flush =
      commits === undefined
        ? ''
        : ` On Postgres that commit is a round trip to the database and a wait for its write-ahead log to reach the disk: a durable one-row commit took ${ms(median(commits.backToBack))} back to back (median; p99 ${ms(p99(commits.backToBack))}), and a step-shaped commit after ${REPLY_MS} ms without statements, as at the end of a paced reply, ${ms(median(commits.afterReply))} (p99 ${ms(p99(commits.afterReply))}) on this database in this run, a floor the bare server never pays; above it chatd adds about ${ms(Math.max(0, median(tails) - median(bareTails) - median(commits.afterReply)))} over bare.`;
    rows.push(
      {
        scenario: `${route}: tokens/s delivered, ${STREAMS} concurrent streams (best of ${ROUNDS} rounds of ${STREAMS * TURNS_PER_STREAM} turns)`,
        chatd: `${measured.rate.toFixed(0)} tokens/s`,
        baseline: `${baseline.rate.toFixed(0)} tokens/s`,
        result: `${throughput.toFixed(2)}×`,
        target: `≥ ${TARGETS.throughput.toFixed(2)}×: ${verdict(throughput >= TARGETS.throughput)}`,
      },
      {
        scenario: `${route}: server CPU per 1,000 tokens (same rounds, best)`,
        chatd: ms(measured.cpu),
        baseline: ms(baseline.cpu),
        result: `${cpu.toFixed(2)}×`,
        target: `≤ ${TARGETS.cpu.toFixed(2)}×: ${verdict(cpu <= TARGETS.cpu)}`,
      },
      {
        scenario: `${route}: server CPU per 1,000 tokens at the model's pace (${STREAMS} streams of ${1000 / MODEL_PACE.tokenIntervalMs} tokens/s; best of ${MODEL_PACE_ROUNDS} rounds of ${STREAMS} turns)`,
        chatd: ms(bestCpuAtPace(name)),
        baseline: ms(baselineAtPace),
        result: `${(bestCpuAtPace(name) / baselineAtPace).toFixed(2)}×`,
        target: `≤ ${TARGETS.cpu.toFixed(2)}×: ${verdict(bestCpuAtPace(name) / baselineAtPace <= TARGETS.cpu)}`,
      },
      {
        scenario: `${route}: time to first token, median of ${pacedTurns.length} paced turns`,
        chatd: ms(first),
        baseline: ms(bareFirst),
        result: added(first - bareFirst),
        target: `≤ bare + ${TARGETS.firstTokenAddedMs} ms: ${verdict(first - bareFirst <= TARGETS.firstTokenAddedMs)}`,
      },
      {
        scenario: `${route}: … of which request sent → model called / model's first token → client, medians`,
        chatd: `${ms(until)} / ${ms(after)}`,
        baseline: `${ms(bareUntil)} / ${ms(bareAfter)}`,
        result: `${added(until - bareUntil)} / ${added(after - bareAfter)}`,
        target: 'reported',
      },
      {
        scenario: `${route}: last token → stream closed, median / p99 of ${pacedTurns.length} paced turns`,
        chatd: `${ms(median(tails))} / ${ms(p99(tails))}`,
        baseline: `${ms(median(bareTails))} / ${ms(p99(bareTails))}`,
        result: `${ms(median(tails))} / ${ms(p99(tails))}`,
        target: `≤ ${TARGETS.tailMs} ms: median ${verdict(median(tails) <= TARGETS.tailMs)}, p99 ${verdict(p99(tails) <= TARGETS.tailMs)}`,
      },
      {
        scenario: `${route}: under load (the ${STREAMS}-stream rounds), time to first token / last token → closed, medians`,
        chatd: `${ms(median(measured.turns.map((turn) => turn.firstTokenMs)))} / ${ms(median(measured.turns.map((turn) => turn.tailMs)))}`,
        baseline: `${ms(median(baseline.turns.map((turn) => turn.firstTokenMs)))} / ${ms(median(baseline.turns.map((turn) => turn.tailMs)))}`,
        result: `${added(median(measured.turns.map((turn) => turn.firstTokenMs)) - median(baseline.turns.map((turn) => turn.firstTokenMs)))} / ${ms(median(measured.turns.map((turn) => turn.tailMs)))}`,
        target: 'reported',
      },
    );
    if (measured.withDatabase !== undefined) {
      rows.push({
        scenario: `${route}: CPU per 1,000 tokens, server + its Postgres backends`,
        chatd: ms(measured.withDatabase),
        baseline: `${ms(baseline.cpu)} (no database)`,
        result: `${(measured.withDatabase / baseline.cpu).toFixed(2)}×`,
        target: 'reported',
      });
    }
    const late = [...measured.turns, ...pacedTurns].filter((turn) => turn.viaMessage).length;
    if (late > 0) {
      notes.push(
        `${route}: in ${late} of ${measured.turns.length + pacedTurns.length} turns the reply was already committed when the stream connected, so its text came as the committed message (counted as delivered; its arrival is the first and last token).`,
      );
    }
    const slow = routeSplits.filter((split) => split.untilModelCalledMs > 500).length;
    const slowSplits = routeSplits.filter((split) => split.untilModelCalledMs > 500);
    const slowMedian = median(slowSplits.map((split) => split.untilModelCalledMs));
    findings.push(
      `${route}: of the ${added(first - bareFirst)} to the first token, ${added(until - bareUntil)} are before the model is called (the request, creating the chat, the worker picking it up, building the prompt) and ${added(after - bareAfter)} after the model's first token (medians of the paced turns).${
        slowSplits.length === 0
          ? ''
          : ` ${slowSplits.length} of ${routeSplits.length} paced turns waited over 500 ms for the model call (median ${ms(slowMedian)})${
              slowMedian > 900 && slowMedian < 1300
                ? ": about the worker's acquisition interval (1 s), so those chats were picked up by its poll, not by the wake-up when they were created"
                : ''
            }.`
      }`,
      `${route}: last token → stream closed ${ms(median(tails))} against ${ms(median(bareTails))}: chatd ends the reply (\`finish\` + \`[DONE]\`, or the \`waiting\` event) once the step is committed and the turn has ended in the database; the bare server ends it when the model's stream ends.${flush}`,
    );
    notes.push(
      `${route}, paced turns: request sent → model called p90 ${ms(
        quantile(
          routeSplits.map((split) => split.untilModelCalledMs),
          0.9,
        ),
      )} (bare ${ms(
        quantile(
          bareSplits.map((split) => split.untilModelCalledMs),
          0.9,
        ),
      )}); ${slow} of ${routeSplits.length} waited over 500 ms for the model call.`,
      `${route}: the clients (this process) used ${ms(measured.client)} CPU per 1,000 tokens (bare: ${ms(baseline.client)}).`,
    );
  }
  // `/v1` chats are created without a title, so each makes a title call; `/v1 titled` ones do not.
  const withTitleCall = best('/v1');
  const withoutTitleCall = best('/v1 titled');
  rows.push({
    scenario: `\`POST /v1/chats\` with a title (no title call) + stream: tokens/s / server CPU per 1,000 tokens (the load rounds, best)`,
    chatd: `${withoutTitleCall.rate.toFixed(0)} tokens/s / ${ms(withoutTitleCall.cpu)}`,
    baseline: `${baseline.rate.toFixed(0)} tokens/s / ${ms(baseline.cpu)}`,
    result: `${(withoutTitleCall.rate / baseline.rate).toFixed(2)}× / ${(withoutTitleCall.cpu / baseline.cpu).toFixed(2)}×`,
    target: 'reported',
  });
  findings.push(
    `The title call: a chat created without a title costs a second model call (a short non-streaming reply) once its first step is committed. Created with a title, \`/v1\` turns took ${ms(withoutTitleCall.cpu)} of server CPU per 1,000 tokens instead of ${ms(withTitleCall.cpu)} (${(((withTitleCall.cpu - withoutTitleCall.cpu) / withTitleCall.cpu) * 100).toFixed(0)}% less); \`CHATD_TITLE_MODEL\` points titles at a cheaper model or turns them off.`,
  );
  if (workBefore !== undefined && workAfter !== undefined) {
    const chatdTurns = loadTargets
      .filter((target) => target.name !== 'bare')
      .reduce((sum, target) => sum + target.served, 0);
    const per = (key: keyof DatabaseWork) =>
      ((workAfter[key] - workBefore[key]) / chatdTurns).toFixed(1);
    rows.push({
      scenario: `Postgres work per chatd turn (all ${chatdTurns} turns of the run, \`pg_stat_database\`)`,
      chatd: `${per('transactions')} transactions (each autocommit statement counts, reads included); rows: ${per('inserted')} inserted, ${per('updated')} updated, ${per('deleted')} deleted`,
      baseline: 'none',
      result: '–',
      target: 'reported',
    });
  }
  if (commits !== undefined) {
    rows.push(
      {
        scenario: `A durable one-row commit on this Postgres (\`INSERT\`, autocommit, from the bench), back to back, median / p99 of ${commits.backToBack.length}: the disk's share of last token → stream closed`,
        chatd: `${ms(median(commits.backToBack))} / ${ms(p99(commits.backToBack))}`,
        baseline: 'none (no database)',
        result: '–',
        target: 'reported',
      },
      {
        scenario: `A step-shaped commit on this Postgres (BEGIN, \`UPDATE … RETURNING\`, a reply-sized \`INSERT\`, COMMIT, sent together) after ${REPLY_MS} ms without statements, as at the end of a paced reply, median / p99 of ${commits.afterReply.length}: the floor under last token → stream closed`,
        chatd: `${ms(median(commits.afterReply))} / ${ms(p99(commits.afterReply))}`,
        baseline: 'none (no database)',
        result: '–',
        target: 'reported',
      },
    );
  }
  rows.push(
    {
      scenario: 'Idle RSS after start and warm-up',
      chatd: `${rssIdle.chatd.toFixed(1)} MB`,
      baseline: `${rssIdle.bare.toFixed(1)} MB`,
      result: `${(rssIdle.chatd / rssIdle.bare).toFixed(2)}× (+${(rssIdle.chatd - rssIdle.bare).toFixed(1)} MB)`,
      target: 'reported',
    },
    {
      scenario: 'RSS right after start / idle at the end of the run',
      chatd: `${rssAtStart.chatd.toFixed(1)} / ${rssAtEnd.chatd.toFixed(1)} MB`,
      baseline: `${rssAtStart.bare.toFixed(1)} / ${rssAtEnd.bare.toFixed(1)} MB`,
      result: `${(rssAtEnd.chatd / rssAtEnd.bare).toFixed(2)}× at the end`,
      target: 'reported',
    },
  );
  notes.push(
    `Title calls: chatd asked the model for a title for ${titleCalls} of the ${chatTurns} chats the measured rounds created (a non-streaming 3-word reply, included in chatd's CPU).`,
  );
  return { label, version, rows, notes, findings };
}

// ---------------------------------------------------------------------------------------------
// Report

function table(rows: Row[]): string {
  return [
    '| Scenario | chatd | Bare AI SDK server | Result | Target |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.scenario} | ${row.chatd} | ${row.baseline} | ${row.result} | ${row.target} |`,
    ),
  ].join('\n');
}

/** Builds the server and the packages it depends on, so dist/ matches the source. */
async function build(): Promise<void> {
  console.log('building the server and its dependencies…');
  const args = ['--filter', '@chatd/server...', 'run', 'build'];
  // Under `pnpm bench`, npm_execpath is pnpm's own script; otherwise pnpm from PATH.
  const pnpm = process.env.npm_execpath;
  const [command, commandArgs] =
    pnpm !== undefined && /\.c?js$/.test(pnpm)
      ? [process.execPath, [pnpm, ...args]]
      : ['pnpm', args];
  const child = spawn(command, commandArgs, { cwd: repoRoot, stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the build failed (${code})`);
}

/**
 * What a CPU profile of both servers under this load showed. Not measured by every run: it
 * comes from \`pnpm bench --cpu-prof\` and is updated by hand when the code changes enough.
 */
const PROFILE = `## Where the CPU goes (V8 profile)

From \`pnpm bench --cpu-prof\` on 2026-12-05 at commit 188f2a9 (the rounds as above;
the figures below are of later code, with fewer statements per turn and, on PGlite, prepared
statements, so the database's share is smaller now than this profile shows; and the store then
tracked its transactions with an AsyncLocalStorage, whose promise hooks, counted under
"runtime", cost about 16% of the server's CPU under load until the server turned it off with
\`ambientTransactions: false\`): V8's sampling profiler in each server process, idle time
left out, each sample's self time given to the nearest package on its stack (Node internals and
native calls such as \`writev\` to their caller, or to "runtime" when there is none; the HTTP
parser's WASM and Fastify are counted with the runtime).

| Share of busy CPU | chatd on PGlite | chatd on Postgres | bare |
| --- | --- | --- | --- |
| Database: PGlite (WASM + JS) / \`pg\`, \`pg-protocol\`, \`pg-pool\` | 41% | 14% | – |
| AI SDK path: \`ai\`, \`@ai-sdk/*\`, \`zod\`, \`eventsource-parser\` | 20% | 30% | 46% |
| chatd's packages and the server (chatd, message-store, messagepartbuffer, pubsub, core, apps/server) | 9% | 11% | – |
| Runtime and HTTP: socket writes (\`writev\`), garbage collection, microtasks, Node's HTTP parser, Fastify | 30% (writes 6%, GC 8%) | 45% (writes 16%, GC 10%) | 54% (writes 10–11%, GC 10–11%) |

In CPU per 1,000 tokens the AI SDK path costs chatd about what it costs the bare server; what
chatd adds is the database (PGlite in-process, or the \`pg\` driver and about 23 statements or
transactions per turn on Postgres: the "Postgres work per chatd turn" row below), more socket
writes (the database protocol beside the streams) and its own bookkeeping. The earlier profile,
before the cuts, gave the database 52% on PGlite and 22% on Postgres. On PGlite the database
also explains most of the memory: its WASM Postgres lives in the server process.`;

/** The commit benchmarked, and whether the code under test had uncommitted changes. */
function revision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repoRoot }).toString().trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'packages/*/src', 'apps/server/src');
    return dirty === '' ? commit : `${commit} plus uncommitted changes in the working tree`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) await build();
  const code = revision();
  const startedAt = new Date();
  const loadBefore = loadavg();
  const fake = await startFakeModel();
  const results: DatabaseResult[] = [];
  results.push(await runOn('Embedded PGlite', fake.url, undefined));
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const database: TestDatabase = await createTestDatabase(serverUrl);
    cleanups.push(() => database.drop());
    results.push(await runOn('Postgres', fake.url, database.url));
  }
  const loadAfter = loadavg();
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const report = `# Benchmarks: @chatd/server

Generated by \`bench/run.ts\`; do not edit by hand. Run from this folder:

\`\`\`sh
TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm bench
\`\`\`

It builds the server and its dependencies first (\`--no-build\` skips that).
Without \`TEST_DATABASE_URL\` only embedded PGlite runs; Postgres runs in a throwaway database
that is dropped at the end. It is not part of \`pnpm test\`.

Date: ${startedAt.toISOString()}
Code: ${code}
Node: ${process.version}
CPU: ${cpu} × ${cpus().length} (shared: load average ${loadBefore.map((value) => value.toFixed(2)).join(' ')} at the start, ${loadAfter.map((value) => value.toFixed(2)).join(' ')} at the end)
${results.map((result) => `${result.label}: ${result.version}`).join('\n')}

## Method

Every chatd figure sits beside the same figure of a **bare AI SDK server** measured in the same
run, on the same machine and the same model: Fastify 5 with one route, \`POST /api/chat\` →
\`streamText({ model, messages: await convertToModelMessages(body.messages) })\` →
\`result.pipeUIMessageStreamToResponse(reply.raw)\` (reply hijacked), no auth, no persistence
(\`bench/bare-server.mjs\`).

- **Processes.** The fake model, the bare server and chatd's built server (\`node dist/main.js\`,
  \`LOG_LEVEL=warn\`, \`CHATD_RATE_LIMIT_PER_MINUTE=0\` (the bare server has neither a request log
  nor a rate limit), admin token from \`CHATD_ADMIN_TOKEN\`, the model from
  \`OPENAI_COMPATIBLE_BASE_URL\`/\`OPENAI_COMPATIBLE_MODELS\`) are child processes of the bench,
  all started with plain \`node\` (no loader), on free ports. The clients run in the bench
  process. CPU is each server process's utime + stime from \`/proc/<pid>/stat\` before and after
  a round; RSS is \`VmRSS\` from \`/proc/<pid>/status\`. Only one server is under load at a time.
- **Model.** \`bench/fake-model.mjs\`, an OpenAI-compatible chat-completions server in its own
  process (so the clients' parsing never delays its tokens and its CPU is in neither server's
  count). Every streamed reply is ${TOKENS} one-token deltas (\`tok\`); a non-streaming request
  (chatd's title call for a new chat) gets a 3-word title. *Instant*: the whole reply in one
  write. *Paced*: first token ${PACED.firstTokenMs} ms after the request, then one every
  ${PACED.tokenIntervalMs} ms.
- **A turn.** \`/api/chat\` (bare and chatd): \`POST /api/chat\` with a new client chat id and one
  user message, read to the end of the response (after \`data: [DONE]\`). \`/v1\` (chatd):
  \`POST /v1/chats\` (new chat; no title given, as \`/api/chat\` gives none), then
  \`GET /v1/chats/:id/stream\`, read until the \`waiting\` status event, then closed. Tokens are
  counted in the text the client receives, so a reply that arrives in fewer, larger deltas
  still counts in full; each turn must deliver all ${TOKENS}.
- **Tokens/s and CPU.** ${STREAMS} streams at once, each running ${TURNS_PER_STREAM} turns one after
  the other (${STREAMS * TURNS_PER_STREAM} turns, ${(STREAMS * TURNS_PER_STREAM * TOKENS).toLocaleString('en-US')} tokens per round), instant model. Tokens/s:
  tokens received by the clients over the round's wall time. CPU: the server process's CPU
  over the round, per 1,000 tokens. After a warm-up round of ${STREAMS} turns per target,
  ${ROUNDS} rounds per target, alternating bare → chatd \`/api/chat\` → chatd \`/v1\` → chatd
  \`/v1\` with a title given at creation (no title call) so drift hits them all; each figure is the best round of its target (the one least disturbed by
  other work on the machine). On PGlite the database runs inside chatd's process, so its CPU
  is counted; on Postgres the database's CPU is reported in a separate row (the backends of
  the bench database, read from \`/proc\` before and after the round; a backend that exits
  during the round is missed).
- **CPU at the model's pace.** The same ${STREAMS} streams, one turn each, with the model
  streaming as a hosted one does: first token after ${MODEL_PACE.firstTokenMs} ms, then one
  every ${MODEL_PACE.tokenIntervalMs} ms (${1000 / MODEL_PACE.tokenIntervalMs} tokens/s per
  stream). Each token then arrives, is handled and is written on its own, where the instant
  model's reply arrives in a few reads. Tokens/s is the model's pace here, so only CPU per
  1,000 tokens is compared; best of ${MODEL_PACE_ROUNDS} rounds per target.
- **Latency.** Paced model, ${LATENCY_STREAMS === 1 ? 'one stream at a time' : `${LATENCY_STREAMS} concurrent streams`}, ${LATENCY_ROUNDS} alternating rounds of
  ${LATENCY_STREAMS * LATENCY_TURNS_PER_STREAM} turns per target, so the figures show the
  path and not a queue. Time to first token: request sent → first text at the client (for
  \`/v1\` the request is \`POST /v1/chats\`); result: chatd's median minus bare's. It is split
  at the model: the fake model records when each request (marked in its prompt) arrived and
  when it wrote the first token, in wall-clock time with sub-millisecond precision, so the
  wait divides into *request sent → model called* and *model's first token → client*. Last
  token → stream closed: the client's time from the last text it received to the end of the
  response (\`/api/chat\`) or to the \`waiting\` event (\`/v1\`); median and p99. The same two
  figures under the ${STREAMS}-stream load are reported too (queueing included). On Postgres
  the bench also times commits of its own on the bench database after the servers stopped:
  chatd ends a reply only once its step is committed, so a commit's time is a floor under
  chatd's figure that depends on the machine, not on chatd. ${COMMIT_PROBES} durable one-row
  commits back to back show what waiting for the write-ahead log to reach the disk costs;
  ${STEP_COMMIT_PROBES} commits shaped like chatd's step (BEGIN, an \`UPDATE … RETURNING\`, the
  insert of a reply-sized JSON row and COMMIT, sent together on a pipelining connection as the
  store sends them), each after ${REPLY_MS} ms without statements as at the end of a paced
  reply, show what the same commit costs when it comes after a pause, as a reply's does: on the
  machines these runs use, a statement after a pause costs several times what it costs back to
  back.
- **Database work** (Postgres): \`pg_stat_database\` counters of the bench database from before
  the warm-up to after chatd stopped, divided by all turns chatd served in the run.
- **Idle RSS.** After start and the warm-up, ${IDLE_MS / 1000} s without requests.

${PROFILE}

${results
  .map(
    (result) =>
      `## ${result.label}\n\n${table(result.rows)}\n\n${result.notes.map((note) => `- ${note}`).join('\n')}\n\nWhere the time goes:\n\n${result.findings.map((finding) => `- ${finding}`).join('\n')}`,
  )
  .join('\n\n')}
`;
  if (profileDir !== undefined) {
    // A profiled run is slower than a plain one: its figures do not go into BENCHMARKS.md.
    console.log(report);
    console.log(`CPU profiles in ${profileDir}`);
    return;
  }
  await writeFile(join(serverDir, 'BENCHMARKS.md'), report);
  console.log(report);
}

try {
  await main();
} finally {
  agent.destroy();
  await cleanUp();
}
