/**
 * Test helpers for code built on `@chatd/core`: a manual {@link ManualClock} that tests drive
 * explicitly.
 *
 * @packageDocumentation
 */
export { ManualClock, type ManualClockOptions } from './manual-clock.js';
