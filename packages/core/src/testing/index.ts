/**
 * Test helpers for code built on `@chatd/core`: a {@link ManualClock} that tests drive
 * explicitly, a resource-leak check and {@link errorOf} for asserting a typed error.
 *
 * @packageDocumentation
 */
export { errorOf } from './error-of.js';
export { ManualClock, type ManualClockOptions } from './manual-clock.js';
export { newResourcesSince, type ResourceSnapshot, snapshotResources } from './resources.js';
