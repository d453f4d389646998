import { toSafeInteger } from '../db/safe-integer.js';

/**
 * One column of a table as the store reads it: its SQL name, and how a driver's value becomes
 * the row field. Both drivers return text for `bigint` (pg) or a number (PGlite), and a
 * consumer's own pool may parse dates or JSON differently: every value goes through `read`.
 */
export interface Column<T> {
  /** The column's name in SQL. */
  readonly sqlName: string;
  /** Whether SQL NULL is allowed (then `read` receives only non-null values). */
  readonly nullable: boolean;
  /** Converts a non-null driver value. */
  readonly read: (value: unknown) => T;
}

/** A table description: row field name → column. */
export type Columns = Record<string, Column<unknown>>;

/** The row a description reads into. */
export type RowOf<Table extends Columns> = {
  [Field in keyof Table]: Table[Field] extends Column<infer T>
    ? Table[Field]['nullable'] extends true
      ? T | null
      : T
    : never;
};

function column<T>(read: (value: unknown) => T) {
  return (sqlName: string): Column<T> & { nullable: false } => ({
    sqlName,
    nullable: false,
    read,
  });
}

/** Makes a column nullable. */
export function nullable<T>(base: Column<T>): Column<T> & { nullable: true } {
  return { ...base, nullable: true };
}

/** `text` / `uuid`. */
export const text = column((value) => String(value));
/** `text` holding one of a closed set of values (checked by the table's CHECK constraint). */
export const textEnum = <T extends string>() => column((value) => value as T);
/** `bigint`, read as a number that must be a safe integer. */
export const int8 = column(toSafeInteger);
/** `integer`. */
export const int4 = column((value) => Number(value));
/** `boolean`. */
export const bool = column((value) => value === true);
/** `timestamptz`. */
export const timestamp = column((value) =>
  value instanceof Date ? value : new Date(value as string),
);
/** `text[]`. */
export const textArray = column((value) => value as string[]);
/** `jsonb`, passed through `read` (a tolerant reader for data written by newer versions). */
export const json = <T>(read: (value: unknown) => T = (value) => value as T) => column(read);

/** The SQL select list of a table: `alias.column AS "field"` for every column. */
export function selectList(table: Columns, alias: string): string {
  return Object.entries(table)
    .map(([field, { sqlName }]) => `${alias}.${sqlName} AS "${field}"`)
    .join(', ');
}

/** A reader of rows selected with {@link selectList}. */
export function rowReader<Table extends Columns>(
  table: Table,
): (raw: Record<string, unknown>) => RowOf<Table> {
  const entries = Object.entries(table);
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const [field, { read }] of entries) {
      const value = raw[field];
      row[field] = value === null || value === undefined ? null : read(value);
    }
    return row as RowOf<Table>;
  };
}
