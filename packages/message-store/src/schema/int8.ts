import { customType } from 'drizzle-orm/pg-core';
import { toSafeInteger } from '../db/safe-integer.js';

/**
 * A `bigint` column read as a `number`, checked to be a safe integer.
 *
 * Why a custom type rather than `bigint(…, { mode: 'number' })`: the built-in mode converts
 * with `Number()` and silently rounds values above 2^53. And why not driver parsers alone:
 * drizzle's node-postgres driver passes its own per-query type parsers (falling back to pg's
 * global ones), so only the column mapping is guaranteed to run on both drivers.
 */
export const int8 = customType<{ data: number; driverData: string | number | bigint }>({
  dataType: () => 'bigint',
  fromDriver: (value) => toSafeInteger(value),
  toDriver: (value) => value,
});
