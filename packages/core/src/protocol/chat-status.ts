import { z } from 'zod';

/** Every {@link ChatStatus}. */
export const CHAT_STATUSES = [
  'waiting',
  'running',
  'interrupting',
  'requires-action',
  'error',
] as const;

/**
 * Where a chat is in its life cycle.
 *
 * - `waiting`: idle, waiting for the next user message. The usual resting state.
 * - `running`: a worker is generating the assistant's reply (including tool calls it runs).
 * - `interrupting`: an interrupt was requested; the worker is stopping and will commit what it
 *   has, then the chat returns to `waiting` (or starts the next queued message).
 * - `requires-action`: the model called client-executed (dynamic) tools; the chat waits for
 *   the client to post their results (see the `action-required` event).
 * - `error`: the last generation failed for good (retries exhausted or not retryable); the
 *   error event carries why. A new user message starts a fresh generation.
 */
export type ChatStatus = (typeof CHAT_STATUSES)[number];

export const chatStatusSchema = z.enum(CHAT_STATUSES);
