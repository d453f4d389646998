import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import type { StoreSource } from '../store/store-options.js';
import type {
  PGliteInstance,
  PGliteTransaction,
  PostgresPool,
  PostgresPoolClient,
} from './client-types.js';

// The published types describe the clients structurally (no import of `pg` or PGlite); these
// checks keep the real drivers' types fitting them.
describe('structural client types', () => {
  it('accept a real pg.Pool and its clients', () => {
    expectTypeOf<Pool>().toExtend<PostgresPool>();
    expectTypeOf<PoolClient>().toExtend<PostgresPoolClient>();
    expectTypeOf<{ pool: Pool }>().toExtend<StoreSource>();
  });

  it('accept a real PGlite and its transactions', () => {
    expectTypeOf<PGlite>().toExtend<PGliteInstance>();
    expectTypeOf<Transaction>().toExtend<PGliteTransaction>();
    expectTypeOf<{ pglite: PGlite }>().toExtend<StoreSource>();
  });

  it('refuse values that are not clients', () => {
    expectTypeOf<{ connect: number }>().not.toExtend<PostgresPool>();
    expectTypeOf<{ pool: { query(): void } }>().not.toExtend<StoreSource>();
    expectTypeOf<{ pglite: { query(sql: string): Promise<void> } }>().not.toExtend<StoreSource>();
  });
});
