/**
 * Durable chat state for chatd on Postgres, with embedded PGlite by default: chats and their
 * state machine, messages, the queue of waiting user messages and worker heartbeats.
 *
 * **One database code path.** `openStore` opens PGlite in a data folder (the default), in
 * memory, or real Postgres from a URL or a pool; the same SQL, migrations and tests run on both.
 * Migrations run on open under an advisory lock; a newer schema is refused (`SCHEMA_TOO_NEW`).
 *
 * **The state machine.** Every change of status, queue, history or ownership is a transition
 * inside `store.update(chatId, fn)`: one transaction that locks the chat row, bumps
 * `snapshotVersion` exactly once, checks each transition against {@link TRANSITION_MATRIX}
 * before and after it writes, and publishes `chat:update:<id>` (and `chat:ownership` when a
 * runnable chat has no live owner) only after commit. A failed transition rolls the whole update
 * back and publishes nothing.
 *
 * **Versions.** Database triggers keep `historyVersion`, `queueVersion`, `retryStateVersion`,
 * message `revision` and the reset of `generationAttempt`; no caller can set them.
 *
 * **Limits.** 20 queued messages per chat (`QUEUE_FULL`); message content up to
 * `limits.maxContentBytes` (4 MiB, `CONTENT_TOO_LARGE`); pages of 1 to 200 messages; ownership
 * lease of 10 s heartbeats, stale after 30 s of database time.
 *
 * **`close()`** refuses new calls, waits for calls in flight and releases every connection,
 * listener and lock the store opened; connections passed in stay open.
 *
 * @packageDocumentation
 */
// --- database layer ---
export type { DriverKind } from './db/connection.js';
export {
  type Db,
  type DbExecutor,
  type DbTransaction,
  queryRows,
  type StoreSchema,
} from './db/types.js';
export {
  ChatNotFoundError,
  ContentTooLargeError,
  DataFolderInUseError,
  MessageNotFoundError,
  RootHandleInTransactionError,
  SchemaTooNewError,
  StoreClosedError,
  type StoreErrorCode,
  UnsafeIntegerError,
} from './errors/index.js';
export { LATEST_SCHEMA_VERSION } from './migrations/index.js';
export {
  type AcquisitionCandidate,
  type ChatMetadataUpdate,
  type ChatPage,
  type HeartbeatEntry,
  type ListChatsOptions,
  type ListMessagesOptions,
  MAX_MESSAGE_PAGE,
  type MessagePage,
  type NewChatMessage,
  RUNNABLE_STATUSES,
  type RunnerSyncRow,
  type StreamSyncRow,
  toChatMessage,
  toQueuedChatMessage,
} from './queries/index.js';
export {
  type ChatHeartbeatRow,
  type ChatMessageRow,
  type ChatQueuedMessageRow,
  type ChatRow,
  chatHeartbeats,
  chatMessages,
  chatQueuedMessages,
  chats,
  type DynamicToolDeclaration,
  type MessageVisibility,
  storeSchema,
} from './schema/index.js';
// --- state machine (src/state) ---
export {
  type AcquireInput,
  allowedOutputs,
  type BusyBehavior,
  CANCELLATION_REASONS,
  CHAT_OWNERSHIP_CHANNEL,
  type ChatLockContext,
  ChatNotRootError,
  type ChatOwnershipPayload,
  type ChatStateErrorCode,
  type ChatStateRow,
  type ChatStateSnapshot,
  type ChatTransactionOptions,
  ChatTransitions,
  type ChatUpdatePayload,
  type ClientToolResult,
  type CommitStepInput,
  type CompleteRequiresActionInput,
  type CreateChatInput,
  type CreateChatResult,
  chatUpdateChannel,
  classifyExecutionState,
  type EditMessageInput,
  type EditMessageResult,
  type EnterRequiresActionResult,
  EXECUTION_STATES,
  type ExecutionFacts,
  type ExecutionState,
  type FamilyArchiveResult,
  findOutstandingToolCalls,
  INVALID_STATE_ERROR,
  type InsertedMessages,
  InvalidStateError,
  InvalidToolResultsError,
  isRunnable,
  MAX_QUEUED_MESSAGES,
  MessageNotUserError,
  NothingPendingError,
  type OutstandingToolCallOptions,
  OutstandingToolCallsError,
  OWNERSHIP_TRANSITIONS,
  type PromoteQueuedResult,
  QueuedMessageNotFoundError,
  QueueFullError,
  REQUIRES_ACTION_TIMEOUT_MS,
  type ReconcileInput,
  type SendMessageInput,
  type SendMessageResult,
  type StateMessageInsert,
  type ToolCallHistoryMessage,
  type ToolResultProblem,
  TRANSITION_MATRIX,
  TRANSITION_NAMES,
  type TransitionMatrixRow,
  type TransitionName,
  TransitionNotAllowedError,
} from './state/index.js';
export { MessageStore } from './store/message-store.js';
export { openStore } from './store/open-store.js';
export {
  DEFAULT_LEASE,
  DEFAULT_LIMITS,
  type LeaseOptions,
  type OpenStoreOptions,
  type ResolvedLease,
  type ResolvedLimits,
  type StoreLimits,
  type StoreSource,
} from './store/store-options.js';
