import type { ExecutionState } from './classify.js';

/** The name of a chat state machine transition, as the `ChatTransitions` method is named. */
export type TransitionName =
  | 'createChat'
  | 'sendMessage'
  | 'editMessage'
  | 'deleteQueued'
  | 'promoteQueued'
  | 'interrupt'
  | 'setArchived'
  | 'requestCompaction'
  | 'acquire'
  | 'abandon'
  | 'recordGenerationAttempt'
  | 'recordRetryState'
  | 'commitStep'
  | 'enterRequiresAction'
  | 'completeRequiresAction'
  | 'cancelRequiresAction'
  | 'finishInterruption'
  | 'finishTurn'
  | 'finishError'
  | 'reconcileInvalidState';

/**
 * Transitions that only change ownership (worker and runner ids). They are allowed from every
 * existing state, `Invalid` included (a worker may hold an invalid chat while reconciling it),
 * and never change the execution state.
 */
const OWNERSHIP_TRANSITIONS: ReadonlySet<TransitionName> = new Set(['acquire', 'abandon']);

/** One state's row of the {@link TRANSITION_MATRIX}: allowed transitions and their outputs. */
type TransitionMatrixRow = Readonly<Partial<Record<TransitionName, readonly ExecutionState[]>>>;

/**
 * The transition matrix: for each execution state, the transitions allowed from it and the
 * states each may land in. Anything absent is rejected.
 * Ownership-only transitions ({@link OWNERSHIP_TRANSITIONS}) are not listed: they are allowed
 * everywhere and land where they started.
 */
const TRANSITION_MATRIX: Readonly<Record<ExecutionState, TransitionMatrixRow>> = {
  N: { createChat: ['R0'] },
  W: {
    setArchived: ['XW'],
    sendMessage: ['R0'],
    editMessage: ['R0'],
    requestCompaction: ['R0'],
  },
  E0: { setArchived: ['XE0'], sendMessage: ['R0'], editMessage: ['R0'] },
  E1: {
    setArchived: ['XE1'],
    sendMessage: ['R1'],
    editMessage: ['R0'],
    deleteQueued: ['E0', 'E1'],
    promoteQueued: ['R0', 'R1'],
  },
  R0: {
    sendMessage: ['R1', 'I1'],
    editMessage: ['R0'],
    interrupt: ['I0'],
    recordGenerationAttempt: ['R0'],
    recordRetryState: ['R0'],
    commitStep: ['R0'],
    enterRequiresAction: ['A0'],
    finishTurn: ['W'],
    finishError: ['E0'],
  },
  R1: {
    sendMessage: ['R1', 'I1'],
    editMessage: ['R0'],
    deleteQueued: ['R0', 'R1'],
    promoteQueued: ['I1'],
    interrupt: ['I1'],
    recordGenerationAttempt: ['R1'],
    recordRetryState: ['R1'],
    commitStep: ['R1'],
    enterRequiresAction: ['A1'],
    finishTurn: ['R0', 'R1'],
    finishError: ['E1'],
  },
  I0: { sendMessage: ['I1'], editMessage: ['R0'], finishInterruption: ['W'] },
  I1: {
    sendMessage: ['I1'],
    editMessage: ['R0'],
    deleteQueued: ['I0', 'I1'],
    promoteQueued: ['I1'],
    finishInterruption: ['R0', 'R1'],
  },
  A0: {
    sendMessage: ['A1', 'R1'],
    editMessage: ['R0'],
    interrupt: ['R0'],
    completeRequiresAction: ['R0'],
    cancelRequiresAction: ['R0'],
  },
  A1: {
    sendMessage: ['A1', 'R1'],
    editMessage: ['R0'],
    deleteQueued: ['A0', 'A1'],
    promoteQueued: ['R0', 'R1'],
    interrupt: ['R1'],
    completeRequiresAction: ['R1'],
    cancelRequiresAction: ['R1'],
  },
  XW: { setArchived: ['W'] },
  XE0: { setArchived: ['E0'] },
  XE1: { setArchived: ['E1'] },
  Invalid: { reconcileInvalidState: ['E0', 'E1'] },
};

/**
 * The states `transition` may land in from `state`, or `undefined` when the matrix does not
 * allow it. Ownership-only transitions land where they started (on any existing chat).
 */
export function allowedOutputs(
  state: ExecutionState,
  transition: TransitionName,
): readonly ExecutionState[] | undefined {
  if (OWNERSHIP_TRANSITIONS.has(transition)) return state === 'N' ? undefined : [state];
  return TRANSITION_MATRIX[state][transition];
}
