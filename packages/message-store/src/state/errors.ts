import { ChatdError, type ChatdErrorOptions } from '@chatd/core';
import type { ExecutionState } from './classify.js';
import type { TransitionName } from './matrix.js';

/** What each state means to a person: "the chat is …". */
const STATE_WORDS: Record<ExecutionState, string> = {
  N: 'missing',
  W: 'waiting',
  E0: 'in error',
  E1: 'in error',
  R0: 'running',
  R1: 'running',
  I0: 'being interrupted',
  I1: 'being interrupted',
  A0: 'waiting for client tool results',
  A1: 'waiting for client tool results',
  XW: 'archived',
  XE0: 'archived',
  XE1: 'archived',
  Invalid: 'in an invalid state',
};

/** What the transitions a caller asks for do, in words; the engine's own ones go by name. */
const TRANSITION_WORDS: Partial<Record<TransitionName, string>> = {
  sendMessage: 'send a message',
  editMessage: 'edit a message',
  deleteQueued: 'delete a queued message',
  promoteQueued: 'promote a queued message',
  interrupt: 'interrupt',
  setArchived: 'archive or unarchive it',
  requestCompaction: 'compact it',
  completeRequiresAction: 'post tool results',
  reconcileInvalidState: 'reconcile it',
};

/**
 * The transition is not in the matrix for the chat's execution state (sending a message to an
 * archived chat, interrupting a waiting one, archiving a running one, abandoning an unowned
 * one, …). Nothing was written.
 */
export class TransitionNotAllowedError extends ChatdError<'TRANSITION_NOT_ALLOWED'> {
  /** The chat's execution state when the transition was attempted. */
  readonly state: ExecutionState;
  /** The rejected transition. */
  readonly transition: TransitionName;

  /**
   * @param state - The execution state the chat was in.
   * @param transition - The rejected transition.
   * @param reason - Why, when more specific than "not in the matrix".
   */
  constructor(
    state: ExecutionState,
    transition: TransitionName,
    reason?: string,
    options?: ChatdErrorOptions,
  ) {
    super(
      'TRANSITION_NOT_ALLOWED',
      `The chat is ${STATE_WORDS[state]}: cannot ${TRANSITION_WORDS[transition] ?? transition}` +
        `${reason ? ` (${reason})` : ''} [transition ${transition} in state ${state}]`,
      options,
    );
    this.name = 'TransitionNotAllowedError';
    this.state = state;
    this.transition = transition;
  }
}

/**
 * The chat's row is in a combination the state machine never produces (archived and busy,
 * waiting with a non-empty queue, …). Only `reconcileInvalidState` (and the ownership-only
 * `acquire`/`abandon`) may run; it moves the chat to `error`.
 */
export class InvalidStateError extends ChatdError<'INVALID_STATE'> {
  /** The rejected transition. */
  readonly transition: TransitionName;

  constructor(transition: TransitionName, options?: ChatdErrorOptions) {
    super(
      'INVALID_STATE',
      `Chat is in an invalid state; ${transition} is not possible until it is reconciled`,
      options,
    );
    this.name = 'InvalidStateError';
    this.transition = transition;
  }
}

/** The chat already has the maximum number of queued messages. Nothing was written. */
export class QueueFullError extends ChatdError<'QUEUE_FULL'> {
  /** The queue capacity that was reached. */
  readonly max: number;

  constructor(max: number, options?: ChatdErrorOptions) {
    super('QUEUE_FULL', `The chat's message queue is full (at most ${max} messages)`, options);
    this.name = 'QueueFullError';
    this.max = max;
  }
}

/** No queued message with this id belongs to the chat. */
export class QueuedMessageNotFoundError extends ChatdError<'QUEUED_MESSAGE_NOT_FOUND'> {
  /** The queued message id that was looked up. */
  readonly queuedMessageId: number;

  constructor(queuedMessageId: number, options?: ChatdErrorOptions) {
    super(
      'QUEUED_MESSAGE_NOT_FOUND',
      `Queued message ${queuedMessageId} was not found in this chat`,
      options,
    );
    this.name = 'QueuedMessageNotFoundError';
    this.queuedMessageId = queuedMessageId;
  }
}

/** Only user messages can be sent or edited; this one has another role. */
export class MessageNotUserError extends ChatdError<'MESSAGE_NOT_USER'> {
  /** The offending message id, or `undefined` for a new message. */
  readonly messageId: number | undefined;

  /**
   * @param messageId - The message that is not a user message, if it exists.
   * @param role - Its role.
   */
  constructor(messageId: number | undefined, role: string, options?: ChatdErrorOptions) {
    super(
      'MESSAGE_NOT_USER',
      `${messageId === undefined ? 'The message' : `Message ${messageId}`} has role ${role}; only user messages can be sent or edited`,
      options,
    );
    this.name = 'MessageNotUserError';
    this.messageId = messageId;
  }
}

/**
 * `enterRequiresAction` or `cancelRequiresAction` found no pending client-executed (dynamic)
 * tool call on the chat's last assistant message.
 */
export class NothingPendingError extends ChatdError<'NOTHING_PENDING'> {
  /** The transition that needed a pending dynamic tool call. */
  readonly transition: TransitionName;

  constructor(transition: TransitionName, options?: ChatdErrorOptions) {
    super('NOTHING_PENDING', `${transition} needs a pending dynamic tool call; none is`, options);
    this.name = 'NothingPendingError';
    this.transition = transition;
  }
}

/**
 * `finishInterruption` left tool calls of the last assistant message without a result; the
 * caller must answer them (the partial messages it passes may carry the results).
 */
export class OutstandingToolCallsError extends ChatdError<'OUTSTANDING_TOOL_CALLS'> {
  /** Ids of the calls still without a result. */
  readonly toolCallIds: readonly string[];

  constructor(toolCallIds: readonly string[], options?: ChatdErrorOptions) {
    super(
      'OUTSTANDING_TOOL_CALLS',
      `Tool calls still without a result: ${toolCallIds.join(', ')}`,
      options,
    );
    this.name = 'OutstandingToolCallsError';
    this.toolCallIds = toolCallIds;
  }
}

/** The tool results posted to `completeRequiresAction` do not answer the pending calls. */
export class InvalidToolResultsError extends ChatdError<'INVALID_TOOL_RESULTS'> {
  /** The offending tool call id. */
  readonly toolCallId: string;
  /**
   * - `duplicate`: two results for one call.
   * - `invalid-output`: the output is not a JSON value.
   * - `missing`: a pending dynamic call has no result.
   * - `not-pending`: a result for a call that is not pending.
   */
  readonly problem: 'duplicate' | 'invalid-output' | 'missing' | 'not-pending';

  constructor(
    toolCallId: string,
    problem: InvalidToolResultsError['problem'],
    options?: ChatdErrorOptions,
  ) {
    super('INVALID_TOOL_RESULTS', `Tool result for ${toolCallId}: ${problem}`, options);
    this.name = 'InvalidToolResultsError';
    this.toolCallId = toolCallId;
    this.problem = problem;
  }
}

/** Family archive was asked for a chat that has a parent; only roots can be archived as a family. */
export class ChatNotRootError extends ChatdError<'CHAT_NOT_ROOT'> {
  /** The child chat's id. */
  readonly chatId: string;

  constructor(chatId: string, options?: ChatdErrorOptions) {
    super('CHAT_NOT_ROOT', `Chat ${chatId} is not a root chat`, options);
    this.name = 'ChatNotRootError';
    this.chatId = chatId;
  }
}
