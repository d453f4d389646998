/*
 * Scenario benchmarks of @chatd/message-store, each beside a baseline measured in the same run
 * (the house rule: performance is reported only as a ratio against such a baseline).
 *
 * - Transitions/s at 1, 10 and 50 chats updated concurrently (each loop its own chat):
 *   `store.update(chatId, (chat) => chat.recordGenerationAttempt())` vs a bare
 *   `BEGIN; UPDATE chats … RETURNING *; COMMIT` of the same row on the same driver.
 * - Bulk insert: `store.update` + `commitStep` of 500 messages vs a raw
 *   `INSERT … SELECT FROM unnest($2::jsonb[])` of the same rows after the same snapshot bump.
 * - Statements per transition, counted at the driver.
 *
 * On real Postgres (TEST_DATABASE_URL, a throwaway database) and on in-memory PGlite. Writes
 * BENCHMARKS.md. Run: `pnpm bench` (or `../../node_modules/.bin/tsx bench/run.ts`) from the
 * package folder.
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { type MessageStore, openStore } from '@chatd/message-store';
import {
  countPgliteStatements,
  countPgStatements,
  type StatementLog,
} from '@chatd/message-store/testing';
import { PubSub } from '@chatd/pubsub';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  adminExec,
  dropDatabase,
  uniqueDatabaseName,
  urlForDatabase,
} from '../src/test-support/postgres-admin.js';

type Query = (text: string, params?: unknown[]) => Promise<unknown>;

/** Raw SQL for the baselines, on the same driver (and pool size) as the store. */
interface RawDb {
  transaction(fn: (query: Query) => Promise<void>): Promise<void>;
}

interface Row {
  scenario: string;
  chatd: string;
  baseline: string;
  ratio: string;
  target: string;
}

interface Measured {
  chatd: number;
  baseline: number;
}

/** What one driver's run produced. */
interface DriverResult {
  label: string;
  version: string;
  rows: Row[];
  sequences: Array<{ what: string; statements: string[] }>;
  poolQueries?: number;
}

const CONCURRENCIES = [1, 10, 50];
/** Each measured figure covers at least this many operations, on each side. */
const MIN_OPERATIONS = 2000;
const REPEATS = 5;
const MESSAGES_PER_STEP = 500;
/** commitSteps per measurement: 20 × 500 = 10,000 messages. */
const STEPS = 20;
const TARGETS = {
  Postgres: { transitions: 0.5, bulk: 0.75 },
  PGlite: { transitions: 0.35, bulk: 0.75 },
};

const BUMP_RETURNING =
  'UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1 RETURNING *';
const BUMP = 'UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1';
const RAW_INSERT = `INSERT INTO chat_messages (chat_id, role, content, input_tokens, output_tokens)
  SELECT $1::uuid, 'assistant', c, 100, 20 FROM unnest($2::jsonb[]) AS t(c)`;

const text = (length: number) => ({
  version: 1 as const,
  parts: [{ type: 'text' as const, text: 'x'.repeat(length) }],
});
// Distinct objects, as a model step produces them (one object shared by every message would
// flatter whichever side caches by identity or benefits from a hot object).
const stepMessages = Array.from({ length: MESSAGES_PER_STEP }, () => ({
  role: 'assistant' as const,
  content: text(200),
  usage: { inputTokens: 100, outputTokens: 20 },
}));

async function createChats(store: MessageStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const { chatId } = await store.createChat({
      ownerId: 'bench',
      messages: [{ role: 'user', content: text(20) }],
    });
    ids.push(chatId);
  }
  return ids;
}

/** Operations per second of `loops` concurrent loops, each running `perLoop` operations. */
async function rate(loops: number, perLoop: number, op: (loop: number) => Promise<unknown>) {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let index = 0; index < perLoop; index += 1) await op(loop);
    }),
  );
  return (loops * perLoop) / ((performance.now() - start) / 1000);
}

/**
 * One warm-up of each side, then `REPEATS` measurements alternating chatd and baseline (so
 * drift hits both); the best of each: the run least disturbed by other load.
 */
async function compare(
  chatd: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<Measured> {
  await chatd();
  await baseline();
  const best = { chatd: 0, baseline: 0 };
  for (let index = 0; index < REPEATS; index += 1) {
    best.chatd = Math.max(best.chatd, await chatd());
    best.baseline = Math.max(best.baseline, await baseline());
  }
  return best;
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

function row(
  scenario: string,
  measured: Measured,
  unit: string,
  baselineName: string,
  /** The least ratio that meets the target; none: the figure is only reported. */
  target?: number,
): Row {
  const ratio = measured.chatd / measured.baseline;
  return {
    scenario,
    chatd: `${format(measured.chatd)} ${unit}`,
    baseline: `${format(measured.baseline)} ${unit} (${baselineName})`,
    ratio: `${ratio.toFixed(2)}×`,
    target:
      target === undefined
        ? 'reported'
        : `≥ ${target.toFixed(2)}×: ${ratio >= target ? 'met' : '**missed**'}`,
  };
}

async function benchTransitions(
  label: keyof typeof TARGETS,
  store: MessageStore,
  raw: RawDb,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const concurrency of CONCURRENCIES) {
    const ids = await createChats(store, concurrency);
    const perLoop = Math.ceil(MIN_OPERATIONS / concurrency);
    const measured = await compare(
      () =>
        rate(concurrency, perLoop, (loop) =>
          store.update(ids[loop] as string, (chat) => chat.recordGenerationAttempt()),
        ),
      () =>
        rate(concurrency, perLoop, (loop) =>
          raw.transaction(async (query) => {
            await query(BUMP_RETURNING, [ids[loop]]);
          }),
        ),
    );
    console.log(`${label} transitions ×${concurrency}:`, measured);
    rows.push(
      row(
        `${label}: transitions, ${concurrency} concurrent chat${concurrency > 1 ? 's' : ''}`,
        measured,
        'transitions/s',
        'BEGIN; UPDATE … RETURNING *; COMMIT',
        TARGETS[label].transitions,
      ),
    );
  }
  return rows;
}

/**
 * The same transition with `pipelined: true` against without, one chat, one loop: what sending
 * the whole update at once (bump, write) instead of waiting for the bump saves per update.
 */
async function benchPipelined(store: MessageStore): Promise<Row> {
  const [chatId] = (await createChats(store, 1)) as [string];
  const transition = (pipelined: boolean) => () =>
    rate(1, MIN_OPERATIONS, () =>
      store.update(chatId, (chat) => chat.recordGenerationAttempt(), { pipelined }),
    );
  const measured = await compare(transition(true), transition(false));
  console.log('Postgres pipelined transitions:', measured);
  return row(
    'Postgres: transitions with `pipelined: true`, 1 chat',
    measured,
    'transitions/s',
    'the same transition without it',
  );
}

async function benchBulkInsert(
  label: keyof typeof TARGETS,
  store: MessageStore,
  raw: RawDb,
): Promise<Row> {
  // One chat for both sides: both insert into the same, equally growing history.
  const [chatId] = (await createChats(store, 1)) as [string];
  const steps = async (step: () => Promise<unknown>) => {
    const start = performance.now();
    for (let index = 0; index < STEPS; index += 1) await step();
    return (STEPS * MESSAGES_PER_STEP) / ((performance.now() - start) / 1000);
  };
  const measured = await compare(
    () => steps(() => store.update(chatId, (chat) => chat.commitStep({ messages: stepMessages }))),
    () =>
      steps(() =>
        raw.transaction(async (query) => {
          await query(BUMP, [chatId]);
          await query(RAW_INSERT, [
            chatId,
            stepMessages.map((message) => JSON.stringify(message.content)),
          ]);
        }),
      ),
  );
  console.log(`${label} bulk insert:`, measured);
  return row(
    `${label}: bulk insert, ${MESSAGES_PER_STEP} messages per commitStep`,
    measured,
    'messages/s',
    'bump + raw INSERT … SELECT FROM unnest($2::jsonb[])',
    TARGETS[label].bulk,
  );
}

/** Statements sent for one update of each kind (after one warm-up of the same kind). */
async function countTransitions(store: MessageStore, log: StatementLog) {
  const [attemptChat, stepChat, sendChat] = (await createChats(store, 3)) as [
    string,
    string,
    string,
  ];
  const kinds: Array<{ what: string; run: () => Promise<unknown> }> = [
    {
      what: 'recordGenerationAttempt',
      run: () => store.update(attemptChat, (chat) => chat.recordGenerationAttempt()),
    },
    {
      what: `commitStep (${MESSAGES_PER_STEP} messages)`,
      run: () => store.update(stepChat, (chat) => chat.commitStep({ messages: stepMessages })),
    },
    {
      what: 'sendMessage on a running chat (queued)',
      run: () =>
        store.update(sendChat, (chat) =>
          chat.sendMessage({ role: 'user', content: text(20), createdBy: 'bench' }),
        ),
    },
  ];
  const sequences: DriverResult['sequences'] = [];
  for (const kind of kinds) {
    await kind.run();
    sequences.push({ what: kind.what, statements: await log.during(kind.run) });
  }
  return sequences;
}

const DELTAS = 1000;
const DELTA_RATES = [100, 1000];
const DRAFT_TARGETS: Record<number, number> = { 100: 3, 1000: 25 };

/** A chat running its first generation attempt: the key of its episode. */
async function runningEpisode(store: MessageStore) {
  const [chatId] = (await createChats(store, 1)) as [string];
  const generationAttempt = await store.update(chatId, async (chat) => {
    await chat.acquire({ workerId: 'bench', runnerId: 'bench' });
    return chat.recordGenerationAttempt();
  });
  const { historyVersion } = await store.getChat(chatId);
  return { chatId, historyVersion, generationAttempt };
}

const deltaEnvelope = (seq: number) => ({
  seq,
  role: 'assistant' as const,
  part: { type: 'text-delta' as const, id: 't', delta: ` word${seq}` },
});

/**
 * Database writes for ${DELTAS} deltas appended at a steady rate: the draft writer (its default
 * 33 ms window) against one INSERT per delta on the same driver.
 */
async function benchDraftWrites(
  label: string,
  store: MessageStore,
  log: StatementLog,
  insertOne: (text: string, params: unknown[]) => Promise<unknown>,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const perSecond of DELTA_RATES) {
    const key = await runningEpisode(store);
    log.reset();
    const start = performance.now();
    for (let seq = 1; seq <= DELTAS; ) {
      const due = Math.min(
        DELTAS,
        Math.floor(((performance.now() - start) / 1000) * perSecond) + 1,
      );
      for (; seq <= due; seq += 1) store.drafts.append(key, [deltaEnvelope(seq)]);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await store.drafts.end(key);
    // Everything the driver saw while the writer ran: its INSERTs and nothing else.
    const drafts = log.statements.length;
    const written = await store.readDraft(key);
    if (written.length !== DELTAS) throw new Error(`drafts lost envelopes: ${written.length}`);

    const baselineKey = await runningEpisode(store);
    log.reset();
    for (let seq = 1; seq <= DELTAS; seq += 1) {
      await insertOne(
        `INSERT INTO chat_draft_batches (chat_id, history_version, generation_attempt, first_seq, last_seq, envelopes)
         VALUES ($1, $2, $3, $4, $4, $5)`,
        [
          baselineKey.chatId,
          baselineKey.historyVersion,
          baselineKey.generationAttempt,
          seq,
          JSON.stringify([deltaEnvelope(seq)]),
        ],
      );
    }
    const baseline = log.statements.length;
    const fewer = baseline / drafts;
    const target = DRAFT_TARGETS[perSecond] as number;
    console.log(`${label} draft writes at ${perSecond}/s:`, { drafts, baseline });
    rows.push({
      scenario: `${label}: database writes for ${DELTAS.toLocaleString('en-US')} deltas at ${perSecond.toLocaleString('en-US')}/s`,
      chatd: `${drafts} (draft writer, 33 ms window)`,
      baseline: `${baseline} (one INSERT per delta)`,
      ratio: `${fewer.toFixed(1)}× fewer`,
      target: `≥ ${target}× fewer: ${fewer >= target ? 'met' : '**missed**'}`,
    });
  }
  return rows;
}

function statementsRow(label: string, sequences: DriverResult['sequences']): Row {
  const count = (what: string) =>
    sequences.find((sequence) => sequence.what.startsWith(what))?.statements.length ?? Number.NaN;
  const attempt = count('recordGenerationAttempt');
  return {
    scenario: `${label}: statements per transition (BEGIN and COMMIT included)`,
    chatd: `recordGenerationAttempt ${attempt}; commitStep(${MESSAGES_PER_STEP}) ${count('commitStep')}; sendMessage (running) ${count('sendMessage')}`,
    baseline: '3 (BEGIN, UPDATE … RETURNING, COMMIT); bulk: 4 (BEGIN, bump, INSERT, COMMIT)',
    ratio: '–',
    target: `recordGenerationAttempt = 4: ${attempt === 4 ? 'met' : '**missed**'}`,
  };
}

async function benchPostgres(baseUrl: string): Promise<DriverResult> {
  const name = uniqueDatabaseName('test').replace('_test_', '_bench_');
  await adminExec(baseUrl, `CREATE DATABASE "${name}"`);
  const url = urlForDatabase(baseUrl, name);
  const pubsub = new PubSub();
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  const countedPool = new pg.Pool({ connectionString: url, max: 20 });
  // pool.end() resolves before its sockets close; dropping the database then ends them.
  pool.on('error', () => {});
  countedPool.on('error', () => {});
  const counted = countPgStatements(countedPool);
  let store: MessageStore | undefined;
  let countedStore: MessageStore | undefined;
  try {
    store = await openStore({ url, maxConnections: 20 }, { pubsub });
    const raw: RawDb = {
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await fn((text, params) => client.query(text, params));
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    };
    const { rows: versionRows } = await pool.query<{ server_version: string }>(
      'SHOW server_version',
    );
    const version = `PostgreSQL ${versionRows[0]?.server_version ?? 'unknown'}`;
    const rows = await benchTransitions('Postgres', store, raw);
    rows.push(await benchBulkInsert('Postgres', store, raw));
    // After the bulk insert: its 24,000 extra updates would otherwise be in the tables it reads.
    rows.push(await benchPipelined(store));

    countedStore = await openStore({ pool: countedPool }, { pubsub });
    const poolQueriesBefore = counted.poolQueries();
    const sequences = await countTransitions(countedStore, counted.log);
    // Of the transitions only: the draft writer's INSERTs go through pool.query by design.
    const poolQueries = counted.poolQueries() - poolQueriesBefore;
    rows.push(statementsRow('Postgres', sequences));
    rows.push(
      ...(await benchDraftWrites('Postgres', countedStore, counted.log, (text, params) =>
        countedPool.query(text, params),
      )),
    );
    return {
      label: 'Postgres',
      version,
      rows,
      sequences,
      poolQueries,
    };
  } finally {
    await countedStore?.close();
    await store?.close();
    await countedPool.end();
    await pool.end();
    await pubsub.close();
    await dropDatabase(baseUrl, name);
  }
}

async function benchPglite(): Promise<DriverResult> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite: PGlite = await PGlite.create();
  const pubsub = new PubSub();
  try {
    const store = await openStore({ pglite }, { pubsub });
    try {
      const raw: RawDb = {
        transaction: (fn) =>
          pglite.transaction((tx) => fn((text, params) => tx.query(text, params))),
      };
      const { rows: versionRows } = await pglite.query<{ version: string }>('SELECT version()');
      const version = versionRows[0]?.version.replace(/ on .*/, '') ?? 'unknown';
      const rows = await benchTransitions('PGlite', store, raw);
      rows.push(await benchBulkInsert('PGlite', store, raw));
      // Wrapped only now: the measurements above ran on the bare instance.
      const counted = countPgliteStatements(pglite);
      try {
        const sequences = await countTransitions(store, counted.log);
        rows.push(statementsRow('PGlite', sequences));
        rows.push(
          ...(await benchDraftWrites('PGlite', store, counted.log, (text, params) =>
            pglite.query(text, params),
          )),
        );
        return { label: 'PGlite (in memory)', version, rows, sequences };
      } finally {
        counted.restore();
      }
    } finally {
      await store.close();
    }
  } finally {
    await pubsub.close();
    await pglite.close();
  }
}

function markdown(results: DriverResult[], started: Date): string {
  const table = [
    '| scenario | chatd | baseline (what) | ratio | target |',
    '|---|---|---|---|---|',
    ...results.flatMap((result) =>
      result.rows.map(
        (r) => `| ${r.scenario} | ${r.chatd} | ${r.baseline} | ${r.ratio} | ${r.target} |`,
      ),
    ),
  ].join('\n');
  const sequences = results
    .flatMap((result) => [
      `- ${result.label}:`,
      ...result.sequences.map(
        (sequence) =>
          `  - ${sequence.what}: ${sequence.statements.length}: ${sequence.statements.map((s) => `\`${s}\``).join(', ')}`,
      ),
      ...(result.poolQueries === undefined
        ? []
        : [
            `  - of these, sent through \`pool.query\` (outside a transaction): ${result.poolQueries}`,
          ]),
    ])
    .join('\n');
  const cpu = cpus();
  return `# Benchmarks: @chatd/message-store

Generated by \`bench/run.ts\`; do not edit by hand. Run from the package folder:

\`\`\`sh
TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm bench
# or: ../../node_modules/.bin/tsx bench/run.ts
\`\`\`

Without \`TEST_DATABASE_URL\` only PGlite runs. Postgres runs in a throwaway database created
and dropped by the script.

Date: ${started.toISOString()}
Node: ${process.version}
CPU: ${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length}
${results.map((result) => `${result.label}: ${result.version}`).join('\n')}

## Method

Performance is reported only as a ratio against a baseline measured in the same run, on the
same driver. Each figure covers at least ${MIN_OPERATIONS.toLocaleString('en-US')} operations per side. After one warm-up of each
side, chatd and baseline are measured alternately ${REPEATS} times (so drift hits both); the best of
each is kept. The store runs from its build (\`dist/\`, which \`pnpm bench\` builds first), as an
application runs it, not through tsx's transform of the source.

- **Transitions**, at 1, 10 and 50 concurrent loops, each loop on its own chat and running
  ⌈${MIN_OPERATIONS} / loops⌉ operations:
  - chatd: \`store.update(chatId, (chat) => chat.recordGenerationAttempt())\` (input checks, row
    lock with snapshot bump, matrix checks before and after, the write, publish after commit);
  - baseline: \`BEGIN\`, \`${BUMP_RETURNING}\`, \`COMMIT\` on the same chats, as plain
    (unnamed) queries.
  - Postgres: the store is opened with \`{ url, maxConnections: 20 }\`, the baseline uses its own
    \`pg.Pool\` of 20. PGlite: the store is opened on an in-memory instance (\`{ pglite }\`), the
    baseline runs \`pglite.transaction\` on the same instance.
- **Pipelined transitions** (Postgres; PGlite ignores the option): the transition above on one
  chat, ${MIN_OPERATIONS.toLocaleString('en-US')} times in a row, with \`{ pipelined: true }\` against the same without: the
  callback runs against the chat as the store's previous update left it, so the bump and the
  write go out together (then COMMIT) instead of one after the other.
- **Bulk insert**, ${STEPS} steps of ${MESSAGES_PER_STEP} messages per measurement, one chat shared by both sides:
  - chatd: \`store.update\` + \`chat.commitStep({ messages })\` with ${MESSAGES_PER_STEP} assistant messages (one
    200-character text part, usage \`inputTokens\`/\`outputTokens\`), validated by the store;
  - baseline, in one transaction: \`${BUMP}\`, then
    \`${RAW_INSERT.replace(/\s+/g, ' ')}\`
    with the ${MESSAGES_PER_STEP} contents serialised by \`JSON.stringify\` in the loop.
  - The database's triggers (message revision, history version) fire on both sides.
- **Draft writes**: ${DELTAS} one-word deltas appended to one episode at a steady rate (100/s and
  1,000/s, paced on a 1 ms timer), then \`end\`; every \`INSERT\` the writer sent, counted at the
  driver (the run fails if any envelope is missing from the rows). Baseline: the same deltas
  written one \`INSERT\` per delta on the same driver (what a writer without batching sends;
  the count does not depend on the pace, so it runs unpaced).
- **Statements per transition**, counted at the driver for one update of each kind, after a
  warm-up of the same kind. Postgres: a store opened with \`{ pool }\` on a \`pg.Pool\` whose
  clients' \`query\` is wrapped on \`connect\` (\`pool.query\` is wrapped too; it runs on a pooled
  client, so it is counted once, there). PGlite: the instance's \`query\`, \`exec\` and
  \`transaction\` (BEGIN, each \`tx.query\` / \`tx.exec\`, COMMIT) are wrapped.

Targets (from the issue): transitions ≥ ${TARGETS.Postgres.transitions}× on Postgres and ≥ ${TARGETS.PGlite.transitions}× on PGlite at every
concurrency; bulk insert of ${MESSAGES_PER_STEP} messages per commitStep ≥ ${TARGETS.Postgres.bulk}× the raw \`unnest\` insert, on
both drivers.

## Results

${table}

Statements sent per update (named prepared statements by name, others by their first words):

${sequences}
`;
}

async function main(): Promise<void> {
  const started = new Date();
  const baseUrl = process.env.TEST_DATABASE_URL || undefined;
  const results: DriverResult[] = [];
  if (baseUrl === undefined) {
    console.warn('TEST_DATABASE_URL is unset: skipping the Postgres scenarios');
  } else {
    results.push(await benchPostgres(baseUrl));
  }
  results.push(await benchPglite());
  const output = markdown(results, started);
  console.log(output);
  await writeFile(new URL('../BENCHMARKS.md', import.meta.url), output);
}

await main();
