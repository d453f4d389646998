import { silentLogger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import { PubSub } from '@chatd/pubsub';
import { freshDatabaseDump } from '../db/initdb-in-child.js';
import { openPglite } from '../db/open-pglite.js';
import type { DraftOptions } from '../drafts/draft-writer.js';
import { migrate } from '../migrations/migrator.js';
import type { MessageStore } from '../store/message-store.js';
import { openStore } from '../store/open-store.js';
import type { LeaseOptions, StoreLimits } from '../store/store-options.js';

/** Options of {@link createTestStore}. */
export interface CreateTestStoreOptions {
  /**
   * The PubSub the store publishes through; closed with the test store only when created here.
   * @default a new in-process PubSub
   */
  pubsub?: PubSub;
  /**
   * The clock handed back for the code under test (the store itself reads database time).
   * @default a new ManualClock
   */
  clock?: ManualClock;
  /** Lease options passed to `openStore`. */
  lease?: LeaseOptions;
  /** Limits passed to `openStore`. */
  limits?: StoreLimits;
  /**
   * Draft writer options passed to `openStore`. The database is in memory, so by default the
   * drafts have no remote followers; pass `{ remoteFollowers: true }` to test what a follower
   * on another replica sees.
   */
  drafts?: DraftOptions;
}

/** A store on a throwaway in-memory database, with the pieces it was built from. */
export interface TestStore extends AsyncDisposable {
  /** The store under test, alone on its in-memory database. */
  readonly store: MessageStore;
  /** Its PubSub: subscribe to `chat:update:<id>` or `chat:ownership` to see notifications. */
  readonly pubsub: PubSub;
  /** The clock for the code under test; the store itself reads database time. */
  readonly clock: ManualClock;
  /** Closes the store (dropping the database) and the PubSub if created here. */
  close(): Promise<void>;
}

// A migrated data folder, dumped once per process: loading it takes about 1 s, while a fresh
// PGlite runs initdb (several seconds, and memory this process would keep: initdb runs in a
// child process for that reason).
let template: Promise<Blob> | undefined;

/** A new database with every migration applied, as a gzip dump (not exported by the package). */
export async function migratedDump(): Promise<Blob> {
  const { PGlite } = await import('@electric-sql/pglite');
  const loadDataDir = await freshDatabaseDump();
  const pglite = await PGlite.create(loadDataDir === undefined ? {} : { loadDataDir });
  try {
    const connection = await openPglite({ kind: 'pglite', pglite }, silentLogger);
    await connection.withSession((session) => migrate(session, silentLogger));
    return await pglite.dumpDataDir('gzip');
  } finally {
    await pglite.close();
  }
}

/**
 * Opens a message store on a fresh in-memory PGlite database with an in-process PubSub and a
 * ManualClock: for consumers' tests (workers, servers) that need a real store without a
 * Postgres server. The first call in a process builds a migrated template; later calls copy it.
 *
 * Each store costs roughly 300–700 MB of memory while open: close it after each test (or use
 * `await using`).
 *
 * @example
 * ```ts
 * import { createTestStore } from '@chatd/message-store/testing';
 *
 * it('acquires a chat', async () => {
 *   await using test = await createTestStore();
 *   const { store, pubsub, clock } = test;
 *   // …
 * });
 * ```
 */
export async function createTestStore(options: CreateTestStoreOptions = {}): Promise<TestStore> {
  template ??= migratedDump();
  const loadDataDir = await template.catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  const pubsub = options.pubsub ?? new PubSub();
  const clock = options.clock ?? new ManualClock();
  const store = await openStore(
    { memory: true, loadDataDir },
    {
      pubsub,
      ...(options.lease === undefined ? {} : { lease: options.lease }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.drafts === undefined ? {} : { drafts: options.drafts }),
    },
  );
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await store.close();
      if (options.pubsub === undefined) await pubsub.close();
    })();
    return closing;
  };
  return { store, pubsub, clock, close, [Symbol.asyncDispose]: close };
}
