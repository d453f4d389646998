import type { Logger } from '@chatd/core';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { storeSchema } from '../schema/tables.js';
import type { DbConnection } from './connection.js';
import { toSafeInteger } from './safe-integer.js';
import { guardClient, scopeTransactions } from './transaction-guard.js';
import type { Db } from './types.js';

/** Which Postgres to use: a URL the store pools itself, or the app's pool. */
export type PostgresTarget =
  | { kind: 'url'; url: string; maxConnections: number }
  | { kind: 'pool'; pool: Pool };

const INT8_OID = 20;

/**
 * Hands a session back after a failure: clean (no transaction, no advisory lock) it returns to
 * the pool; otherwise it is destroyed, with an error listener so the server closing it later
 * cannot crash the process.
 */
async function releaseAfterFailure(session: PoolClient): Promise<void> {
  try {
    await session.query('ROLLBACK');
    await session.query('SELECT pg_advisory_unlock_all()');
    session.release();
  } catch (error) {
    session.on('error', () => {});
    session.release(error as Error);
  }
}

/**
 * Opens a `pg` pool (loaded with `import()` only now: `pg` is an optional peer) and wraps it
 * in drizzle. The store's own pool gets an int8 type parser through its client config; an
 * app-owned pool is never mutated (and `pg.types`, being global, is never touched).
 */
export async function openPostgres(target: PostgresTarget, logger: Logger): Promise<DbConnection> {
  const pg = (await import('pg')).default;
  let pool: Pool;
  const openSockets = new Set<Promise<void>>();
  if (target.kind === 'url') {
    const config: PoolConfig = {
      connectionString: target.url,
      max: target.maxConnections,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (value: string) => toSafeInteger(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    };
    pool = new pg.Pool(config);
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
  const { drizzle } = await import('drizzle-orm/node-postgres');
  // The guard is keyed by the underlying client: another database's transaction does not
  // block this one, but two stores sharing one client (one PGlite connection) guard each other.
  const owner = pool;
  const client = guardClient(pool, ['query', 'connect'], owner);
  const db = drizzle({ client, schema: storeSchema }) as unknown as Db;
  scopeTransactions(db, owner);
  let closing: Promise<void> | undefined;
  return {
    db,
    driver: 'postgres',
    async withSession(fn) {
      const session: PoolClient = await pool.connect();
      try {
        const result = await fn({
          exec: async (sql) => {
            await session.query(sql);
          },
          query: async (sql) => (await session.query<Record<string, unknown>>(sql)).rows,
        });
        session.release();
        return result;
      } catch (error) {
        await releaseAfterFailure(session);
        throw error;
      }
    },
    close() {
      closing ??= (async () => {
        if (target.kind !== 'url') return;
        // The error listener stays: a client still closing after end() resolved may report the
        // server's goodbye (e.g. a dropped database), which must not crash the process.
        await pool.end();
        await Promise.all(openSockets);
      })();
      return closing;
    },
  };
}
