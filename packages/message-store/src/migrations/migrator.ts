import type { Logger } from '@chatd/core';
import type { Session } from '../db/database.js';
import { toSafeInteger } from '../db/safe-integer.js';
import { SchemaTooNewError } from '../errors/store-errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';

/** The table that records applied versions; named after the package so it never collides. */
export const MIGRATIONS_TABLE = 'chatd_message_store_migrations';

// A fixed advisory-lock key ("chatd-ms" in ASCII) shared by every process of every version.
const ADVISORY_LOCK_KEY = '7163686174642d6d';

/**
 * Brings the schema up to {@link LATEST_SCHEMA_VERSION} on one session holding a Postgres
 * advisory lock, so processes opening one database at the same time apply each migration once:
 * the second waits for the lock, then finds nothing left to do.
 *
 * @throws SchemaTooNewError `SCHEMA_TOO_NEW` when the database has a newer version than this
 *   package knows.
 */
export async function migrate(
  session: Session,
  logger: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await session.exec(`SELECT pg_advisory_lock(x'${ADVISORY_LOCK_KEY}'::bigint)`);
  try {
    await session.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const [row] = await session.query(
      `SELECT coalesce(max(version), 0)::bigint AS version FROM ${MIGRATIONS_TABLE}`,
    );
    const current = toSafeInteger(row?.version ?? 0);
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) throw new SchemaTooNewError(current, latest);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      logger.info({ version: migration.version, name: migration.name }, 'applying migration');
      // Each migration and its record commit together: a crash never leaves half a version.
      await session.exec('BEGIN');
      try {
        await session.exec(migration.sql);
        await session.exec(
          `INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (${migration.version}, '${migration.name.replaceAll("'", "''")}')`,
        );
        await session.exec('COMMIT');
      } catch (error) {
        await session.exec('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await session.exec(`SELECT pg_advisory_unlock(x'${ADVISORY_LOCK_KEY}'::bigint)`);
  }
}
