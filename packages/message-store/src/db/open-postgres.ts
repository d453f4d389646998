import type { Logger } from '@chatd/core';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { Database, type Queryable, type Statement } from './database.js';

/** Which Postgres to use: a URL the store pools itself, or the app's pool. */
export type PostgresTarget =
  | { kind: 'url'; url: string; maxConnections: number }
  | { kind: 'pool'; pool: Pool };

function config(statement: Statement | string, params: readonly unknown[] | undefined) {
  const query: QueryConfig = typeof statement === 'string' ? { text: statement } : { ...statement };
  if (params !== undefined) query.values = params as unknown[];
  return query;
}

function runOn(client: Pool | PoolClient): Queryable['query'] {
  return async (statement, params) => (await client.query(config(statement, params))).rows;
}

/**
 * Hands a connection back after a failure: clean (no transaction, no advisory lock) it returns
 * to the pool; otherwise it is destroyed, with an error listener so the server closing it later
 * cannot crash the process.
 */
async function releaseAfterFailure(client: PoolClient): Promise<void> {
  try {
    await client.query('ROLLBACK');
    await client.query('SELECT pg_advisory_unlock_all()');
    client.release();
  } catch (error) {
    client.on('error', () => {});
    client.release(error as Error);
  }
}

/**
 * Opens a `pg` pool (loaded with `import()` only now: `pg` is an optional peer). An app-owned
 * pool is never mutated, and `pg.types`, being global, is never touched: rows are mapped by
 * the store's own readers (int8 arrives as text and is checked there).
 */
export async function openPostgres(target: PostgresTarget, logger: Logger): Promise<Database> {
  const pg = (await import('pg')).default;
  let pool: Pool;
  const openSockets = new Set<Promise<void>>();
  if (target.kind === 'url') {
    pool = new pg.Pool({ connectionString: target.url, max: target.maxConnections });
    // An idle client's error is emitted on the pool; unhandled it would crash the process.
    pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
    // `pool.end()` resolves before the sockets have closed; a client's 'end' event fires once
    // its socket has. close() waits for these, so "closed" means no connection is left.
    pool.on('connect', (client) => {
      const closed = new Promise<void>((resolve) => {
        client.once('end', () => {
          openSockets.delete(closed);
          resolve();
        });
      });
      openSockets.add(closed);
    });
  } else {
    pool = target.pool;
  }
  return new Database({
    driver: 'postgres',
    client: pool,
    query: runOn(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(runOn(client));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        await releaseAfterFailure(client);
        throw error;
      }
    },
    async withSession(fn) {
      const client = await pool.connect();
      try {
        const result = await fn({
          query: runOn(client),
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        client.release();
        return result;
      } catch (error) {
        await releaseAfterFailure(client);
        throw error;
      }
    },
    async close() {
      if (target.kind !== 'url') return;
      // The error listener stays: a client still closing after end() resolved may report the
      // server's goodbye (e.g. a dropped database), which must not crash the process.
      await pool.end();
      await Promise.all(openSockets);
    },
  });
}
