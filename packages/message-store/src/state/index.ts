/*
 * The chat state machine's exports. `MessageStore` delegates to the functions below (each
 * called as `this.run((ctx) => fn(ctx, …))`):
 *
 *   store.update(chatId, fn, options?)   → updateChat(ctx, chatId, fn, options?)
 *   store.lock(chatId, fn, options?)     → lockChat(ctx, chatId, fn, options?)
 *   store.readLock(chatId, fn, options?) → readLockChat(ctx, chatId, fn, options?)
 *   store.createChat(input)              → createChat(ctx, input)
 *   store.setFamilyArchived(rootId, a)   → setFamilyArchived(ctx, rootId, a)
 */
export { type ChatStateSnapshot, ChatTransitions } from './chat-transitions.js';
export {
  classifyExecutionState,
  EXECUTION_STATES,
  type ExecutionFacts,
  type ExecutionState,
  isRunnable,
} from './classify.js';
export { type CreateChatInput, type CreateChatResult, createChat } from './create-chat.js';
export {
  ChatNotRootError,
  type ChatStateErrorCode,
  InvalidStateError,
  InvalidToolResultsError,
  MessageNotUserError,
  NothingPendingError,
  OutstandingToolCallsError,
  QueuedMessageNotFoundError,
  QueueFullError,
  type ToolResultProblem,
  TransitionNotAllowedError,
} from './errors.js';
export { type FamilyArchiveResult, setFamilyArchived } from './family-archive.js';
export {
  allowedOutputs,
  OWNERSHIP_TRANSITIONS,
  TRANSITION_MATRIX,
  TRANSITION_NAMES,
  type TransitionMatrixRow,
  type TransitionName,
} from './matrix.js';
export {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatOwnershipPayload,
  type ChatUpdatePayload,
  chatUpdateChannel,
} from './payloads.js';
export type { ChatStateRow, InsertedMessages, StateMessageInsert } from './state-queries.js';
export {
  CANCELLATION_REASONS,
  findOutstandingToolCalls,
  type OutstandingToolCallOptions,
  type ToolCallHistoryMessage,
} from './tool-calls.js';
export { INVALID_STATE_ERROR, type ReconcileInput } from './transitions/lifecycle.js';
export type {
  BusyBehavior,
  EditMessageInput,
  EditMessageResult,
  PromoteQueuedResult,
  SendMessageInput,
  SendMessageResult,
} from './transitions/messages.js';
export type {
  ClientToolResult,
  CompleteRequiresActionInput,
  EnterRequiresActionResult,
} from './transitions/requires-action.js';
export type { AcquireInput, CommitStepInput } from './transitions/worker.js';
export {
  type ChatLockContext,
  type ChatTransactionOptions,
  lockChat,
  MAX_QUEUED_MESSAGES,
  REQUIRES_ACTION_TIMEOUT_MS,
  readLockChat,
  updateChat,
} from './update-envelope.js';
