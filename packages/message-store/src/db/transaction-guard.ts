import { AsyncLocalStorage } from 'node:async_hooks';
import { RootHandleInTransactionError } from '../errors/store-errors.js';
import type { Db } from './types.js';

/*
 * Why a guard: PGlite has one connection and serialises queries, so a query on the root
 * handle while a transaction is open waits for that transaction, which waits for the query: a
 * deadlock. On Postgres the same mistake runs the query outside the transaction (wrong data,
 * or a lock wait on our own row). Both are caught at the first query instead.
 *
 * How: `db.transaction` runs its callback in an AsyncLocalStorage scope; the driver client
 * under the root handle is wrapped so its query methods throw inside an open scope. Work the
 * callback leaves running after the transaction ends sees the scope closed and may use the
 * root handle.
 */

/** Identifies one database (one root handle): the guard of one store ignores the others'. */
export type GuardOwner = object;

interface TransactionScope {
  readonly owner: GuardOwner;
  open: boolean;
  /** The scope this one is nested in (another store's transaction, say). */
  readonly parent: TransactionScope | undefined;
}

const scope = new AsyncLocalStorage<TransactionScope>();

/**
 * Whether the caller runs inside an open `db.transaction` callback of `owner`'s root handle
 * (of any guarded handle when `owner` is omitted).
 */
export function insideTransaction(owner?: GuardOwner): boolean {
  for (let current = scope.getStore(); current !== undefined; current = current.parent) {
    if (current.open && (owner === undefined || current.owner === owner)) return true;
  }
  return false;
}

/**
 * A proxy of `client` whose `methods` throw `ROOT_HANDLE_IN_TRANSACTION` inside a transaction
 * scope. Other members pass through, bound to the real client (PGlite uses private fields);
 * `instanceof` still works because the prototype is forwarded.
 */
export function guardClient<Client extends object>(
  client: Client,
  methods: readonly string[],
  owner: GuardOwner,
) {
  const guarded = new Set(methods);
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && guarded.has(property)) {
        return (...args: unknown[]) => {
          if (insideTransaction(owner)) throw new RootHandleInTransactionError();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/**
 * Drizzle wraps whatever a driver call throws in a `DrizzleQueryError`; the guard's error is
 * the caller's bug, so it is surfaced unwrapped.
 */
function surfaceGuardError(error: unknown): unknown {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof RootHandleInTransactionError) return current;
  }
  return error;
}

/** Makes `db.transaction` open a guard scope around its callback. Mutates `db` (ours). */
export function scopeTransactions(db: Db, owner: GuardOwner): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((callback, config) =>
    transaction(async (tx) => {
      const state: TransactionScope = { owner, open: true, parent: scope.getStore() };
      try {
        return await scope.run(state, () => callback(tx));
      } catch (error) {
        throw surfaceGuardError(error);
      } finally {
        state.open = false;
      }
    }, config)) as Db['transaction'];
}
