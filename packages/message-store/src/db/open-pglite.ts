import type { PGlite } from '@electric-sql/pglite';
import type { PGliteInstance } from './client-types.js';
import { type DataFolderLock, lockDataFolder } from './data-folder-lock.js';
import { Database, type Queryable, type Statement } from './database.js';

/** Where the embedded database lives. */
export type PgliteTarget =
  | { kind: 'dataDir'; dataDir: string }
  | { kind: 'memory'; loadDataDir?: Blob }
  | { kind: 'instance'; pglite: PGliteInstance };

const textOf = (statement: Statement | string) =>
  typeof statement === 'string' ? statement : statement.text;

/**
 * Opens PGlite (loaded with `import()` only now, so Postgres users never load the WASM). An
 * app-owned instance is used as it is: the store never closes it or changes its parsers (rows
 * are mapped by the store's own readers, whatever the parsers return).
 */
export async function openPglite(target: PgliteTarget): Promise<Database> {
  let lock: DataFolderLock | undefined;
  // The instance opened here, which close() closes; an app-owned one stays open.
  let owned: PGlite | undefined;
  let pglite: PGliteInstance;
  if (target.kind === 'instance') {
    pglite = target.pglite;
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    if (target.kind === 'dataDir') {
      lock = await lockDataFolder(target.dataDir);
      try {
        owned = await PGlite.create({ dataDir: target.dataDir });
      } catch (error) {
        await lock.release();
        throw error;
      }
    } else {
      owned = await PGlite.create(
        target.loadDataDir === undefined ? {} : { loadDataDir: target.loadDataDir },
      );
    }
    pglite = owned;
  }
  const query: Queryable['query'] = async (statement, params) =>
    (await pglite.query(textOf(statement), params as unknown[] | undefined)).rows as never;
  return new Database({
    driver: 'pglite',
    client: pglite,
    query,
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn(
          async (statement, params) =>
            (await tx.query(textOf(statement), params as unknown[] | undefined)).rows as never,
        ),
      ),
    // PGlite is one connection: the session is the instance itself.
    withSession: (fn) =>
      fn({
        query,
        exec: async (sql) => {
          await pglite.exec(sql);
        },
      }),
    async close() {
      try {
        if (owned !== undefined && !owned.closed) await owned.close();
      } finally {
        await lock?.release();
      }
    },
  });
}
