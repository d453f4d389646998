import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { storeSchema } from '../schema/tables.js';

/** The drizzle schema of the store: its four tables. */
export type StoreSchema = typeof storeSchema;

/**
 * The root database handle: drizzle over PGlite or node-postgres, one type for both.
 *
 * Never use it inside a transaction: use the transaction's handle (see {@link DbExecutor}).
 * The store enforces this: a root-handle query inside a transaction's async context throws
 * `ROOT_HANDLE_IN_TRANSACTION`.
 */
export type Db = PgDatabase<PgQueryResultHKT, StoreSchema>;

/** A transaction handle, as passed to `db.transaction(async (tx) => …)`. */
export type DbTransaction = PgTransaction<
  PgQueryResultHKT,
  StoreSchema,
  ExtractTablesWithRelations<StoreSchema>
>;

/** Either handle: what query functions take, so they run inside or outside a transaction. */
export type DbExecutor = Db | DbTransaction;

/**
 * Runs raw SQL through an executor and returns its rows as the driver produced them.
 *
 * int8 columns come back as `string` (pg) or `number` (PGlite); pass each through
 * `toSafeInteger` (or select with `sql<number>`…`.mapWith(toSafeInteger)` in a typed query).
 * Timestamps come back as strings: select `extract(epoch …)` or use a typed query for `Date`s.
 *
 * @example
 * ```ts
 * const rows = await queryRows<{ id: string }>(tx, sql`SELECT id FROM chats WHERE id = ${id} FOR UPDATE`);
 * ```
 */
export async function queryRows<Row = Record<string, unknown>>(
  executor: DbExecutor,
  query: SQL,
): Promise<Row[]> {
  const result = (await executor.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}
