import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Why a child process: PGlite creates a new database by running initdb in WebAssembly memory of
// this process, and WebAssembly memory never shrinks. After creating a data folder a process
// kept about 500 MB it would never use again (a server on a new folder idled at 830 MB, the same
// server on an existing folder at 300 MB). A short-lived `node` child runs initdb instead, and
// its memory goes back to the system when it exits.

/** Creates the database in `argv[2]` (a data folder), or in memory and writes its gzip dump. */
const CHILD_SCRIPT = `
const [url, dataDir] = process.argv.slice(1);
import(url).then(async ({ PGlite }) => {
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
  const dump = dataDir ? undefined : await pglite.dumpDataDir('gzip');
  await pglite.close();
  if (dump) process.stdout.write(Buffer.from(await dump.arrayBuffer()));
});
`;

/** PGlite's entry as the child imports it: the copy this package resolves, not the child's cwd's. */
function pgliteUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
}

function runChild(dataDir: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT, pgliteUrl(), dataDir ?? ''],
      { encoding: 'buffer', maxBuffer: 1 << 30 },
      (error, stdout) => (error === null ? resolve(stdout) : reject(error)),
    );
  });
}

/** Whether `dataDir` holds no database yet, so that opening it would run initdb. */
export function needsInitdb(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Creates a new database in `dataDir` in a child process. When the child cannot (no `node` to
 * start, say), this resolves all the same and PGlite creates the database in this process when
 * it opens the folder, as it always could, at the cost of the memory.
 */
export async function initdbDataDirInChild(dataDir: string): Promise<void> {
  await runChild(dataDir).catch(() => {});
}

/**
 * A new, empty database as a gzip dump for `PGlite.create({ loadDataDir })`, created in a child
 * process once per process and reused by every later in-memory store (loading a dump takes well
 * under a second; initdb takes several). `undefined` when the child could not create it.
 */
export function freshDatabaseDump(): Promise<Blob | undefined> {
  freshDump ??= runChild(undefined).then(
    (gzip) => (gzip.length > 0 ? new Blob([gzip]) : undefined),
    () => undefined,
  );
  return freshDump;
}

let freshDump: Promise<Blob | undefined> | undefined;
