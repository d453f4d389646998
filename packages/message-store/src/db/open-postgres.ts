import type { Logger } from '@chatd/core';
import type { ClientConfig, Pool } from 'pg';
import {
  DatabaseNotFoundError,
  DatabaseUnreachableError,
  DriverNotInstalledError,
} from '../errors/store-errors.js';
import type { PostgresPool, PostgresPoolClient } from './client-types.js';
import { Database, type Queryable, type Statement } from './database.js';

/** Which Postgres to use: a URL the store pools itself, or the app's pool. */
export type PostgresTarget =
  | { kind: 'url'; url: string; maxConnections: number }
  | { kind: 'pool'; pool: PostgresPool };

type PgModule = typeof import('pg')['default'];

/** Loads `pg` on first use only: it is an optional peer, needed for `{ url }` alone. */
async function loadPg(): Promise<PgModule> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw new DriverNotInstalledError({ cause: error });
  }
}

function config(statement: Statement | string, params?: readonly unknown[]) {
  const query: { name?: string; text: string; values?: unknown[] } =
    typeof statement === 'string' ? { text: statement } : { ...statement };
  if (params !== undefined) query.values = params as unknown[];
  return query;
}

function runOn(client: Pick<PostgresPool, 'query'>): Queryable['query'] {
  return async <Row>(statement: Statement | string, params?: readonly unknown[]) =>
    (await client.query(config(statement, params))).rows as Row[];
}

/**
 * The connection's `query`, sending one statement at a time unless the connection pipelines.
 * A transaction sends its statements without waiting for the replies of those before it: a
 * pipelining connection puts them on the wire at once. Any other `pg` connection would queue
 * them itself, but warns that pg 9 will refuse to, so here each waits for the one before.
 */
function sendOn(client: PostgresPoolClient): Pick<PostgresPool, 'query'> {
  if (client.pipeline === true) return client;
  let previous: Promise<unknown> = Promise.resolve();
  return {
    query(query) {
      const sent = previous.then(() => client.query(query));
      previous = sent.catch(() => {});
      return sent;
    },
  };
}

/**
 * Hands a connection back after a failure: clean (no transaction, no advisory lock) it returns
 * to the pool; otherwise it is destroyed, with an error listener so the server closing it later
 * cannot crash the process.
 */
async function releaseAfterFailure(
  client: PostgresPoolClient,
  send: Pick<PostgresPool, 'query'>,
): Promise<void> {
  try {
    await send.query(config('ROLLBACK'));
    await send.query(config('SELECT pg_advisory_unlock_all()'));
    client.release();
  } catch (error) {
    client.on('error', () => {});
    client.release(error as Error);
  }
}

/** The pool the store creates for a `{ url }`, and how to end it. */
interface OwnPool {
  pool: Pool;
  end(): Promise<void>;
}

async function createPool(
  target: Extract<PostgresTarget, { kind: 'url' }>,
  logger: Logger,
): Promise<OwnPool> {
  const pg = await loadPg();
  // `pool.end()` resolves before the sockets have closed, and a client that failed to connect
  // (a missing database, say) leaves the pool while the server is still hanging up; a client's
  // 'end' event fires once its socket has closed. end() waits for every client the pool made,
  // so "closed" means no connection is left.
  const openSockets = new Set<Promise<void>>();
  class Client extends pg.Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      const closed = new Promise<void>((resolve) => {
        this.once('end', () => {
          openSockets.delete(closed);
          resolve();
        });
      });
      openSockets.add(closed);
    }
  }
  // Pipelined: a statement is written without waiting for the replies of those before it, so
  // a transaction's BEGIN travels with its first statement (see `transaction` below). The store
  // never reads through a portal (cursors, `rows`), the one thing pipelining refuses.
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.maxConnections,
    Client,
    pipeline: true,
  });
  // An idle client's error is emitted on the pool; unhandled it would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
  return {
    pool,
    async end() {
      // The error listener stays: a client still closing after end() resolved may report the
      // server's goodbye (e.g. a dropped database), which must not crash the process.
      await pool.end();
      await Promise.all(openSockets);
    },
  };
}

/** Node's system error codes for a server that cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

// `scheme://[userinfo@]host/database?…`; also libpq's host-less `postgresql://user@/db?host=…`.
const DATABASE_IN_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]*)/i;

/** The database a URL names (its path), or `''` when it names none. */
function databaseOf(url: string): string {
  const path = DATABASE_IN_URL.exec(url)?.[1] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Opens a `pg` pool for a `{ url }` (loading `pg` only now), or uses the app's pool as it is:
 * never mutated, and `pg.types`, being global, is never touched: rows are mapped by the
 * store's own readers (int8 arrives as text and is checked there).
 *
 * @throws DriverNotInstalledError `DRIVER_NOT_INSTALLED` for a `{ url }` without `pg`.
 * @throws DatabaseNotFoundError `DATABASE_NOT_FOUND` (from the first query) when the URL's
 *   database does not exist.
 */
export async function openPostgres(target: PostgresTarget, logger: Logger): Promise<Database> {
  let own: OwnPool | undefined;
  let pool: PostgresPool;
  if (target.kind === 'url') {
    own = await createPool(target, logger);
    pool = own.pool;
  } else {
    pool = target.pool;
  }
  // A server that cannot be reached gets a typed, retryable error; for a URL the store was
  // given, so does a missing database (Postgres refuses the connection with 3D000), naming it.
  const url = target.kind === 'url' ? target.url : undefined;
  const rethrow = (error: unknown): never => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === '3D000' && url !== undefined) {
      throw new DatabaseNotFoundError(databaseOf(url), url, { cause: error });
    }
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
      throw new DatabaseUnreachableError(url, code, { cause: error });
    }
    throw error;
  };
  const query = runOn(pool);
  /** Runs `fn` on one connection of the pool, released clean or destroyed (see above). */
  const withClient = async <T>(fn: (client: Pick<PostgresPool, 'query'>) => Promise<T>) => {
    const client = await pool.connect().catch(rethrow);
    // Statements of a failed callback may still wait their turn: the rollback goes behind them.
    const send = sendOn(client);
    try {
      const result = await fn(send);
      client.release();
      return result;
    } catch (error) {
      await releaseAfterFailure(client, send);
      throw error;
    }
  };
  return new Database({
    driver: 'postgres',
    client: pool,
    query: <Row>(statement: Statement | string, params?: readonly unknown[]) =>
      query<Row>(statement, params).catch(rethrow),
    transaction: (fn) =>
      withClient(async (client) => {
        // Not awaited before the first statement: on a pipelining connection (the store's own)
        // both go out together and the transaction costs one round trip less; on any other the
        // statement waits its turn (see sendOn). BEGIN fails only with the connection,
        // which fails the statements behind it too; its own error is rethrown below.
        const begun = client.query(config('BEGIN'));
        begun.catch(() => {});
        let committed = false;
        const result = await fn(
          runOn(client),
          async <Row>(statement: Statement | string, params?: readonly unknown[]) => {
            committed = true;
            // Sent behind the statement without waiting for its reply (on a pipelining
            // connection). After a failed statement Postgres answers it with a rollback, and the
            // statement's error is what is thrown.
            const rows = client.query(config(statement, params));
            const commit = client.query(config('COMMIT'));
            commit.catch(() => {});
            const { rows: result } = await rows;
            await commit;
            return result as Row[];
          },
        );
        await begun;
        if (!committed) await client.query(config('COMMIT'));
        return result;
      }),
    withSession: (fn) =>
      withClient((client) =>
        fn({
          query: runOn(client),
          exec: async (sql) => {
            await client.query(config(sql));
          },
        }),
      ),
    async close() {
      await own?.end();
    },
  });
}
