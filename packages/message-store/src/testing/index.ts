/**
 * Test helpers for code built on `@chatd/message-store`: a real store on a throwaway in-memory
 * PGlite database, with an in-process PubSub and a ManualClock, and throwaway databases on a
 * real Postgres server, and statement counters for a driver (to count what an operation costs).
 *
 * @packageDocumentation
 */

export {
  type CountablePool,
  countPgliteStatements,
  countPgStatements,
  StatementLog,
} from './count-statements.js';
export { createTestDatabase, type TestDatabase } from './create-test-database.js';
export {
  type CreateTestStoreOptions,
  createTestStore,
  type TestStore,
} from './create-test-store.js';
