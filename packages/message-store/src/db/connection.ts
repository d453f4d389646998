import type { MigrationSession } from '../migrations/migrator.js';
import type { Db } from './types.js';

/** Which driver a connection uses. */
export type DriverKind = 'pglite' | 'postgres';

/** An open database as the store sees it, whichever driver and owner. */
export interface DbConnection {
  /** Root drizzle handle, transaction-guarded. */
  readonly db: Db;
  /** The driver in use. */
  readonly driver: DriverKind;
  /** Runs `fn` on one dedicated session (one connection), e.g. for migrations. */
  withSession<T>(fn: (session: MigrationSession) => Promise<T>): Promise<T>;
  /** Releases everything the store opened; leaves app-owned clients open. Idempotent. */
  close(): Promise<void>;
}
