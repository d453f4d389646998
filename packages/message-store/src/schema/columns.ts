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

/**
 * The SQL select list of a table: `alias.column AS "<prefix>field"` for every column (a prefix
 * keeps two tables' fields apart in one result).
 */
export function selectList(table: Columns, alias: string, prefix = ''): string {
  return Object.entries(table)
    .map(([field, { sqlName }]) => `${alias}.${sqlName} AS "${prefix}${field}"`)
    .join(', ');
}

/** A reader of rows selected with {@link selectList} (and the same prefix). */
export function rowReader<Table extends Columns>(
  table: Table,
  prefix = '',
): (raw: Record<string, unknown>) => RowOf<Table> {
  const entries = Object.entries(table).map(
    ([field, column]) => [field, `${prefix}${field}`, column.read] as const,
  );
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const [field, key, read] of entries) {
      const value = raw[key];
      row[field] = value === null || value === undefined ? null : read(value);
    }
    return row as RowOf<Table>;
  };
}
