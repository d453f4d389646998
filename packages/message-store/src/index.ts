/**
 * Durable chat state for chatd on Postgres, with embedded PGlite by default: chats and their
 * state machine, messages, the queue of waiting user messages and worker heartbeats.
 *
 * **One database code path.** `openStore` opens PGlite in a data folder (the default), in
 * memory, or real Postgres from a URL or a pool; the same SQL, migrations and tests run on both.
 * Migrations run on open under an advisory lock; a newer schema is refused (`SCHEMA_TOO_NEW`).
 *
 * **Validated input.** Every argument of every method and transition is parsed before any
 * database work; malformed input is refused with `INVALID_ARGUMENT` or `VALIDATION_FAILED`
 * naming the field, and nothing is written. Text Postgres cannot store unchanged (the NUL
 * character, lone UTF-16 surrogates) is refused the same way rather than altered.
 *
 * **The state machine.** Every change of status, queue, history or ownership is a transition
 * inside `store.update(chatId, fn)`: one transaction that locks the chat row, bumps
 * `snapshotVersion` exactly once, checks each transition against the transition matrix before
 * and after it writes, and publishes `chat:update:<id>` (and `chat:ownership` when a runnable
 * chat has no live owner) only after commit. A failed transition rolls the whole update back
 * and publishes nothing. Each statement about the chat returns the row, its queue length and
 * its owner's lease, so those checks cost no extra round trips: a transition such as
 * `recordGenerationAttempt`, or a `commitStep` of any number of messages, is BEGIN, bump, write,
 * COMMIT (three round trips on the store's own Postgres pool, which pipelines BEGIN with the
 * bump; two for a turn-ending `commitStep` with `lastInUpdate`, whose write carries the COMMIT).
 * `createChat` is one statement.
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
export type {
  PGliteInstance,
  PGliteTransaction,
  PostgresPool,
  PostgresPoolClient,
} from './db/client-types.js';
export {
  type DraftAnnouncement,
  type DraftEnvelope,
  type DraftKey,
  readDraftAnnouncement,
} from './drafts/draft-types.js';
export type { DraftOptions, DraftWriter } from './drafts/draft-writer.js';
// Errors are told apart by code (`ChatdError.isInstance(error, 'QUEUE_FULL')`, see
// StoreErrorCode); only the class other packages throw themselves is exported.
export { ChatNotFoundError, type StoreErrorCode } from './errors/store-errors.js';
export type { ChatPage } from './queries/chats.js';
export type { MessagePage } from './queries/messages.js';
export type { AcquisitionCandidate } from './queries/ownership.js';
export type { StreamSyncRow } from './queries/sync.js';
export type {
  ChatMessageRow,
  ChatQueuedMessageRow,
  ChatRow,
  ChatStateRow,
} from './schema/rows.js';
export type { ChatStateSnapshot } from './state/chat-snapshot.js';
export type { ChatTransitions } from './state/chat-transitions.js';
export { type ExecutionState, isRunnable } from './state/classify.js';
export type { TransitionName } from './state/matrix.js';
export {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatOwnershipPayload,
  type ChatUpdatePayload,
  chatUpdateChannel,
} from './state/payloads.js';
export { findOutstandingToolCalls } from './state/tool-calls.js';
export {
  type EditMessageResult,
  MAX_QUEUED_MESSAGES,
  type PromoteQueuedResult,
  type SendMessageResult,
} from './state/transitions/messages.js';
export type { EnterRequiresActionResult } from './state/transitions/requires-action.js';
export type { InsertedMessages } from './state/transitions/worker.js';
export type {
  ChatTransactionOptions,
  ChatUpdateOptions,
  CreateChatResult,
} from './state/update-chat.js';
export { MessageStore } from './store/message-store.js';
export { openStore } from './store/open-store.js';
export type {
  LeaseOptions,
  OpenStoreOptions,
  StoreLimits,
  StoreSource,
} from './store/store-options.js';
export { toChatMessage, toQueuedChatMessage } from './store/to-protocol.js';
export type {
  AcquireInput,
  ChatMetadataUpdate,
  CommitStepInput,
  CompleteRequiresActionInput,
  CreateChatInput,
  CreateChatOptions,
  EditMessageInput,
  FinishOptions,
  HeartbeatEntry,
  ListChatsOptions,
  ListMessagesOptions,
  NewMessage,
  ReconcileInput,
  SendMessageInput,
} from './validation/inputs.js';
