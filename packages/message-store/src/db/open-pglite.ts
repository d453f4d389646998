import type { Logger } from '@chatd/core';
import type { PGlite } from '@electric-sql/pglite';
import type { PGliteInstance, PGliteTransaction } from './client-types.js';
import { type DataFolderLock, lockDataFolder } from './data-folder-lock.js';
import { Database, type Queryable } from './database.js';
import { freshDatabaseDump, initdbDataDirInChild, needsInitdb } from './initdb-in-child.js';

/** Where the embedded database lives. */
export type PgliteTarget =
  | { kind: 'dataDir'; dataDir: string }
  | { kind: 'memory'; loadDataDir?: Blob | undefined }
  | { kind: 'pglite'; pglite: PGliteInstance };

/**
 * Postgres's shared buffers in the instances the store opens itself: 32 MB instead of Postgres's
 * 128 MB. PGlite holds them in the process's WebAssembly memory at their full size from the
 * start (a process with an open database: 312 MB resident with 128 MB, 213 MB with 32 MB). An
 * embedded chat database works on a small hot set (the chats being answered), and a page that
 * is not in the buffers is read from the operating system's page cache, not from the disk. An
 * instance the app passes in keeps its own settings.
 */
const SHARED_BUFFERS = '32MB';

/** Named statements already prepared, per PGlite instance (every store on it shares them). */
const preparedByInstance = new WeakMap<object, Set<string>>();

/** `value` as an escape-string literal, read the same whatever `standard_conforming_strings` says. */
const quote = (value: string) => `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/** An array parameter in Postgres's array syntax, as a driver would send it. */
function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((value) =>
    value === null || value === undefined
      ? 'NULL'
      : `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`,
  );
  return `{${elements.join(',')}}`;
}

/**
 * A parameter as the literal argument of `EXECUTE`: a quoted literal of unknown type, which
 * Postgres converts to the prepared statement's parameter type as it would a bound value.
 */
function toLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return quote(value.toISOString());
  if (Array.isArray(value)) return quote(arrayLiteral(value));
  if (typeof value === 'object') return quote(JSON.stringify(value));
  return quote(String(value));
}

/**
 * Runs the store's statements on PGlite. A named statement is prepared once per instance
 * (`PREPARE`, which outlives transactions, even rolled-back ones) and then run with `EXECUTE`,
 * its parameters written as literals: PGlite's query API has no named statements, and parsing
 * and planning the store's statements again on every call took about half of their CPU time.
 * `EXECUTE` goes over the simple query protocol (one message to the WASM Postgres instead of
 * parse, bind, describe, execute and sync): about 40% less CPU per statement, measured.
 */
function statementRunner(
  pglite: PGliteInstance,
  connection: PGliteTransaction | PGliteInstance,
): Queryable['query'] {
  const names = preparedByInstance.get(pglite) ?? new Set<string>();
  preparedByInstance.set(pglite, names);
  return async (statement, params) => {
    if (typeof statement === 'string' || statement.name === undefined) {
      const text = typeof statement === 'string' ? statement : statement.text;
      return (await connection.query(text, params as unknown[] | undefined)).rows as never;
    }
    const { name, text } = statement;
    if (!names.has(name)) {
      try {
        await connection.exec(`PREPARE ${name} AS ${text}`);
      } catch (error) {
        // Another store on this instance (or a concurrent first use) prepared it already.
        if ((error as { code?: unknown }).code !== '42P05') throw error;
      }
      names.add(name);
    }
    const args =
      params === undefined || params.length === 0 ? '' : `(${params.map(toLiteral).join(', ')})`;
    try {
      const [result] = await connection.exec(`EXECUTE ${name}${args}`);
      return (result?.rows ?? []) as never;
    } catch (error) {
      // Gone (the app ran DISCARD ALL or DEALLOCATE ALL on a shared instance): every statement
      // is prepared again on its next call.
      if ((error as { code?: unknown }).code === '26000') names.clear();
      throw error;
    }
  };
}

/**
 * Opens PGlite (loaded with `import()` only now, so Postgres users never load the WASM). A new
 * database (a new data folder, or memory) is created by a child process, so that this one does
 * not keep initdb's memory (see initdb-in-child.ts). An
 * app-owned instance is used as it is: the store never closes it or changes its parsers (rows
 * are mapped by the store's own readers, whatever the parsers return).
 */
export async function openPglite(target: PgliteTarget, logger: Logger): Promise<Database> {
  let lock: DataFolderLock | undefined;
  // The instance opened here, which close() closes; an app-owned one stays open.
  let owned: PGlite | undefined;
  let pglite: PGliteInstance;
  if (target.kind === 'pglite') {
    pglite = target.pglite;
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`];
    if (target.kind === 'dataDir') {
      lock = await lockDataFolder(target.dataDir);
      try {
        if (needsInitdb(target.dataDir)) {
          // A first start waits several seconds here: say why.
          logger.info({ dataDir: target.dataDir }, 'creating the embedded database');
          await initdbDataDirInChild(target.dataDir);
        }
        owned = await PGlite.create({ dataDir: target.dataDir, startParams });
      } catch (error) {
        await lock.release();
        throw error;
      }
    } else {
      const loadDataDir = target.loadDataDir ?? (await freshDatabaseDump());
      owned = await PGlite.create({
        startParams,
        ...(loadDataDir === undefined ? {} : { loadDataDir }),
      });
    }
    pglite = owned;
  }
  const query = statementRunner(pglite, pglite);
  return new Database({
    driver: 'pglite',
    client: pglite,
    query,
    transaction: (fn) =>
      pglite.transaction((tx) => {
        // In-process: the commit after the callback costs no round trip to save.
        const run = statementRunner(pglite, tx);
        return fn(run, run);
      }),
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
