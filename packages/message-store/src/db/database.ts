import { AsyncLocalStorage } from 'node:async_hooks';
import { RootHandleInTransactionError, TransactionEndedError } from '../errors/store-errors.js';
import type { PGliteInstance } from './client-types.js';

/** Which driver a database uses. */
export type DriverKind = 'pglite' | 'postgres';

/**
 * A SQL statement. A `name` makes it a named prepared statement on `pg`: parsed and planned
 * once per connection, then only bound and executed. Give names to the statements that run on
 * every transition; one-off queries go without.
 */
export interface Statement {
  /** Unique per `text`, stable across processes. */
  readonly name?: string;
  /** SQL with `$1`, `$2`, … placeholders. */
  readonly text: string;
}

/**
 * A named statement of the store. The `chatd_ms_` prefix keeps its names apart from the
 * prepared statements of an app that shares the connection.
 */
export function namedStatement(name: string, text: string): Statement {
  return { name: `chatd_ms_${name}`, text };
}

const COMMITTING = 'This transaction has sent its COMMIT; no statement may follow';
const ENDED =
  'This transaction has ended (its callback returned or threw); await every statement and ' +
  'transition inside the callback';

/** Something that runs SQL: the root database, or an open transaction. */
export interface Queryable {
  /** Runs one statement and returns its rows as the driver parsed them. */
  query<Row = Record<string, unknown>>(
    statement: Statement | string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
}

/** One dedicated connection, for migrations. */
export interface Session extends Queryable {
  /** Runs SQL text without parameters: several statements are allowed. */
  exec(sql: string): Promise<void>;
}

/**
 * An open transaction. It counts its statements so that a value read by one statement can be
 * reused until another statement runs (see {@link Transaction.remember}).
 */
export class Transaction implements Queryable {
  readonly #run: Queryable['query'];
  readonly #runAndCommit: Queryable['query'];
  readonly #memo = new Map<string, { value: unknown; at: number }>();
  #statements = 0;
  #committing = false;
  #committed = false;
  #ended = false;
  /** Callbacks to run once the transaction has committed (never after a rollback). */
  readonly afterCommit: Array<() => void> = [];

  /** @internal Built by {@link Database.transaction}. */
  constructor(run: Queryable['query'], runAndCommit: Queryable['query']) {
    this.#run = run;
    this.#runAndCommit = runAndCommit;
  }

  /** Statements run so far. */
  get statements(): number {
    return this.#statements;
  }

  /** Whether {@link queryAndCommit} has run: the commit is on its way, nothing may follow. */
  get committing(): boolean {
    return this.#committing;
  }

  /** Whether {@link queryAndCommit} succeeded: the transaction's work stands, whatever follows. */
  get committed(): boolean {
    return this.#committed;
  }

  query<Row = Record<string, unknown>>(
    statement: Statement | string,
    params?: readonly unknown[],
  ): Promise<Row[]> {
    return this.#send<Row>(statement, params, false);
  }

  /**
   * Runs the transaction's last statement with its COMMIT right behind it: on the store's own
   * Postgres connections both go out together, so the commit costs no round trip of its own.
   * When the statement fails, Postgres answers the COMMIT with a rollback. For the root
   * transaction only: a joined one would commit its outer transaction's work early.
   */
  queryAndCommit<Row = Record<string, unknown>>(
    statement: Statement | string,
    params?: readonly unknown[],
  ): Promise<Row[]> {
    return this.#send<Row>(statement, params, true);
  }

  /**
   * Refuses every later statement: the callback is over and the connection is about to be
   * committed or rolled back and handed back to the pool.
   * @internal Called by {@link Database.transaction}.
   */
  end(): void {
    this.#ended = true;
  }

  #send<Row>(
    statement: Statement | string,
    params: readonly unknown[] | undefined,
    commit: boolean,
  ): Promise<Row[]> {
    if (this.#ended) return Promise.reject(new TransactionEndedError(ENDED));
    if (this.#committing) return Promise.reject(new TransactionEndedError(COMMITTING));
    this.#statements += 1;
    if (!commit) return this.#run<Row>(statement, params);
    this.#committing = true;
    return this.#runAndCommit<Row>(statement, params).then((rows) => {
      this.#committed = true;
      return rows;
    });
  }

  /** Keeps `value` (what the statement just run returned) under `key`. */
  remember(key: string, value: unknown): void {
    this.#memo.set(key, { value, at: this.#statements });
  }

  /** The value remembered under `key`, if no statement has run since: nothing could change it. */
  recall<T>(key: string): T | undefined {
    const entry = this.#memo.get(key);
    return entry !== undefined && entry.at === this.#statements ? (entry.value as T) : undefined;
  }
}

interface Frame {
  readonly database: Database;
  readonly tx: Transaction;
  open: boolean;
  /** The frame this one runs inside (another database's transaction, say). */
  readonly parent: Frame | undefined;
}

function* openFrames(): Generator<Frame> {
  for (let frame = frames.getStore(); frame !== undefined; frame = frame.parent) {
    if (frame.open) yield frame;
  }
}

/*
 * The one record of "which transaction is this code running in". It serves two purposes:
 * `transaction()` called inside an open transaction of the same database joins it (so a nested
 * `store.update` commits with the outer one), and a root-handle query inside it is refused.
 * Why refuse: PGlite has one connection and serialises queries, so a root query while a
 * transaction is open waits for that transaction, which waits for the query (a deadlock); on
 * Postgres the same mistake silently runs outside the transaction.
 */
const frames = new AsyncLocalStorage<Frame>();

/*
 * On Node 20 an enabled AsyncLocalStorage installs promise hooks for the whole process: every
 * promise anywhere (the AI SDK's web streams included) costs about 1.5× as much. The store
 * only needs the context while a transaction is open, so it disables the storage whenever none
 * is; `frames.run` enables it again. Disabling loses no context that matters: only frames of
 * open transactions are ever read (`openFrames`), and at that moment there are none.
 */
let openTransactions = 0;

/**
 * Runs `fn` (and the async work it starts) as if no transaction were open: for work that is
 * not part of the caller's transaction and must not be refused as a root-handle use inside
 * it, such as a draft batch written in the background. On PGlite such a query waits for the
 * open transaction to end, on Postgres it runs on another connection; either way the caller
 * must not wait for it inside the transaction.
 */
export function outsideTransactions<T>(fn: () => T): T {
  return frames.exit(fn);
}

/** What a driver provides: its own queries, transactions and one-connection sessions. */
export interface DriverAdapter {
  readonly driver: DriverKind;
  /**
   * The client underneath (the PGlite instance or the pool): two stores on one PGlite share
   * its single connection, so a transaction of either blocks root queries of both.
   */
  readonly client: object;
  query: Queryable['query'];
  /**
   * Runs `fn` in BEGIN … COMMIT on one connection (ROLLBACK when it throws). `fn` may end the
   * transaction itself with `queryAndCommit`: its statement and the COMMIT, sent together.
   */
  transaction<T>(
    fn: (query: Queryable['query'], queryAndCommit: Queryable['query']) => Promise<T>,
  ): Promise<T>;
  /** Runs `fn` on one dedicated connection (migrations take an advisory lock on it). */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /** Releases what the store opened; leaves app-owned clients open. */
  close(): Promise<void>;
}

/** An open database as the store sees it, whichever driver and owner. */
export class Database implements Queryable {
  readonly #adapter: DriverAdapter;
  #ambient = true;
  #closing: Promise<void> | undefined;

  /** @internal Built by `openPglite` / `openPostgres`. */
  constructor(adapter: DriverAdapter) {
    this.#adapter = adapter;
  }

  /**
   * Turns off the tracking of which transaction the caller runs in (the store's
   * `ambientTransactions: false`): `transaction()` then never joins an open one and root
   * queries are never refused, and no AsyncLocalStorage is enabled for this database.
   * @internal Called by `openStore` before the database is used.
   */
  disableAmbientTransactions(): void {
    this.#ambient = false;
  }

  get driver(): DriverKind {
    return this.#adapter.driver;
  }

  /** The PGlite instance underneath; `undefined` on Postgres. */
  get pglite(): PGliteInstance | undefined {
    return this.#adapter.driver === 'pglite' ? (this.#adapter.client as PGliteInstance) : undefined;
  }

  /** The transaction of this database the caller runs in, if any. */
  currentTransaction(): Transaction | undefined {
    if (!this.#ambient) return undefined;
    for (const frame of openFrames()) if (frame.database === this) return frame.tx;
    return undefined;
  }

  /** Whether the caller runs inside an open transaction of this database's client. */
  insideTransaction(): boolean {
    if (!this.#ambient) return false;
    for (const frame of openFrames()) {
      if (frame.database.#adapter.client === this.#adapter.client) return true;
    }
    return false;
  }

  /**
   * Runs one statement outside any transaction.
   * @throws RootHandleInTransactionError `ROOT_HANDLE_IN_TRANSACTION` inside a transaction of
   *   this database: use its handle.
   */
  query<Row = Record<string, unknown>>(
    statement: Statement | string,
    params?: readonly unknown[],
  ): Promise<Row[]> {
    if (this.insideTransaction()) return Promise.reject(new RootHandleInTransactionError());
    return this.#adapter.query<Row>(statement, params);
  }

  /**
   * Runs `fn` in a transaction, or in the caller's open transaction of this database (then the
   * outer one commits or rolls back everything). After a commit, runs the transaction's
   * `afterCommit` callbacks. Aborting `signal` before the commit rolls back.
   * @throws RootHandleInTransactionError `ROOT_HANDLE_IN_TRANSACTION` inside a transaction of
   *   another database on the same client.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const outer = this.currentTransaction();
    if (outer !== undefined) return fn(outer);
    // Another database on the same client (one PGlite connection) is inside a transaction:
    // starting one here would wait for that connection forever.
    if (this.insideTransaction()) throw new RootHandleInTransactionError();
    let committed: Transaction | undefined;
    let failedAfterCommit: { error: unknown } | undefined;
    const result = await this.#adapter.transaction(async (run, runAndCommit) => {
      const tx = new Transaction(run, runAndCommit);
      try {
        const value = await this.#inFrame(tx, () => fn(tx));
        // Last chance to cancel: past this point the commit is on its way (or already done).
        if (!tx.committing) signal?.throwIfAborted();
        committed = tx;
        return value;
      } catch (error) {
        // Once queryAndCommit has committed nothing can undo it (PGlite, which commits when
        // this callback returns, must not roll back either): the work stands, its callbacks
        // run, and the error is reported after that.
        if (!tx.committed) throw error;
        committed = tx;
        failedAfterCommit = { error };
        return undefined as T;
      } finally {
        tx.end();
      }
    });
    for (const callback of committed?.afterCommit ?? []) callback();
    if (failedAfterCommit !== undefined) throw failedAfterCommit.error;
    return result;
  }

  /** Runs `fn` as the code of `tx`'s transaction, for {@link currentTransaction}. */
  async #inFrame<T>(tx: Transaction, fn: () => Promise<T>): Promise<T> {
    if (!this.#ambient) return fn();
    const frame: Frame = { database: this, tx, open: true, parent: frames.getStore() };
    openTransactions += 1;
    try {
      return await frames.run(frame, fn);
    } finally {
      frame.open = false;
      openTransactions -= 1;
      if (openTransactions === 0) frames.disable();
    }
  }

  /** Runs `fn` on one dedicated connection. */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.#adapter.withSession(fn);
  }

  /** Releases every connection the store opened; app-owned clients stay open. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#adapter.close();
    return this.#closing;
  }
}
