/*
 * Scenario benchmarks of @chatd/message-store, each beside a same-run baseline:
 *
 * - transitions/s for 1, 10 and 50 chats updated concurrently: `store.update` running one
 *   `recordGenerationAttempt` vs a bare `BEGIN; UPDATE … RETURNING; COMMIT` of the same row.
 * - bulk message insert: `store.update` + `commitStep` of 500 messages vs one raw
 *   `INSERT … SELECT FROM unnest(…)` of the same rows in a transaction with the snapshot bump.
 *
 * On real Postgres (TEST_DATABASE_URL, a throwaway database) and on in-memory PGlite.
 * Run: `pnpm bench` (or `../../node_modules/.bin/tsx bench/run.ts`) from the package folder.
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { PubSub } from '@chatd/pubsub';
import type { PGlite } from '@electric-sql/pglite';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { chats, type MessageStore, openStore } from '../src/index.js';
import { insertMessages } from '../src/queries/insert-messages.js';
import {
  adminExec,
  dropDatabase,
  uniqueDatabaseName,
  urlForDatabase,
} from '../src/test-support/postgres-admin.js';

interface Row {
  scenario: string;
  chatd: number;
  baseline: number;
  baselineName: string;
  unit: string;
}

/** Runs raw SQL for baselines: a pg pool or the PGlite instance. */
interface RawDb {
  query(text: string, params?: unknown[]): Promise<unknown>;
  transaction<T>(
    fn: (query: (text: string, params?: unknown[]) => Promise<unknown>) => Promise<T>,
  ): Promise<T>;
}

const MESSAGES_PER_STEP = 500;
const OPERATIONS_PER_MEASUREMENT = 250;
const content = { version: 1 as const, parts: [{ type: 'text' as const, text: 'x'.repeat(200) }] };

async function createChats(store: MessageStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const { chatId } = await store.createChat({
      ownerId: 'bench',
      messages: [{ role: 'user', content }],
    });
    ids.push(chatId);
  }
  return ids;
}

/** Operations per second of `loops` concurrent loops, each doing `perLoop` operations. */
async function rate(loops: number, perLoop: number, op: (loop: number) => Promise<void>) {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let index = 0; index < perLoop; index += 1) await op(loop);
    }),
  );
  return (loops * perLoop) / ((performance.now() - start) / 1000);
}

/** Best of `repeats` runs after one warm-up: the least disturbed by other load. */
async function best(repeats: number, measure: () => Promise<number>): Promise<number> {
  await measure();
  let top = 0;
  for (let index = 0; index < repeats; index += 1) top = Math.max(top, await measure());
  return top;
}

async function benchDatabase(label: string, store: MessageStore, raw: RawDb): Promise<Row[]> {
  const rows: Row[] = [];
  for (const concurrency of [1, 10, 50]) {
    const ids = await createChats(store, concurrency);
    // About the same number of operations per measurement whatever the concurrency.
    const perLoop = Math.ceil(OPERATIONS_PER_MEASUREMENT / concurrency);
    const chatd = await best(2, () =>
      rate(concurrency, perLoop, async (loop) => {
        await store.update(ids[loop] as string, async (chat) => {
          await chat.recordGenerationAttempt();
        });
      }),
    );
    const baseline = await best(2, () =>
      rate(concurrency, perLoop, async (loop) => {
        await raw.transaction((query) =>
          query(
            'UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1 RETURNING *',
            [ids[loop]],
          ),
        );
      }),
    );
    rows.push({
      scenario: `${label}: transitions, ${concurrency} concurrent chat${concurrency > 1 ? 's' : ''}`,
      chatd,
      baseline,
      baselineName: 'bare UPDATE … RETURNING in a transaction',
      unit: 'transitions/s',
    });
  }

  const [chatId] = await createChats(store, 1);
  const messages = Array.from({ length: MESSAGES_PER_STEP }, () => ({
    role: 'assistant' as const,
    content,
    usage: { inputTokens: 100, outputTokens: 20 },
  }));
  const steps = 6;
  const chatd = await best(2, async () => {
    const start = performance.now();
    for (let index = 0; index < steps; index += 1) {
      await store.update(chatId as string, (chat) => chat.commitStep({ messages }));
    }
    return (steps * MESSAGES_PER_STEP) / ((performance.now() - start) / 1000);
  });
  const json = JSON.stringify(content);
  const baseline = await best(2, async () => {
    const start = performance.now();
    for (let index = 0; index < steps; index += 1) {
      await raw.transaction(async (query) => {
        await query('UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1', [
          chatId,
        ]);
        await query(
          `INSERT INTO chat_messages (chat_id, role, content, input_tokens, output_tokens)
           SELECT $1::uuid, 'assistant', c, 100, 20 FROM unnest($2::jsonb[]) AS t(c)`,
          [chatId, messages.map(() => json)],
        );
      });
    }
    return (steps * MESSAGES_PER_STEP) / ((performance.now() - start) / 1000);
  });
  // The database layer alone (what commitStep calls after its state checks): bump + insert.
  const { db } = store.context;
  const layer = await best(2, async () => {
    const start = performance.now();
    for (let index = 0; index < steps; index += 1) {
      await db.transaction(async (tx) => {
        await tx
          .update(chats)
          .set({ snapshotVersion: sql`${chats.snapshotVersion} + 1` })
          .where(eq(chats.id, chatId as string));
        await insertMessages(
          tx,
          messages.map((message) => ({ ...message, chatId: chatId as string })),
        );
      });
    }
    return (steps * MESSAGES_PER_STEP) / ((performance.now() - start) / 1000);
  });
  rows.push({
    scenario: `${label}: bulk message insert, database layer only (insertMessages)`,
    chatd: layer,
    baseline,
    baselineName: 'raw INSERT … SELECT FROM unnest in a transaction',
    unit: 'messages/s',
  });
  rows.push({
    scenario: `${label}: bulk message insert (${MESSAGES_PER_STEP} per commitStep)`,
    chatd,
    baseline,
    baselineName: 'raw INSERT … SELECT FROM unnest in a transaction',
    unit: 'messages/s',
  });
  return rows;
}

async function benchPostgres(baseUrl: string): Promise<Row[]> {
  const name = uniqueDatabaseName('test').replace('_test_', '_bench_');
  await adminExec(baseUrl, `CREATE DATABASE "${name}"`);
  const url = urlForDatabase(baseUrl, name);
  const pubsub = new PubSub();
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  // pool.end() resolves before its sockets close; dropping the database then ends them.
  pool.on('error', () => {});
  const store = await openStore({ url, maxConnections: 20 }, { pubsub });
  try {
    const raw: RawDb = {
      query: (text, params) => pool.query(text, params),
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn((text, params) => client.query(text, params));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    };
    return await benchDatabase('Postgres', store, raw);
  } finally {
    await store.close();
    await pool.end();
    await pubsub.close();
    await dropDatabase(baseUrl, name);
  }
}

async function benchPglite(): Promise<Row[]> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite: PGlite = await PGlite.create();
  const pubsub = new PubSub();
  const store = await openStore({ pglite }, { pubsub });
  try {
    const raw: RawDb = {
      query: (text, params) => pglite.query(text, params),
      transaction: (fn) => pglite.transaction((tx) => fn((text, params) => tx.query(text, params))),
    };
    return await benchDatabase('PGlite', store, raw);
  } finally {
    await store.close();
    await pubsub.close();
    await pglite.close();
  }
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

async function main(): Promise<void> {
  const baseUrl = process.env.TEST_DATABASE_URL || undefined;
  const rows: Row[] = [];
  if (baseUrl === undefined) {
    console.warn('TEST_DATABASE_URL is unset: skipping the Postgres scenarios');
  } else {
    rows.push(...(await benchPostgres(baseUrl)));
  }
  rows.push(...(await benchPglite()));

  const table = [
    '| scenario | chatd | baseline (what) | ratio (chatd / baseline) |',
    '|---|---|---|---|',
    ...rows.map((row) => {
      const ratio = row.chatd / row.baseline;
      return `| ${row.scenario} | ${format(row.chatd)} ${row.unit} | ${format(row.baseline)} ${row.unit} (${row.baselineName}) | ${ratio.toFixed(2)} |`;
    }),
  ].join('\n');
  console.log(table);
  const cpu = cpus();
  const markdown = `# Benchmarks: @chatd/message-store

Run from the package folder: \`TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm bench\`
(or \`../../node_modules/.bin/tsx bench/run.ts\`). Without \`TEST_DATABASE_URL\` only PGlite runs.
Each figure is the best of two runs after a warm-up, measured beside its baseline in the same
run. Postgres uses a throwaway database and a 20-connection pool for both sides. The issue
sets no targets for these figures; the ratios show the cost of the state machine's checks.

- Transitions: \`store.update(chatId, (chat) => chat.recordGenerationAttempt())\` (row lock with
  snapshot bump, state read, the transition, reload, ownership check, publish after commit) vs a
  bare \`UPDATE chats SET snapshot_version = snapshot_version + 1 … RETURNING *\` in a transaction.
- Bulk insert: \`store.update\` + \`commitStep\` of ${MESSAGES_PER_STEP} validated messages vs one raw
  \`INSERT … SELECT FROM unnest($jsonb[])\` of the same rows after the same snapshot bump (the
  version triggers fire on both sides). The "database layer only" row runs the store's
  \`insertMessages\` (one 17-array \`unnest\` statement returning the rows) after the same bump,
  without the state machine's checks, to show where the time goes.

Date: ${new Date().toISOString()}
Node: ${process.version}
CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}

${table}
`;
  await writeFile(new URL('../BENCHMARKS.md', import.meta.url), markdown);
}

await main();
