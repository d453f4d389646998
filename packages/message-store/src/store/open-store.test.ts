import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@chatd/core';
import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { PubSub } from '@chatd/pubsub';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../db/data-folder-lock.js';
import { freshDatabaseDump } from '../db/initdb-in-child.js';
import { LATEST_SCHEMA_VERSION } from '../migrations/migrations.js';
import { MIGRATIONS_TABLE } from '../migrations/migrator.js';
import { describeEachDatabase } from '../test-support/databases.js';
import {
  adminExec,
  dropDatabase,
  TEST_DATABASE_URL,
  uniqueDatabaseName,
  urlForDatabase,
} from '../test-support/postgres-admin.js';
import type { MessageStore } from './message-store.js';
import { connect, openStore } from './open-store.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatd-message-store-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function newPubSub(): PubSub {
  const pubsub = new PubSub();
  cleanups.push(() => pubsub.close());
  return pubsub;
}

/** The `shared_buffers` setting of a store's embedded PGlite. */
async function sharedBuffers(store: MessageStore): Promise<string | undefined> {
  const result = await store.pglite?.query('SHOW shared_buffers');
  return (result?.rows[0] as { shared_buffers?: string } | undefined)?.shared_buffers;
}

const content = { version: 1 as const, parts: [{ type: 'text' as const, text: 'hi' }] };

/** Creates a chat for owner `o` through the store; returns its id. */
async function createChat(store: MessageStore): Promise<string> {
  const { chatId } = await store.createChat({
    ownerId: 'o',
    messages: [{ role: 'user', content, createdBy: 'u' }],
  });
  return chatId;
}

/** Runs one statement on a Postgres database through a short-lived client. */
async function queryUrl<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

describe('openStore options', () => {
  it('refuses a source with two kinds', async () => {
    await expect(
      openStore({ memory: true, dataDir: '/tmp/x' } as never, { pubsub: newPubSub() }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'source' });
  });

  it('refuses a stale-after not above the heartbeat interval', async () => {
    await expect(
      openStore(
        { memory: true },
        { pubsub: newPubSub(), lease: { heartbeatIntervalMs: 10_000, staleAfterMs: 10_000 } },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'lease.staleAfterMs' });
  });

  it('refuses a non-positive content limit', async () => {
    await expect(
      openStore({ memory: true }, { pubsub: newPubSub(), limits: { maxContentBytes: 0 } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'limits.maxContentBytes' });
  });

  it('refuses a URL that is not postgres://', async () => {
    await expect(openStore({ url: 'mysql://x' }, { pubsub: newPubSub() })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'source.url',
    });
  });

  // A misspelt option would otherwise silently fall back to its default.
  it.each<[container: string, source: object, options: object, key: string]>([
    ['lease', { memory: true }, { lease: { heartbeatIntervallMs: 5_000 } }, 'heartbeatIntervallMs'],
    ['limits', { memory: true }, { limits: { maxContentByte: 1024 } }, 'maxContentByte'],
    ['source', { memory: true, loadDataDri: new Blob([]) }, {}, 'loadDataDri'],
    ['source', { url: 'postgres://x', maxConections: 3 }, {}, 'maxConections'],
  ])('refuses an unknown key in %s, naming it', async (container, source, options, key) => {
    const error = await openStore(source as never, { pubsub: newPubSub(), ...options } as never)
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const { argument, message } = error as { argument: string; message: string };
    expect(argument.startsWith(container)).toBe(true);
    expect(`${argument} ${message}`).toContain(key);
  });

  it('names an unknown key in the argument path (lease.heartbeatIntervallMs)', async () => {
    await expect(
      openStore(
        { memory: true },
        { pubsub: newPubSub(), lease: { heartbeatIntervallMs: 5_000 } as never },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'lease.heartbeatIntervallMs' });
  });

  it('refuses a URL whose server cannot be reached with DATABASE_UNREACHABLE, retryable', async () => {
    const pubsub = newPubSub();
    const before = snapshotResources();
    for (const [url, reason] of [
      ['postgres://postgres:secret@127.0.0.1:1/chatd', 'ECONNREFUSED'],
      ['postgres://postgres:secret@no-such-host.invalid:5432/chatd', 'ENOTFOUND'],
    ] as const) {
      const error = await openStore({ url }, { pubsub })
        .then(() => undefined)
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'DATABASE_UNREACHABLE', retryable: true });
      expect((error as Error).message).toContain(reason);
      expect((error as Error).message).not.toContain('secret');
      expect((error as Error).cause).toMatchObject({ code: reason });
    }
    // An app's pool too, with no address to name.
    const pool = new pg.Pool({ connectionString: 'postgres://postgres:secret@127.0.0.1:1/chatd' });
    await expect(openStore({ pool }, { pubsub })).rejects.toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      message: 'Cannot reach the Postgres server (ECONNREFUSED): is it running?',
    });
    await pool.end();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('embedded PGlite data folder', () => {
  it('migrates a new folder, keeps data across reopen and removes its lock on close', async () => {
    const dataDir = await tempDir();
    const pubsub = newPubSub();
    const first = await openStore({ dataDir }, { pubsub });
    const chatId = await createChat(first);
    await first.close();
    await expect(readFile(join(dataDir, LOCK_FILE_NAME))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const second = await openStore({ dataDir }, { pubsub });
    expect((await second.listChats('o')).chats.map((chat) => chat.id)).toEqual([chatId]);
    await second.close();
  });

  it('is exclusive on its own data folder or in memory', async () => {
    const pubsub = newPubSub();
    const inFolder = await openStore({ dataDir: await tempDir() }, { pubsub });
    const inMemory = await openStore({ memory: true }, { pubsub });
    expect([inFolder.exclusive, inMemory.exclusive]).toEqual([true, true]);
    await Promise.all([inFolder.close(), inMemory.close()]);
  });

  it('refuses a second open of the same folder in this process', async () => {
    const dataDir = await tempDir();
    const pubsub = newPubSub();
    const store = await openStore({ dataDir }, { pubsub });
    cleanups.push(() => store.close());
    await expect(openStore({ dataDir }, { pubsub })).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      pid: process.pid,
    });
  });

  it('refuses a folder held by another live process, then takes it over once it died', async () => {
    const dataDir = await tempDir();
    const script = fileURLToPath(new URL('../test-support/hold-data-folder.ts', import.meta.url));
    // Node itself with tsx's loader (not the tsx launcher), so the pid we kill holds the lock.
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    const pubsub = newPubSub();
    await expect(openStore({ dataDir }, { pubsub })).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      pid: child.pid,
    });
    // SIGKILL: the holder cannot clean up, so its lock file stays behind, stale.
    child.kill('SIGKILL');
    await exited;
    const store = await openStore({ dataDir }, { pubsub });
    expect((await store.listChats('o')).chats).toEqual([]);
    await store.close();
  });

  it('takes over a lock file left by a dead process', async () => {
    const dataDir = await tempDir();
    // Pid 2^22 + 1 is above Linux's default pid_max, so no live process has it.
    await writeFile(join(dataDir, LOCK_FILE_NAME), `${2 ** 22 + 1}\nleftover\n`);
    const store = await openStore({ dataDir }, { pubsub: newPubSub() });
    const [pid] = (await readFile(join(dataDir, LOCK_FILE_NAME), 'utf8')).split('\n');
    expect(Number(pid)).toBe(process.pid);
    await store.close();
  });

  it("lends its PGlite for the app's own tables, kept with the folder", async () => {
    const dataDir = await tempDir();
    const pubsub = newPubSub();
    const first = await openStore({ dataDir }, { pubsub });
    await first.pglite?.exec('CREATE TABLE app_notes (note text)');
    await first.pglite?.query('INSERT INTO app_notes VALUES ($1)', ['kept']);
    await first.close();
    const second = await openStore({ dataDir }, { pubsub });
    expect((await second.pglite?.query('SELECT note FROM app_notes'))?.rows).toEqual([
      { note: 'kept' },
    ]);
    await second.close();
  });

  it('opens the database it creates with 32 MB of shared buffers, on a folder and in memory', async () => {
    const pubsub = newPubSub();
    const onFolder = await openStore({ dataDir: await tempDir() }, { pubsub });
    const inMemory = await openStore({ memory: true }, { pubsub });
    for (const store of [onFolder, inMemory]) {
      expect(await sharedBuffers(store)).toBe('32MB');
      await store.close();
    }
  });

  it("leaves the shared buffers of an app's own PGlite as they are", async () => {
    const dump = await freshDatabaseDump();
    if (dump === undefined) throw new Error('no database dump: the child process failed');
    const pglite = await PGlite.create({ loadDataDir: dump });
    cleanups.push(() => pglite.close());
    const store = await openStore({ pglite }, { pubsub: newPubSub() });
    expect(await sharedBuffers(store)).toBe('128MB');
    await store.close();
  });

  describe('creating a new database', () => {
    /** Opens a store in a fresh process, as an app starting up would; what it reports. */
    async function openInNewProcess(
      args: string[],
    ): Promise<{ externalMb: number; stored: boolean }> {
      const script = fileURLToPath(
        new URL('../test-support/report-store-memory.ts', import.meta.url),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A test that times out must not leave it writing into a folder being removed.
      cleanups.push(async () => {
        child.kill('SIGKILL');
        await exited;
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const code = await exited;
      expect(code).toBe(0);
      return JSON.parse(output);
    }

    // PGlite's initdb grows WebAssembly memory that never shrinks: run in the opening process,
    // it left about 660 MB of external memory behind; an open database needs about 210 MB.
    it('runs initdb in a child process, so a new data folder leaves no initdb memory behind', async () => {
      const dataDir = await tempDir();
      const opened = await openInNewProcess(['child', dataDir]);
      expect(opened).toEqual({ externalMb: expect.any(Number), stored: true });
      expect(opened.externalMb).toBeLessThan(400);
      // The folder is an ordinary database: it opens again with the chat in it.
      const store = await openStore({ dataDir }, { pubsub: newPubSub() });
      expect((await store.listChats('o')).chats).toHaveLength(1);
      await store.close();
    }, 180_000);

    it('creates an in-memory database from a dump made in a child process', async () => {
      const opened = await openInNewProcess(['child']);
      expect(opened.stored).toBe(true);
      expect(opened.externalMb).toBeLessThan(400);
    }, 180_000);

    it('creates the database in this process when no child process can be started', async () => {
      const dataDir = await tempDir();
      expect(await openInNewProcess(['no-child', dataDir])).toMatchObject({ stored: true });
      expect(await openInNewProcess(['no-child'])).toMatchObject({ stored: true });
    }, 180_000);
  });

  it('refuses a folder migrated by a newer version with SCHEMA_TOO_NEW', async () => {
    const dataDir = await tempDir();
    const pubsub = newPubSub();
    await (await openStore({ dataDir }, { pubsub })).close();
    // A newer version's migration, written with the folder's database opened directly.
    const db = await connect({ kind: 'dataDir', dataDir }, silentLogger);
    await db.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, 'future')`, [
      LATEST_SCHEMA_VERSION + 1,
    ]);
    await db.close();
    await expect(openStore({ dataDir }, { pubsub })).rejects.toMatchObject({
      code: 'SCHEMA_TOO_NEW',
      databaseVersion: LATEST_SCHEMA_VERSION + 1,
      packageVersion: LATEST_SCHEMA_VERSION,
    });
    // The failed open released the folder again.
    await expect(readFile(join(dataDir, LOCK_FILE_NAME))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('fails every call after close with STORE_CLOSED and closes idempotently', async () => {
    const store = await openStore({ memory: true }, { pubsub: newPubSub() });
    await Promise.all([store.close(), store.close()]);
    const calls = [
      store.getChat(crypto.randomUUID()),
      store.listChats('o'),
      store.getDatabaseTime(),
      store.createChat({ ownerId: 'o', messages: [{ role: 'user', content, createdBy: 'u' }] }),
      store.update(crypto.randomUUID(), async () => 1),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('waits for calls in flight before closing, refusing new ones meanwhile', async () => {
    const store = await openStore({ memory: true }, { pubsub: newPubSub() });
    const chatId = await createChat(store);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The update's own transaction handle queries after close began.
    const call = store.update(chatId, async (chat) => {
      await gate;
      return (await chat.snapshot()).row.snapshotVersion;
    });
    let closed = false;
    const closing = store.close().then(() => {
      closed = true;
    });
    await expect(store.getChat(crypto.randomUUID())).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });
    expect(closed).toBe(false);
    release();
    expect(await call).toBe(2);
    await closing;
    expect(closed).toBe(true);
  });

  // A store method called inside a callback in flight is part of that call (it runs in its
  // transaction): close() waits for it rather than failing the update half-way.
  it('serves store methods called inside an update in flight when close began', async () => {
    const store = await openStore({ memory: true }, { pubsub: newPubSub() });
    const chatId = await createChat(store);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const call = store.update(chatId, async () => {
      await gate;
      return (await store.getPromptHistory(chatId)).length;
    });
    const closing = store.close();
    release();
    try {
      expect(await call).toBe(1);
    } finally {
      await closing;
    }
  });

  it('leaves no active handles after close', async () => {
    const before = snapshotResources();
    const dataDir = await tempDir();
    const store = await openStore({ dataDir }, { pubsub: newPubSub() });
    await store.listChats('o');
    await store.close();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe.skipIf(TEST_DATABASE_URL === undefined)('Postgres open', () => {
  const baseUrl = TEST_DATABASE_URL as string;

  async function emptyDatabase(): Promise<string> {
    const name = uniqueDatabaseName('test');
    await adminExec(baseUrl, `CREATE DATABASE "${name}"`);
    cleanups.push(() => dropDatabase(baseUrl, name));
    return urlForDatabase(baseUrl, name);
  }

  it('has no PGlite to lend', async () => {
    const store = await openStore({ url: await emptyDatabase() }, { pubsub: newPubSub() });
    expect(store.pglite).toBeUndefined();
    await store.close();
  });

  it('migrates once when two stores open an empty database at the same time', async () => {
    const url = await emptyDatabase();
    const pubsub = newPubSub();
    const stores = await Promise.all([
      openStore({ url }, { pubsub }),
      openStore({ url }, { pubsub }),
    ]);
    await Promise.all(stores.map((store) => store.close()));
    const rows = await queryUrl(url, `SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`);
    expect(rows).toHaveLength(LATEST_SCHEMA_VERSION);
  });

  it('refuses a database migrated by a newer version with SCHEMA_TOO_NEW', async () => {
    const url = await emptyDatabase();
    const pubsub = newPubSub();
    await (await openStore({ url }, { pubsub })).close();
    await adminExec(
      url,
      `INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'x')`,
    );
    await expect(openStore({ url }, { pubsub })).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
  });

  it('refuses a URL naming a missing database with DATABASE_NOT_FOUND, saying to create it', async () => {
    const name = uniqueDatabaseName('test');
    const pubsub = newPubSub();
    const before = snapshotResources();
    const error = await openStore({ url: urlForDatabase(baseUrl, name) }, { pubsub })
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'DATABASE_NOT_FOUND', database: name });
    expect((error as Error).message).toContain(`CREATE DATABASE "${name}"`);
    expect((error as Error).cause).toMatchObject({ code: '3D000' });
    // The pool the failed open created is gone.
    expect(await newResourcesSince(before)).toEqual([]);
  });

  it('returns every client of an app-owned pool and leaves the pool open', async () => {
    const url = await emptyDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    cleanups.push(() => pool.end());
    const store = await openStore({ pool }, { pubsub: newPubSub() });
    // Transactions (createChat, lock) and more concurrent root queries than the pool has.
    const chatId = await createChat(store);
    await store.lock(chatId, async () => {});
    await Promise.all([1, 2, 3, 4].map(() => store.getChat(chatId)));
    await store.close();
    expect(pool.totalCount).toBe(pool.idleCount);
    expect(pool.waitingCount).toBe(0);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('leaves no active handles after closing a URL store', async () => {
    const url = await emptyDatabase();
    const before = snapshotResources();
    const store = await openStore({ url }, { pubsub: newPubSub() });
    await Promise.all([1, 2, 3].map(() => store.listChats('o')));
    await store.close();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describeEachDatabase('closing a store', (database) => {
  it('leaves the shared database (an app-owned PGlite, a server) usable', async () => {
    const { store } = await database.open();
    // Others may share a database handed in: the store is not exclusive on it.
    expect(store.exclusive).toBe(false);
    await store.close();
    expect(await database.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const { store: again } = await database.open();
    expect((await again.listChats('o')).chats).toEqual([]);
  });
});

describeEachDatabase('an exclusive store', (database) => {
  it.runIf(database.kind === 'pglite')(
    "is an app's PGlite declared exclusive: its drafts wait for the window",
    async () => {
      const pubsub = newPubSub();
      const store = await openStore({ ...database.source(), exclusive: true }, { pubsub });
      cleanups.push(() => store.close());
      expect(store.exclusive).toBe(true);
      // No follower to hurry for: even an urgent first append waits for the window.
      const { chatId } = await store.createChat({
        ownerId: 'o',
        messages: [{ role: 'user', content, createdBy: 'u' }],
      });
      const key = { chatId, historyVersion: 1, generationAttempt: 1 };
      store.drafts.append(
        key,
        [{ seq: 1, role: 'assistant', part: { type: 'text-start', id: 't' } }],
        {
          urgent: true,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 15));
      expect(store.drafts.batchesWritten).toBe(0);
    },
  );

  it('refuses an exclusive flag that is not a boolean, naming it', async () => {
    const pubsub = newPubSub();
    const source = { ...database.source(), exclusive: 'yes' };
    await expect(openStore(source as never, { pubsub })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('exclusive'),
    });
  });
});

describeEachDatabase('int8 columns', (database) => {
  it('read as numbers', async () => {
    const { store } = await database.open();
    const id = await createChat(store);
    const row = await store.getChat(id);
    expect(typeof row.snapshotVersion).toBe('number');
    const [message] = await store.getPromptHistory(id);
    expect(typeof message?.id).toBe('number');
  });

  it('throw UNSAFE_INTEGER beyond 2^53 instead of rounding', async () => {
    const { store } = await database.open();
    const id = await createChat(store);
    await database.query('UPDATE chats SET snapshot_version = 9007199254740993 WHERE id = $1', [
      id,
    ]);
    await expect(store.getChat(id)).rejects.toMatchObject({ code: 'UNSAFE_INTEGER' });
  });
});

describeEachDatabase('ambientTransactions: false', (database) => {
  it('runs updates, creations and family archiving (each member in the root transaction)', async () => {
    const { store } = await database.open({ ambientTransactions: false });
    const rootId = await createChat(store);
    const { chatId: childId } = await store.createChat({
      ownerId: 'o',
      parentChatId: rootId,
      messages: [{ role: 'user', content, createdBy: 'u' }],
    });
    for (const chatId of [rootId, childId]) {
      await store.update(chatId, (chat) => chat.finishTurn());
    }
    expect(await store.setFamilyArchived(rootId, true)).toEqual({ chatIds: [rootId, childId] });
    expect((await store.getChat(childId)).archived).toBe(true);
  });

  it('refuses a value that is not a boolean, naming it', async () => {
    await expect(database.open({ ambientTransactions: 'no' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('ambientTransactions'),
    });
  });

  if (database.kind === 'postgres') {
    it('runs a store read inside a callback outside its transaction: committed data only', async () => {
      const { store } = await database.open({ ambientTransactions: false });
      const chatId = await createChat(store);
      await store.update(chatId, (chat) => chat.finishTurn());
      const seen = await store.update(chatId, async (chat) => {
        await chat.setArchived(true);
        return (await store.getChat(chatId)).archived;
      });
      expect(seen).toBe(false);
      expect((await store.getChat(chatId)).archived).toBe(true);
    });
  }
});
