import type { ChatStatus } from '@chatd/core';

/**
 * A chat's execution state: its status combined with `archived`, whether its queue is empty
 * and whether it exists at all. The transition matrix is keyed by it.
 *
 * - `N`: no row.
 * - `W`: waiting, not archived, queue empty.
 * - `E0` / `E1`: error, not archived, queue empty / not empty.
 * - `R0` / `R1`: running, not archived, queue empty / not empty.
 * - `I0` / `I1`: interrupting, not archived, queue empty / not empty.
 * - `A0` / `A1`: requires-action, not archived, queue empty / not empty.
 * - `XW`, `XE0`, `XE1`: archived waiting (queue empty), archived error (queue empty / not).
 * - `Invalid`: any other combination (archived and busy, waiting with a queue, …), which the
 *   machine never produces; only `reconcileInvalidState` leaves it.
 */
export type ExecutionState =
  | 'N'
  | 'W'
  | 'E0'
  | 'E1'
  | 'R0'
  | 'R1'
  | 'I0'
  | 'I1'
  | 'A0'
  | 'A1'
  | 'XW'
  | 'XE0'
  | 'XE1'
  | 'Invalid';

/** Every {@link ExecutionState}, `N` first. */
export const EXECUTION_STATES: readonly ExecutionState[] = [
  'N',
  'W',
  'E0',
  'E1',
  'R0',
  'R1',
  'I0',
  'I1',
  'A0',
  'A1',
  'XW',
  'XE0',
  'XE1',
  'Invalid',
];

/** What the classifier looks at: the chat row's status and archived flag and its queue length. */
interface ExecutionFacts {
  /** The chat's status. */
  status: ChatStatus;
  /** Whether the chat is archived. */
  archived: boolean;
  /** How many messages wait in the chat's queue. */
  queuedCount: number;
}

const RUNNABLE: ReadonlySet<ExecutionState> = new Set(['R0', 'R1', 'I0', 'I1', 'A0', 'A1']);

/** The state of an unarchived chat by status: with an empty queue, and with queued messages. */
const UNARCHIVED = new Map<ChatStatus, readonly [empty: ExecutionState, queued: ExecutionState]>([
  ['waiting', ['W', 'Invalid']],
  ['error', ['E0', 'E1']],
  ['running', ['R0', 'R1']],
  ['interrupting', ['I0', 'I1']],
  ['requires-action', ['A0', 'A1']],
]);

/**
 * Classifies a chat into its {@link ExecutionState}.
 * @param facts - The row's facts, or `undefined` when the chat does not exist.
 */
export function classifyExecutionState(facts: ExecutionFacts | undefined): ExecutionState {
  if (facts === undefined) return 'N';
  const queued = facts.queuedCount > 0;
  if (facts.archived) {
    if (facts.status === 'waiting' && !queued) return 'XW';
    if (facts.status === 'error') return queued ? 'XE1' : 'XE0';
    return 'Invalid';
  }
  // A status from a newer version is not in the map: nothing here knows how to move it.
  return UNARCHIVED.get(facts.status)?.[queued ? 1 : 0] ?? 'Invalid';
}

/**
 * Whether a chat in `state` needs a worker: running, interrupting or waiting for client tool
 * results (whose deadline a worker enforces).
 */
export function isRunnable(state: ExecutionState): boolean {
  return RUNNABLE.has(state);
}
