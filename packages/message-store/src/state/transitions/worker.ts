import { findJsonIssues, InvalidArgumentError, type JsonValue } from '@chatd/core';
import { TransitionNotAllowedError } from '../errors.js';
import type { StateMessageInsert } from '../state-queries.js';
import type { TransitionScope } from './scope.js';

/** Who takes ownership of a chat. */
export interface AcquireInput {
  /** The worker (process) taking the chat. */
  workerId: string;
  /** The runner inside that worker; its heartbeat row keeps the lease alive. */
  runnerId: string;
}

/** Messages a generation step produced. */
export interface CommitStepInput {
  /** At least one message (assistant output, tool results). */
  messages: readonly StateMessageInsert[];
  /**
   * Clears the compaction marker in the same transaction: the step is the compaction the marker
   * asked for.
   * @default false
   */
  consumeCompactionRequest?: boolean;
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(name, 'expected a non-empty string');
  }
}

/** `acquire`: see {@link ChatTransitions.acquire}. */
export async function acquire(scope: TransitionScope, input: AcquireInput): Promise<void> {
  requireText('workerId', input.workerId);
  requireText('runnerId', input.runnerId);
  // Unconditional: fencing against a previous owner is the caller's job. The heartbeat makes
  // the lease live at once, so this update publishes no ownership hint.
  await scope.set(
    { workerId: input.workerId, runnerId: input.runnerId },
    { carryCompaction: true },
  );
  await scope.q.upsertHeartbeat(scope.chatId, input.runnerId, input.workerId);
}

/** `abandon`: see {@link ChatTransitions.abandon}. */
export async function abandon(scope: TransitionScope): Promise<void> {
  if (scope.row.workerId === null) {
    throw new TransitionNotAllowedError(scope.state, 'abandon', 'the chat has no owner');
  }
  await scope.set({ workerId: null, runnerId: null }, { carryCompaction: true });
}

/** `recordGenerationAttempt`: see {@link ChatTransitions.recordGenerationAttempt}. */
export async function recordGenerationAttempt(scope: TransitionScope): Promise<number> {
  return scope.q.incrementGenerationAttempt(scope.chatId);
}

/** `recordRetryState`: see {@link ChatTransitions.recordRetryState}. */
export async function recordRetryState(scope: TransitionScope, retryState: JsonValue) {
  if (retryState === undefined || retryState === null) {
    throw new InvalidArgumentError('retryState', 'a retry state is required');
  }
  const [issue] = findJsonIssues(retryState, 1);
  if (issue) {
    throw new InvalidArgumentError(
      'retryState',
      `not a JSON value at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  await scope.q.setRetryState(scope.chatId, retryState);
}

/** `commitStep`: see {@link ChatTransitions.commitStep}. */
export async function commitStep(scope: TransitionScope, input: CommitStepInput) {
  if (!Array.isArray(input.messages) || input.messages.length === 0) {
    throw new InvalidArgumentError('messages', 'expected at least one message');
  }
  const messageIds = await scope.q.insertMessages(scope.chatId, input.messages);
  if (input.consumeCompactionRequest === true && scope.row.compactionRequestedAt !== null) {
    await scope.set({}, { carryCompaction: false });
  }
  return { messageIds };
}
