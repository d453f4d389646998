/*
 * What the store needs from a database client the app passes in, written as structural types:
 * the published declarations then import neither `pg` nor `@electric-sql/pglite`, so a project
 * compiles against them without `@types/pg`, without PGlite's types and with `skipLibCheck` off,
 * while a real `pg.Pool` or `PGlite` still fits.
 */

/**
 * A connection checked out of a {@link PostgresPool}: a `pg.PoolClient` fits. The store runs a
 * transaction or its migrations on it, then releases it.
 */
export interface PostgresPoolClient {
  /** Runs one statement (a `name` makes it a prepared statement on the connection). */
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  /**
   * Returns the connection to the pool, or, given an error, closes it and removes it from the
   * pool (what `pg.PoolClient.release(error)` does).
   */
  release(error?: Error): void;
  /** The connection failed. The store listens before it discards a broken connection. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /**
   * Whether the connection sends a statement before the replies of those before it (`pg`'s
   * `pipeline` option). Otherwise the store waits for each reply before the next statement.
   */
  readonly pipeline?: boolean;
}

/**
 * A Postgres pool the app owns, passed as `openStore({ pool })`: a `pg.Pool` fits. The store
 * never ends it and never changes its settings.
 */
export interface PostgresPool {
  /** Runs one statement on any free connection. */
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  /** Checks out a connection for a transaction or for migrations. */
  connect(): Promise<PostgresPoolClient>;
}

/** The transaction handle {@link PGliteInstance.transaction} passes: PGlite's own fits. */
export interface PGliteTransaction {
  /** Runs one parameterized statement inside the transaction. */
  query(query: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Runs SQL text without parameters inside the transaction: the results of its statements. */
  exec(query: string): Promise<Array<{ rows: unknown[] }>>;
}

/**
 * A PGlite instance the app owns, passed as `openStore({ pglite })`: `PGlite` itself fits. The
 * store never closes it and never changes its parsers.
 */
export interface PGliteInstance {
  /** Runs one parameterized statement. */
  query(query: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * Runs SQL text without parameters (several statements are allowed: migrations); the results
   * of its statements.
   */
  exec(query: string): Promise<Array<{ rows: unknown[] }>>;
  /** Runs `callback` in BEGIN … COMMIT, rolling back when it throws. */
  transaction<T>(callback: (tx: PGliteTransaction) => Promise<T>): Promise<T>;
}
