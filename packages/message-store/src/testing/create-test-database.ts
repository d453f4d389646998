import { randomBytes } from 'node:crypto';

/** A throwaway Postgres database; see {@link createTestDatabase}. */
export interface TestDatabase extends AsyncDisposable {
  /** Its connection URL: pass it to `openStore({ url })` (migrations run on open). */
  readonly url: string;
  /** Drops the database, ending any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates an empty Postgres database on the server of `serverUrl` (typically the test
 * server's `TEST_DATABASE_URL`), for tests that need real Postgres: several processes or
 * stores on one database, LISTEN/NOTIFY, row-lock contention. Needs `pg`.
 *
 * @example
 * ```ts
 * await using database = await createTestDatabase(process.env.TEST_DATABASE_URL!);
 * const store = await openStore({ url: database.url }, { pubsub });
 * ```
 */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const { default: pg } = await import('pg');
  const name = `chatd_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    return dropped;
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}
