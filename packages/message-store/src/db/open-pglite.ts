import type { PGlite } from '@electric-sql/pglite';
import { storeSchema } from '../schema/tables.js';
import type { DbConnection } from './connection.js';
import { type DataFolderLock, lockDataFolder } from './data-folder-lock.js';
import { toSafeInteger } from './safe-integer.js';
import { guardClient, scopeTransactions } from './transaction-guard.js';
import type { Db } from './types.js';

/** Where the embedded database lives. */
export type PgliteTarget =
  | { kind: 'dataDir'; dataDir: string }
  | { kind: 'memory'; loadDataDir?: Blob }
  | { kind: 'instance'; pglite: PGlite };

// PostgreSQL's type oid of int8.
const INT8_OID = 20;

/**
 * Opens PGlite (loaded with `import()` only now, so Postgres users never load the WASM) and
 * wraps it in drizzle. A store-created instance parses int8 into checked numbers; an
 * app-owned instance keeps its own parsers (the schema's int8 columns convert either way).
 */
export async function openPglite(target: PgliteTarget): Promise<DbConnection> {
  let lock: DataFolderLock | undefined;
  let pglite: PGlite;
  const owned = target.kind !== 'instance';
  if (target.kind === 'instance') {
    pglite = target.pglite;
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const parsers = { [INT8_OID]: (value: string) => toSafeInteger(value) };
    if (target.kind === 'dataDir') {
      lock = await lockDataFolder(target.dataDir);
      try {
        pglite = await PGlite.create({ dataDir: target.dataDir, parsers });
      } catch (error) {
        await lock.release();
        throw error;
      }
    } else {
      pglite = await PGlite.create({
        parsers,
        ...(target.loadDataDir === undefined ? {} : { loadDataDir: target.loadDataDir }),
      });
    }
  }
  const { drizzle } = await import('drizzle-orm/pglite');
  // The guard is keyed by the underlying client: another database's transaction does not
  // block this one, but two stores sharing one client (one PGlite connection) guard each other.
  const owner = pglite;
  const client = guardClient(pglite, ['query', 'exec', 'sql', 'transaction'], owner);
  const db = drizzle({ client, schema: storeSchema }) as unknown as Db;
  scopeTransactions(db, owner);
  let closing: Promise<void> | undefined;
  return {
    db,
    driver: 'pglite',
    // PGlite is one connection: the session is the instance itself.
    withSession: (fn) =>
      fn({
        exec: async (sql) => {
          await pglite.exec(sql);
        },
        query: async (sql) => (await pglite.query<Record<string, unknown>>(sql)).rows,
      }),
    close() {
      closing ??= (async () => {
        try {
          if (owned && !pglite.closed) await pglite.close();
        } finally {
          await lock?.release();
        }
      })();
      return closing;
    },
  };
}
