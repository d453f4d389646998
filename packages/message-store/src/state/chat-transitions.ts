import type { ChatErrorInfo, JsonValue } from '@chatd/core';
import type { DbTransaction } from '../db/types.js';
import { ChatNotFoundError } from '../errors/index.js';
import { classifyExecutionState, type ExecutionState } from './classify.js';
import { allowedOutputs, assertLandedIn, type TransitionName } from './matrix.js';
import type {
  ChatStateRow,
  InsertedMessages,
  StateMessageInsert,
  StateQueries,
} from './state-queries.js';
import * as lifecycle from './transitions/lifecycle.js';
import * as messages from './transitions/messages.js';
import * as requiresAction from './transitions/requires-action.js';
import { TransitionScope, type TransitionSettings } from './transitions/scope.js';
import * as worker from './transitions/worker.js';

/** The chat as a transition context reads it: its row, queue length and execution state. */
export interface ChatStateSnapshot {
  /** The chat row's execution-state columns. */
  row: ChatStateRow;
  /** Messages waiting in the queue. */
  queuedCount: number;
  /** The classified execution state. */
  state: ExecutionState;
}

/**
 * The transitions of one chat, bound to the transaction of one `store.update` call: the `chat`
 * argument of its callback.
 *
 * Each method is one transition of the matrix. It re-reads the chat (so earlier transitions in
 * the same update are visible), rejects a pair the matrix does not list before writing
 * anything, performs its writes, and checks that the chat landed in a listed state. Several
 * transitions in one update commit together under one snapshot version.
 *
 * A failed transition fails the whole update: every later call throws the same error and the
 * update rolls back even if the callback caught it. That is what makes "a rejected transition
 * writes nothing" hold when the rejection comes after a first write (a Postgres statement error
 * also poisons the transaction, so continuing could not work anyway).
 *
 * Only use it inside its callback: after the update ends its transaction is gone.
 */
export class ChatTransitions {
  /** The chat's id. */
  readonly chatId: string;
  /**
   * The snapshot version this update committed (or will commit): every message it writes gets
   * it as `revision`.
   */
  readonly snapshotVersion: number;
  /**
   * The open transaction: run other queries of this store through it (metadata written in the
   * same transaction, reads that must see this update's writes).
   */
  readonly tx: DbTransaction;
  readonly #q: StateQueries;
  readonly #settings: TransitionSettings;
  #failure: { error: unknown } | undefined;

  /** @internal Built by the update envelope. */
  constructor(init: {
    chatId: string;
    snapshotVersion: number;
    queries: StateQueries;
    tx: DbTransaction;
    settings: TransitionSettings;
  }) {
    this.chatId = init.chatId;
    this.tx = init.tx;
    this.snapshotVersion = init.snapshotVersion;
    this.#q = init.queries;
    this.#settings = init.settings;
  }

  /** @internal The first transition error, if any: the envelope rethrows it to roll back. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** Reads the chat as it is now inside the transaction. */
  async snapshot(): Promise<ChatStateSnapshot> {
    const current = await this.#q.read(this.chatId);
    if (current === undefined) throw new ChatNotFoundError(this.chatId);
    const { row, queuedCount } = current;
    const state = classifyExecutionState({
      status: row.status,
      archived: row.archived,
      queuedCount,
    });
    return { row, queuedCount, state };
  }

  async #run<T>(name: TransitionName, body: (scope: TransitionScope) => Promise<T>): Promise<T> {
    if (this.#failure) throw this.#failure.error;
    try {
      const before = await this.snapshot();
      allowedOutputs(before.state, name);
      const result = await body(
        new TransitionScope({
          chatId: this.chatId,
          q: this.#q,
          row: before.row,
          state: before.state,
          queuedCount: before.queuedCount,
          settings: this.#settings,
        }),
      );
      assertLandedIn(before.state, name, (await this.snapshot()).state);
      return result;
    } catch (error) {
      this.#failure = { error };
      throw error;
    }
  }

  /**
   * Sends a user message. W/E0: starts a turn (outstanding tool calls get synthetic results).
   * E1: the oldest queued message starts the turn and this one is queued. Busy chats queue it;
   * with `busy: 'interrupt'` a running chat becomes interrupting and a requires-action chat
   * closes its client tool calls and runs on.
   * @throws MessageNotUserError `MESSAGE_NOT_USER` when `role` is not `user`.
   * @throws QueueFullError `QUEUE_FULL` when the message would be the queue's 21st.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an unknown `busy`.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` on an archived chat.
   */
  sendMessage(input: messages.SendMessageInput): Promise<messages.SendMessageResult> {
    return this.#run('sendMessage', (scope) => messages.sendMessage(scope, input));
  }

  /**
   * Replaces a user message: soft-deletes it and every later message, deletes the queue, closes
   * outstanding tool calls and starts a turn with the new content. Partial output of a running
   * generation is not kept.
   * @throws MessageNotFoundError `MESSAGE_NOT_FOUND` for a missing, deleted or foreign message.
   * @throws MessageNotUserError `MESSAGE_NOT_USER` for a message of another role.
   */
  editMessage(input: messages.EditMessageInput): Promise<messages.EditMessageResult> {
    return this.#run('editMessage', (scope) => messages.editMessage(scope, input));
  }

  /**
   * Deletes a queued message.
   * @throws QueuedMessageNotFoundError `QUEUED_MESSAGE_NOT_FOUND`.
   */
  deleteQueued(queuedMessageId: number): Promise<void> {
    return this.#run('deleteQueued', (scope) => messages.deleteQueued(scope, queuedMessageId));
  }

  /**
   * Moves a queued message to the head of the queue. Running or interrupting chats become
   * interrupting (the message starts when the interruption finishes); error and requires-action
   * chats start it now (returning its message id).
   * @throws QueuedMessageNotFoundError `QUEUED_MESSAGE_NOT_FOUND`.
   */
  promoteQueued(queuedMessageId: number): Promise<messages.PromoteQueuedResult> {
    return this.#run('promoteQueued', (scope) => messages.promoteQueued(scope, queuedMessageId));
  }

  /**
   * Interrupts: running ⇒ interrupting (the worker stops and calls `finishInterruption`);
   * requires-action ⇒ running after closing the client tool calls with `reason`.
   * @param reason - Output of the synthetic results. @default 'Tool execution interrupted by user'
   */
  interrupt(reason?: string): Promise<void> {
    return this.#run('interrupt', (scope) => lifecycle.interrupt(scope, reason));
  }

  /**
   * Archives or unarchives an idle chat (waiting or error).
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` on a busy chat or when the flag
   *   already has this value.
   */
  setArchived(archived: boolean): Promise<void> {
    return this.#run('setArchived', (scope) => lifecycle.setArchived(scope, archived));
  }

  /**
   * Asks for the history to be compacted: a waiting chat becomes running with the compaction
   * marker set and no owner (so an ownership hint wakes a worker).
   */
  requestCompaction(): Promise<void> {
    return this.#run('requestCompaction', (scope) => lifecycle.requestCompaction(scope));
  }

  /** Takes ownership and starts the (chat, runner) heartbeat. Allowed in every state. */
  acquire(input: worker.AcquireInput): Promise<void> {
    return this.#run('acquire', (scope) => worker.acquire(scope, input));
  }

  /**
   * Gives up ownership.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when the chat has no owner.
   */
  abandon(): Promise<void> {
    return this.#run('abandon', (scope) => worker.abandon(scope));
  }

  /** Starts a new generation attempt (clears the retry state); returns the attempt number. */
  recordGenerationAttempt(): Promise<number> {
    return this.#run('recordGenerationAttempt', (scope) => worker.recordGenerationAttempt(scope));
  }

  /**
   * Records the retry state shown to clients between attempts.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when it is missing or not JSON.
   */
  recordRetryState(retryState: JsonValue): Promise<void> {
    return this.#run('recordRetryState', (scope) => worker.recordRetryState(scope, retryState));
  }

  /**
   * Commits the messages of a generation step; optionally consumes the compaction marker.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` without messages.
   */
  commitStep(input: worker.CommitStepInput): Promise<InsertedMessages> {
    return this.#run('commitStep', (scope) => worker.commitStep(scope, input));
  }

  /**
   * Waits for the client to run its tools: requires-action with a deadline of DB now plus the
   * requires-action timeout.
   * @throws NothingPendingError `NOTHING_PENDING` when no client tool call is pending.
   */
  enterRequiresAction(): Promise<requiresAction.EnterRequiresActionResult> {
    return this.#run('enterRequiresAction', (scope) => requiresAction.enterRequiresAction(scope));
  }

  /**
   * Records the client's tool results and runs on.
   * @throws InvalidToolResultsError `INVALID_TOOL_RESULTS` for a duplicate, a non-JSON output,
   *   a result for a call that is not pending, or a pending call without a result.
   */
  completeRequiresAction(
    input: requiresAction.CompleteRequiresActionInput,
  ): Promise<InsertedMessages> {
    return this.#run('completeRequiresAction', (scope) =>
      requiresAction.completeRequiresAction(scope, input),
    );
  }

  /**
   * Gives up on the client tools (deadline passed): closes them with `reason` and runs on.
   * @param reason - Output of the synthetic results. @default 'Tool execution timed out'
   * @throws NothingPendingError `NOTHING_PENDING` when no client tool call is pending.
   */
  cancelRequiresAction(reason?: string): Promise<InsertedMessages> {
    return this.#run('cancelRequiresAction', (scope) =>
      requiresAction.cancelRequiresAction(scope, reason),
    );
  }

  /**
   * Ends an interruption: inserts the partial messages, closes pending client tool calls, then
   * waits (empty queue) or starts the queue head.
   * @throws OutstandingToolCallsError `OUTSTANDING_TOOL_CALLS` when server-side tool calls are
   *   still without a result after the partials.
   */
  finishInterruption(partials: readonly StateMessageInsert[] = []): Promise<InsertedMessages> {
    return this.#run('finishInterruption', (scope) =>
      lifecycle.finishInterruption(scope, partials),
    );
  }

  /** Ends a turn: waiting, or the queue head starts the next turn. */
  finishTurn(): Promise<void> {
    return this.#run('finishTurn', (scope) => lifecycle.finishTurn(scope));
  }

  /**
   * Ends a turn in error, recording `lastError`.
   * @throws ValidationFailedError `VALIDATION_FAILED` when it is not a `ChatErrorInfo`.
   */
  finishError(lastError: ChatErrorInfo): Promise<void> {
    return this.#run('finishError', (scope) => lifecycle.finishError(scope, lastError));
  }

  /**
   * Moves a chat out of `Invalid` into error (unarchived), closing pending client tool calls.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when the chat is not Invalid.
   */
  reconcileInvalidState(input?: lifecycle.ReconcileInput): Promise<void> {
    return this.#run('reconcileInvalidState', (scope) =>
      lifecycle.reconcileInvalidState(scope, input),
    );
  }
}
