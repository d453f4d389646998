import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests run against; unset means the Postgres suites are skipped. Test-only. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

let warned = false;
/** Prints once per file why Postgres tests are skipped. Test-only. */
export function warnIfNoDatabase(): void {
  if (testDatabaseUrl !== undefined || warned) return;
  warned = true;
  console.warn('TEST_DATABASE_URL is not set: skipping the Postgres LISTEN/NOTIFY tests');
}

/** A database of its own for one test file, dropped by `drop()`. Test-only. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  /** `url` with an `application_name`, to find that connection in `pg_stat_activity`. */
  urlWithApplicationName(name: string): string;
  /** Runs one statement on a short-lived admin connection to the new database. */
  query<Row>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Drops the database (terminating leftover sessions). */
  drop(): Promise<void>;
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates `pubsub_pg_<random>` on the server of `TEST_DATABASE_URL`. Test-only. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseUrl === undefined) throw new Error('TEST_DATABASE_URL is not set');
  const name = `pubsub_pg_${randomBytes(6).toString('hex')}`;
  await withClient(testDatabaseUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const parsed = new URL(testDatabaseUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return {
    url,
    urlWithApplicationName(applicationName) {
      const withName = new URL(url);
      withName.searchParams.set('application_name', applicationName);
      return withName.toString();
    },
    query: <Row>(text: string, values: unknown[] = []) =>
      withClient(url, async (client) => (await client.query(text, values)).rows as Row[]),
    async drop() {
      await withClient(testDatabaseUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}
