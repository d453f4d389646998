import { readFile } from 'node:fs/promises';
import { PubSub } from '@chatd/pubsub';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject } from 'vitest';
import type { MessageStore } from '../store/message-store.js';
import { openStore } from '../store/open-store.js';
import type { OpenStoreOptions, StoreSource } from '../store/store-options.js';
import {
  createDatabaseFromTemplate,
  dropDatabase,
  TEST_DATABASE_URL,
  uniqueDatabaseName,
  urlForDatabase,
} from './postgres-admin.js';

/** Which database a suite runs on. */
export type TestDatabaseKind = 'pglite' | 'postgres';

/** A store opened by the harness, with the pubsub it was given. */
export interface OpenedTestStore {
  /** The store, closed automatically after the test (closing it earlier is fine). */
  store: MessageStore;
  /** The store's in-process PubSub, closed after the test. */
  pubsub: PubSub;
}

/** One database for one test file, migrated, emptied before each test. */
export interface TestDatabase {
  /** The database kind. */
  readonly kind: TestDatabaseKind;
  /**
   * Opens a store on this file's database (PGlite: the file's shared instance, via
   * `{ pglite }`; Postgres: the file's database, via `{ url }` with its own pool). Default: a
   * new in-process PubSub.
   */
  open(options?: Partial<OpenStoreOptions>): Promise<OpenedTestStore>;
  /** A source for opening more stores on the same database yourself. */
  source(): StoreSource;
  /** The file's database URL (Postgres only). */
  readonly url: string | undefined;
  /** Runs SQL outside any store, e.g. to check rows. int8 arrive as string or number. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

let warned = false;

class FileDatabase implements TestDatabase {
  readonly kind: TestDatabaseKind;
  url: string | undefined;
  #pglite: PGlite | undefined;
  #adminPool: pg.Pool | undefined;
  #databaseName: string | undefined;
  readonly #opened: OpenedTestStore[] = [];

  constructor(kind: TestDatabaseKind) {
    this.kind = kind;
  }

  async setUp(): Promise<void> {
    if (this.kind === 'pglite') {
      const tarball = await readFile(inject('pgliteTemplatePath'));
      const { PGlite } = await import('@electric-sql/pglite');
      this.#pglite = await PGlite.create({ loadDataDir: new Blob([tarball]) });
      return;
    }
    const baseUrl = TEST_DATABASE_URL as string;
    this.#databaseName = uniqueDatabaseName('test');
    await createDatabaseFromTemplate(
      baseUrl,
      this.#databaseName,
      inject('postgresTemplateDatabase'),
    );
    this.url = urlForDatabase(baseUrl, this.#databaseName);
    this.#adminPool = new pg.Pool({ connectionString: this.url, max: 2 });
    // Dropping the database at teardown ends idle clients with an error: expected.
    this.#adminPool.on('error', () => {});
  }

  async tearDown(): Promise<void> {
    await this.closeOpened();
    await this.#pglite?.close();
    await this.#adminPool?.end();
    if (this.#databaseName !== undefined) {
      await dropDatabase(TEST_DATABASE_URL as string, this.#databaseName);
    }
  }

  async reset(): Promise<void> {
    await this.query(
      'TRUNCATE chats, chat_messages, chat_queued_messages, chat_heartbeats RESTART IDENTITY CASCADE',
    );
  }

  async closeOpened(): Promise<void> {
    for (const opened of this.#opened.splice(0)) {
      await opened.store.close();
      await opened.pubsub.close();
    }
  }

  source(): StoreSource {
    if (this.#pglite !== undefined) return { pglite: this.#pglite };
    return { url: this.url as string, maxConnections: 4 };
  }

  async open(options: Partial<OpenStoreOptions> = {}): Promise<OpenedTestStore> {
    const pubsub = options.pubsub ?? new PubSub();
    const store = await openStore(this.source(), { ...options, pubsub });
    const opened = { store, pubsub };
    this.#opened.push(opened);
    return opened;
  }

  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (this.#pglite !== undefined) return (await this.#pglite.query<Row>(sql, params)).rows;
    const result = await (this.#adminPool as pg.Pool).query(sql, params);
    return result.rows as Row[];
  }
}

/**
 * Runs `suite` twice: on PGlite (an in-memory instance per file, loaded from a migrated
 * template) and on real Postgres (a database per file, copied from a migrated template). The
 * Postgres run is skipped, with a printed notice, when `TEST_DATABASE_URL` is unset.
 *
 * Tables are emptied before each test and stores opened with `database.open()` are closed
 * after it. Needs this package's vitest global setup (`src/test-support/global-setup.ts`).
 *
 * @example
 * ```ts
 * describeEachDatabase('chat listing', (database) => {
 *   it('lists newest first', async () => {
 *     const { store } = await database.open();
 *     // …
 *   });
 * });
 * ```
 */
export function describeEachDatabase(name: string, suite: (database: TestDatabase) => void): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    const skip = kind === 'postgres' && TEST_DATABASE_URL === undefined;
    if (skip && !warned) {
      warned = true;
      console.warn('TEST_DATABASE_URL is unset: skipping the Postgres runs of the store suites');
    }
    describe.skipIf(skip)(`${name} [${kind}]`, () => {
      const database = new FileDatabase(kind);
      beforeAll(() => database.setUp());
      afterAll(() => database.tearDown());
      beforeEach(() => database.reset());
      afterEach(() => database.closeOpened());
      suite(database);
    });
  }
}
