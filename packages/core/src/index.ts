/**
 * The shared vocabulary of chatd and the small runtime pieces every package needs.
 *
 * - **Protocol types with zod schemas**: chat statuses, durable message parts, streaming parts
 *   that map one to one onto the AI SDK's UI message stream chunks, stream events and error
 *   payloads, with `parse*` helpers that are strict on write and tolerant on read.
 * - **{@link ChatdError}**: the error base class with stable codes and a cross-copy
 *   `isInstance`.
 * - **{@link Clock}**: the one source of time, so every timeout can be driven by tests
 *   (`ManualClock` in `@chatd/core/testing`).
 * - **{@link Logger}**: the pino subset libraries accept, silent by default; {@link redactUrl}.
 * - **{@link BoundedQueue}**: the one bounded push-to-pull bridge with a named overflow policy.
 *
 * Depends on zod only.
 *
 * @packageDocumentation
 */
export * from './clock/index.js';
export * from './errors/index.js';
export * from './logger/index.js';
export * from './protocol/index.js';
export * from './queue/index.js';
export * from './url/index.js';
