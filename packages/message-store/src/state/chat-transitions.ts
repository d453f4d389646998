import type { ChatErrorInfo, JsonValue } from '@chatd/core';
import type { z } from 'zod';
import type { Transaction } from '../db/database.js';
import type { ChatMessageRow } from '../schema/rows.js';
import type { StoreContext } from '../store/store-context.js';
import type {
  AcquireInput,
  CommitStepInput,
  CompleteRequiresActionInput,
  EditMessageInput,
  FinishOptions,
  NewMessage,
  ReconcileInput,
  SendMessageInput,
} from '../validation/inputs.js';
import {
  acquireSchema,
  archivedSchema,
  completeRequiresActionSchema,
  enterRequiresActionSchema,
  finishOptionsSchema,
  lastErrorSchema,
  reasonSchema,
  reconcileSchema,
  retryStateSchema,
  rowIdSchema,
} from '../validation/inputs.js';
import { checkJsonSize, parseInput } from '../validation/parse-input.js';
import { type ChatStateSnapshot, currentChat } from './chat-snapshot.js';
import type { ExecutionState } from './classify.js';
import { InvalidStateError, TransitionNotAllowedError } from './errors.js';
import { allowedOutputs, type TransitionName } from './matrix.js';
import * as lifecycle from './transitions/lifecycle.js';
import * as messages from './transitions/messages.js';
import * as requiresAction from './transitions/requires-action.js';
import * as worker from './transitions/worker.js';

/**
 * The transitions of one chat, bound to the transaction of one `store.update` call: the `chat`
 * argument of its callback.
 *
 * Each method is one transition of the matrix. It parses its input, checks the chat's current
 * state against the matrix before writing anything, performs its writes, and checks that the
 * chat landed in a listed state. The chat is read from what the last statement returned
 * whenever that statement was about this chat, so the checks cost no extra round trips.
 * Several transitions in one update commit together under one snapshot version.
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
  readonly #tx: Transaction;
  readonly #context: StoreContext;
  readonly #mayCommitEarly: boolean;
  readonly #afterCommit: Array<() => void> = [];
  #failure: { error: unknown } | undefined;

  /** @internal Built by `store.update`. */
  constructor(init: {
    chatId: string;
    snapshotVersion: number;
    tx: Transaction;
    /** The store's input schemas, limits and logger. */
    context: StoreContext;
    /** Whether a transition may end the transaction itself (the update's own, not joined). */
    mayCommitEarly: boolean;
  }) {
    this.chatId = init.chatId;
    this.snapshotVersion = init.snapshotVersion;
    this.#tx = init.tx;
    this.#context = init.context;
    this.#mayCommitEarly = init.mayCommitEarly;
  }

  /** @internal The first transition error, if any: the update rethrows it to roll back. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** The chat as it is now inside the transaction. */
  snapshot(): Promise<ChatStateSnapshot> {
    return currentChat(this.#tx, this.chatId);
  }

  /**
   * Runs `callback` once the update has committed, before the store publishes the update's
   * hints, so a view the caller keeps (of the chat as this update leaves it) is current before
   * anyone hears of the change; never when the update rolls back. An error it throws is logged.
   */
  afterCommit(callback: () => void): void {
    this.#afterCommit.push(() => {
      try {
        callback();
      } catch (error) {
        this.#context.logger.warn(
          { err: error, chatId: this.chatId },
          'message-store: an afterCommit callback failed',
        );
      }
    });
  }

  /** @internal The afterCommit callbacks, which the update queues once it has succeeded. */
  get afterCommitCallbacks(): ReadonlyArray<() => void> {
    return this.#afterCommit;
  }

  /**
   * Runs one transition, or with `then` two in a row (the body does both), checked against the
   * matrix before and after: the landing state must be one the second may reach from a state
   * the first may reach.
   */
  async #run<Input, Result>(
    name: TransitionName,
    parse: () => Input,
    body: (
      tx: Transaction,
      chat: ChatStateSnapshot,
      input: Input,
      landings: readonly ExecutionState[],
    ) => Promise<Result>,
    then?: (input: Input) => TransitionName | undefined,
  ): Promise<Result> {
    if (this.#failure) throw this.#failure.error;
    try {
      const input = parse();
      const before = await this.snapshot();
      if (this.#tx.committing) {
        throw new TransitionNotAllowedError(before.state, name, 'the update has committed');
      }
      const first = allowedOutputs(before.state, name);
      if (first === undefined) {
        if (before.state === 'Invalid') throw new InvalidStateError(name);
        throw new TransitionNotAllowedError(before.state, name);
      }
      const second = then?.(input);
      const outputs =
        second === undefined
          ? first
          : first.flatMap((state) => allowedOutputs(state, second) ?? []);
      if (second !== undefined && outputs.length === 0) {
        throw new TransitionNotAllowedError(before.state, second);
      }
      const result = await body(this.#tx, before, input, outputs);
      const after = await this.snapshot();
      if (!outputs.includes(after.state)) {
        // A bug in the transition code; rolled back like any rejection.
        throw new TransitionNotAllowedError(before.state, name, `it would land in ${after.state}`);
      }
      return result;
    } catch (error) {
      this.#failure = { error };
      throw error;
    }
  }

  #parse<Schema extends z.ZodType>(schema: Schema, value: unknown, argument: string) {
    return () => parseInput(schema, value, argument) as z.output<Schema>;
  }

  /**
   * Sends a user message. W/E0: starts a turn (outstanding tool calls get synthetic results).
   * E1: the oldest queued message starts the turn and this one is queued. Busy chats queue it;
   * with `busy: 'interrupt'` it goes to the head of the queue (answered next), a running chat
   * becomes interrupting and a requires-action chat closes its client tool calls and runs on.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` / ValidationFailedError
   *   `VALIDATION_FAILED` for malformed input; ContentTooLargeError `CONTENT_TOO_LARGE`.
   * @throws MessageNotUserError `MESSAGE_NOT_USER` when `role` is not `user`.
   * @throws QueueFullError `QUEUE_FULL` when the message would be the queue's 21st.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` on an archived chat.
   */
  sendMessage(input: SendMessageInput): Promise<messages.SendMessageResult> {
    return this.#run(
      'sendMessage',
      this.#parse(this.#context.inputs.sendMessage, input, 'input'),
      messages.sendMessage,
    );
  }

  /**
   * Replaces a user message: soft-deletes it and every later message, deletes the queue, closes
   * outstanding tool calls and starts a turn with the new content. Partial output of a running
   * generation is not kept.
   * @throws MessageNotFoundError `MESSAGE_NOT_FOUND` for a missing, deleted or foreign message.
   * @throws MessageNotUserError `MESSAGE_NOT_USER` for a message of another role.
   */
  editMessage(input: EditMessageInput): Promise<messages.EditMessageResult> {
    return this.#run(
      'editMessage',
      this.#parse(this.#context.inputs.editMessage, input, 'input'),
      messages.editMessage,
    );
  }

  /**
   * Deletes a queued message.
   * @throws QueuedMessageNotFoundError `QUEUED_MESSAGE_NOT_FOUND`.
   */
  deleteQueued(queuedMessageId: number): Promise<void> {
    return this.#run(
      'deleteQueued',
      this.#parse(rowIdSchema, queuedMessageId, 'queuedMessageId'),
      messages.deleteQueued,
    );
  }

  /**
   * Moves a queued message to the head of the queue. Running or interrupting chats become
   * interrupting (the message starts when the interruption finishes); error and requires-action
   * chats start it now (returning its message id).
   * @throws QueuedMessageNotFoundError `QUEUED_MESSAGE_NOT_FOUND`.
   */
  promoteQueued(queuedMessageId: number): Promise<messages.PromoteQueuedResult> {
    return this.#run(
      'promoteQueued',
      this.#parse(rowIdSchema, queuedMessageId, 'queuedMessageId'),
      messages.promoteQueued,
    );
  }

  /**
   * Interrupts: running ⇒ interrupting (the worker stops and calls `finishInterruption`);
   * requires-action ⇒ running after closing the client tool calls with `reason`.
   * @param reason - Output of the synthetic results. @default 'Tool execution interrupted by user'
   */
  interrupt(reason?: string): Promise<void> {
    return this.#run('interrupt', this.#parse(reasonSchema, reason, 'reason'), lifecycle.interrupt);
  }

  /**
   * Archives or unarchives an idle chat (waiting or error).
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` on a busy chat or when the flag
   *   already has this value.
   */
  setArchived(archived: boolean): Promise<void> {
    return this.#run(
      'setArchived',
      this.#parse(archivedSchema, archived, 'archived'),
      lifecycle.setArchived,
    );
  }

  /**
   * Asks for the history to be compacted: a waiting chat becomes running with the compaction
   * marker set and no owner (so an ownership hint wakes a worker).
   */
  requestCompaction(): Promise<void> {
    return this.#run('requestCompaction', noInput, lifecycle.requestCompaction);
  }

  /** Takes ownership and starts the (chat, runner) heartbeat. Allowed in every state. */
  acquire(input: AcquireInput): Promise<void> {
    return this.#run('acquire', this.#parse(acquireSchema, input, 'input'), worker.acquire);
  }

  /**
   * Gives up ownership.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when the chat has no owner.
   */
  abandon(): Promise<void> {
    return this.#run('abandon', noInput, worker.abandon);
  }

  /** Starts a new generation attempt (clears the retry state); returns the attempt number. */
  recordGenerationAttempt(): Promise<number> {
    return this.#run('recordGenerationAttempt', noInput, worker.recordGenerationAttempt);
  }

  /**
   * Records the retry state shown to clients between attempts.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when it is missing or not JSON.
   */
  recordRetryState(retryState: JsonValue): Promise<void> {
    return this.#run(
      'recordRetryState',
      this.#parse(retryStateSchema, retryState, 'retryState'),
      worker.recordRetryState,
    );
  }

  /**
   * Commits the messages of a generation step; optionally consumes the compaction marker, and
   * with `finishTurn` ends the turn as `finishTurn` would (one statement when the chat ends up
   * waiting). When that one statement is the last thing the update does, `lastInUpdate: true`
   * lets it carry the COMMIT: one round trip less on Postgres, and nothing may follow it.
   * @returns The message ids, ascending, and the rows as a read after the commit returns them
   *   (ids, revision, creation time), for a caller that keeps a view of the chat current
   *   without reading it again.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` without messages.
   */
  commitStep(
    input: CommitStepInput,
  ): Promise<worker.InsertedMessages & { messages: ChatMessageRow[] }> {
    return this.#run(
      'commitStep',
      this.#parse(this.#context.inputs.commitStep, input, 'input'),
      (tx, chat, parsed, landings) =>
        worker.commitStep(tx, chat, parsed, this.#mayCommitEarly ? landings : undefined),
      (parsed) => (parsed.finishTurn === undefined ? undefined : 'finishTurn'),
    );
  }

  /**
   * Waits for the client to run its tools: requires-action with a deadline of DB now plus
   * `timeoutMs` (default 5 minutes).
   * @throws NothingPendingError `NOTHING_PENDING` when no client tool call is pending.
   */
  enterRequiresAction(input?: {
    /** Milliseconds the client has to post its results. @default 300000 */
    timeoutMs?: number;
  }): Promise<requiresAction.EnterRequiresActionResult> {
    return this.#run(
      'enterRequiresAction',
      this.#parse(enterRequiresActionSchema, input, 'input'),
      requiresAction.enterRequiresAction,
    );
  }

  /**
   * Records the client's tool results and runs on.
   * @throws InvalidToolResultsError `INVALID_TOOL_RESULTS` for a duplicate, a non-JSON output,
   *   a result for a call that is not pending, or a pending call without a result.
   * @throws ContentTooLargeError `CONTENT_TOO_LARGE` for an output over the content limit.
   */
  completeRequiresAction(input: CompleteRequiresActionInput): Promise<worker.InsertedMessages> {
    const parse = this.#parse(completeRequiresActionSchema, input, 'input');
    return this.#run(
      'completeRequiresAction',
      () => {
        const parsed = parse();
        const { maxContentBytes } = this.#context.limits;
        for (const result of parsed.results) checkJsonSize(result.output, maxContentBytes);
        return parsed;
      },
      requiresAction.completeRequiresAction,
    );
  }

  /**
   * Gives up on the client tools (deadline passed): closes them with `reason` and runs on.
   * @param reason - Output of the synthetic results. @default 'Tool execution timed out'
   * @throws NothingPendingError `NOTHING_PENDING` when no client tool call is pending.
   */
  cancelRequiresAction(reason?: string): Promise<worker.InsertedMessages> {
    return this.#run(
      'cancelRequiresAction',
      this.#parse(reasonSchema, reason, 'reason'),
      requiresAction.cancelRequiresAction,
    );
  }

  /**
   * Ends an interruption: inserts the partial messages, closes pending client tool calls, then
   * waits (empty queue) or starts the queue head. `release` also hands a waiting chat back.
   * @throws OutstandingToolCallsError `OUTSTANDING_TOOL_CALLS` when server-side tool calls are
   *   still without a result after the partials.
   */
  finishInterruption(
    partials: readonly NewMessage[] = [],
    options?: FinishOptions,
  ): Promise<worker.InsertedMessages> {
    const parsePartials = this.#parse(this.#context.inputs.partials, partials, 'partials');
    const parseOptions = this.#parse(finishOptionsSchema, options, 'options');
    return this.#run(
      'finishInterruption',
      () => ({ partials: parsePartials(), release: parseOptions().release }),
      lifecycle.finishInterruption,
    );
  }

  /**
   * Ends a turn: waiting, or the queue head starts the next turn. `release` also hands a
   * waiting chat back.
   */
  finishTurn(options?: FinishOptions): Promise<void> {
    return this.#run(
      'finishTurn',
      this.#parse(finishOptionsSchema, options, 'options'),
      lifecycle.finishTurn,
    );
  }

  /**
   * Ends a turn in error, recording `lastError`. `release` also hands the chat back.
   * @throws ValidationFailedError `VALIDATION_FAILED` when it is not a `ChatErrorInfo`.
   */
  finishError(lastError: ChatErrorInfo, options?: FinishOptions): Promise<void> {
    const parseError = this.#parse(lastErrorSchema, lastError, 'lastError');
    const parseOptions = this.#parse(finishOptionsSchema, options, 'options');
    return this.#run(
      'finishError',
      () => ({ lastError: parseError(), release: parseOptions().release }),
      lifecycle.finishError,
    );
  }

  /**
   * Moves a chat out of `Invalid` into error (unarchived), closing pending client tool calls.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when the chat is not Invalid.
   */
  reconcileInvalidState(input?: ReconcileInput): Promise<void> {
    return this.#run(
      'reconcileInvalidState',
      this.#parse(reconcileSchema, input, 'input'),
      lifecycle.reconcileInvalidState,
    );
  }
}

const noInput = () => undefined;
