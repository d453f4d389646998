import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test Postgres server, or undefined when tests should skip Postgres. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** A fresh database name with this package's prefix, unique per process and call. */
export function uniqueDatabaseName(kind: 'tpl' | 'test'): string {
  return `message_store_${kind}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** `baseUrl` pointing at another database on the same server. */
export function urlForDatabase(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Runs one admin statement (CREATE/DROP DATABASE) on the server's base database, on a
 * short-lived client. These are the only statements tests run against that database.
 */
export async function adminExec(baseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates `name` as a copy of `template`, retrying while another copy briefly holds it. */
export async function createDatabaseFromTemplate(
  baseUrl: string,
  name: string,
  template: string,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await adminExec(baseUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      // 55006: "source database is being accessed by other users" (a concurrent copy).
      if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Names of this package's test databases on the server (`message_store_…`). */
export async function listPackageDatabases(baseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'message\\_store\\_%'",
    );
    return result.rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

/** Drops `name`, disconnecting anyone still connected (PostgreSQL 13+). */
export function dropDatabase(baseUrl: string, name: string): Promise<void> {
  return adminExec(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
