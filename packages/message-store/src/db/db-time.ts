import { sql } from 'drizzle-orm';
import { type DbExecutor, queryRows } from './types.js';

/**
 * The database's `now()`: the start time of the current transaction (or statement, outside
 * one). Leases and deadlines use DB time so clocks of different processes never disagree.
 */
export async function dbNow(executor: DbExecutor): Promise<Date> {
  // Epoch milliseconds as float8: parsed to a number by both drivers, unlike timestamptz text.
  const [row] = await queryRows<{ ms: number }>(
    executor,
    sql`SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms`,
  );
  return new Date(Number(row?.ms));
}
