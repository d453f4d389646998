/*
 * Counts the SQL statements a store sends, at the driver: every call that reaches the server
 * (BEGIN and COMMIT included), whichever code path issued it. For benchmarks and tests that
 * check what an operation costs.
 */
import type {
  PGliteInstance,
  PGliteTransaction,
  PostgresPool,
  PostgresPoolClient,
} from '../db/client-types.js';

/** A pool whose new connections can be watched: a `pg.Pool` fits. */
export interface CountablePool extends PostgresPool {
  /** Called with each connection the pool opens. */
  on(event: 'connect', listener: (client: PostgresPoolClient) => void): unknown;
}

/** The statements seen since the last reset, as short labels. */
export class StatementLog {
  /** Labels of the statements seen, in order: a named statement's name, else its first words. */
  statements: string[] = [];

  /** Forgets what was seen. */
  reset(): void {
    this.statements = [];
  }

  /** Records one statement (SQL text or a `{ name, text }` config). */
  record(statement: unknown): void {
    this.statements.push(label(statement));
  }

  /** Runs `fn` and returns the statements it sent. */
  async during(fn: () => Promise<unknown>): Promise<string[]> {
    this.reset();
    await fn();
    const seen = this.statements;
    this.reset();
    return seen;
  }
}

/** A named statement by its name (on PGlite, run as `EXECUTE name(…)`); SQL text by its first words. */
function label(statement: unknown): string {
  if (typeof statement === 'object' && statement !== null) {
    const { name, text } = statement as { name?: string; text?: string };
    if (name !== undefined) return name;
    return label(text);
  }
  const executed = /^EXECUTE (\w+)/.exec(String(statement));
  if (executed !== null) return executed[1] as string;
  const words = String(statement).trim().split(/\s+/);
  return words.length > 6 ? `${words.slice(0, 6).join(' ')} …` : words.join(' ');
}

/**
 * Wraps `query` of every client the pool connects (`pool.on('connect')`: install before the
 * first connection) and `pool.query`. A `pool.query` call runs `client.query` on a pooled client,
 * so it is counted once, there; `poolQueries` counts the calls that came through `pool.query`.
 */
export function countPgStatements(pool: CountablePool): {
  log: StatementLog;
  poolQueries: () => number;
} {
  const log = new StatementLog();
  let poolQueries = 0;
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      log.record(args[0]);
      return original(...args);
    }) as PostgresPoolClient['query'];
  });
  const originalPoolQuery = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    poolQueries += 1;
    return originalPoolQuery(...args);
  }) as PostgresPool['query'];
  return { log, poolQueries: () => poolQueries };
}

/**
 * Wraps the instance's `query`, `exec` and `transaction` (BEGIN, every `tx.query` / `tx.exec`,
 * then COMMIT or ROLLBACK: PGlite sends those itself, below `query`). Returns a function that
 * removes the wrappers.
 */
export function countPgliteStatements(pglite: PGliteInstance): {
  log: StatementLog;
  restore: () => void;
} {
  const log = new StatementLog();
  const instance = pglite as unknown as Record<string, unknown>;
  const transaction = pglite.transaction.bind(pglite);
  pglite.query = recording(log, pglite.query.bind(pglite));
  pglite.exec = recording(log, pglite.exec.bind(pglite));
  pglite.transaction = (async <T>(fn: (tx: PGliteTransaction) => Promise<T>) => {
    log.record('BEGIN');
    try {
      const result = await transaction((tx) => fn(countingTransaction(tx, log)));
      log.record('COMMIT');
      return result;
    } catch (error) {
      log.record('ROLLBACK');
      throw error;
    }
  }) as PGliteInstance['transaction'];
  return {
    log,
    restore() {
      delete instance.query;
      delete instance.exec;
      delete instance.transaction;
    },
  };
}

function countingTransaction(tx: PGliteTransaction, log: StatementLog): PGliteTransaction {
  return new Proxy(tx, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if ((property === 'query' || property === 'exec') && typeof value === 'function') {
        return recording(log, value.bind(target));
      }
      return value;
    },
  });
}

/** Wraps a bound `query` or `exec` so that it records its SQL text before it runs. */
function recording<Method extends (text: string, ...rest: never[]) => unknown>(
  log: StatementLog,
  method: Method,
): Method {
  return ((text: string, ...rest: never[]) => {
    log.record(text);
    return method(text, ...rest);
  }) as Method;
}
