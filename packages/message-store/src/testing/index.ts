/**
 * Test helpers for code built on `@chatd/message-store`: a real store on a throwaway in-memory
 * PGlite database, with an in-process PubSub and a ManualClock.
 *
 * @packageDocumentation
 */
export {
  type CreateTestStoreOptions,
  createTestStore,
  type TestStore,
} from './create-test-store.js';
