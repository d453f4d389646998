import type { DbConnection, DriverKind } from '../db/connection.js';
import { dbNow } from '../db/db-time.js';
import { StoreClosedError } from '../errors/store-errors.js';
import {
  type ChatMetadataUpdate,
  type ChatPage,
  deleteChat,
  getChat,
  getFamilyChatIds,
  getRootChatId,
  type ListChatsOptions,
  listChats,
  updateChatMetadata,
} from '../queries/chats.js';
import {
  getMessage,
  getMessagesByRevision,
  getPromptHistory,
  type ListMessagesOptions,
  listMessages,
  listQueuedMessages,
  type MessagePage,
} from '../queries/messages.js';
import {
  type AcquisitionCandidate,
  deleteHeartbeats,
  deleteStaleHeartbeats,
  getAcquisitionCandidates,
  type HeartbeatEntry,
  upsertHeartbeats,
} from '../queries/ownership.js';
import {
  getRunnerSyncRows,
  getStreamSyncRows,
  type RunnerSyncRow,
  type StreamSyncRow,
} from '../queries/sync.js';
import type { ChatMessageRow, ChatQueuedMessageRow, ChatRow } from '../schema/tables.js';
import {
  type ChatLockContext,
  type ChatTransactionOptions,
  type ChatTransitions,
  type CreateChatInput,
  type CreateChatResult,
  createChat,
  lockChat,
  readLockChat,
  setFamilyArchived,
  updateChat,
} from '../state/index.js';
import type { StoreContext } from './store-context.js';

/**
 * Every durable fact about chats: the chat rows and their state machine, messages, the queue
 * of waiting user messages and ownership heartbeats. Open one with `openStore`.
 *
 * Calls are independent: each runs its own transaction (or none) and may interleave with
 * others at every `await`. `close()` waits for calls in flight, then releases the connections
 * the store opened.
 */
export class MessageStore implements AsyncDisposable {
  readonly #connection: DbConnection;
  readonly #context: StoreContext;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use `openStore`. */
  constructor(connection: DbConnection, context: StoreContext) {
    this.#connection = connection;
    this.#context = context;
  }

  /** The driver in use: `'pglite'` (embedded) or `'postgres'`. */
  get driver(): DriverKind {
    return this.#connection.driver;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The store's internals, for the package's own functions and tests.
   * @internal
   */
  get context(): StoreContext {
    return this.#context;
  }

  /**
   * Runs one call: refused after close, counted so close can wait for it.
   * @internal
   */
  async run<T>(fn: (context: StoreContext) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw new StoreClosedError();
    this.#inFlight += 1;
    try {
      return await fn(this.#context);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  // --- state machine (implemented in src/state) ---

  /**
   * Runs one or several state transitions on a chat atomically: locks the row, bumps
   * `snapshot_version` once, runs `fn`, and publishes `chat:update:<id>` (and `chat:ownership`
   * when the chat needs an owner) after the commit. Nested inside another `update`/`lock`
   * callback it joins that transaction.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws StoreClosedError `STORE_CLOSED`
   */
  update<T>(
    chatId: string,
    fn: (chat: ChatTransitions) => Promise<T>,
    options?: ChatTransactionOptions,
  ): Promise<T> {
    return this.run((context) => updateChat(context, chatId, fn, options));
  }

  /**
   * Locks the chat row `FOR UPDATE` for `fn` without a snapshot bump or publish.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  lock<T>(
    chatId: string,
    fn: (lock: ChatLockContext) => Promise<T>,
    options?: ChatTransactionOptions,
  ): Promise<T> {
    return this.run((context) => lockChat(context, chatId, fn, options));
  }

  /**
   * Locks the chat row `FOR SHARE` for `fn` without a snapshot bump or publish.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  readLock<T>(
    chatId: string,
    fn: (lock: ChatLockContext) => Promise<T>,
    options?: ChatTransactionOptions,
  ): Promise<T> {
    return this.run((context) => readLockChat(context, chatId, fn, options));
  }

  /**
   * Creates a chat (status running) with its first messages and publishes its first update and
   * an ownership hint.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a missing owner or no messages.
   * @throws ValidationFailedError `VALIDATION_FAILED` for invalid content.
   * @throws ContentTooLargeError `CONTENT_TOO_LARGE` for oversized content.
   */
  createChat(input: CreateChatInput): Promise<CreateChatResult> {
    return this.run((context) => createChat(context, input));
  }

  /**
   * Archives or unarchives a root chat and all its sub-chats in one transaction.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  setFamilyArchived(rootChatId: string, archived: boolean): Promise<{ chatIds: string[] }> {
    return this.run((context) => setFamilyArchived(context, rootChatId, archived));
  }

  // --- reads for the API and streams ---

  /**
   * One chat.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws StoreClosedError `STORE_CLOSED`
   */
  getChat(chatId: string): Promise<ChatRow> {
    return this.run(({ db }) => getChat(db, chatId));
  }

  /**
   * One message of a chat (soft-deleted ones too).
   * @throws MessageNotFoundError `MESSAGE_NOT_FOUND`
   */
  getMessage(chatId: string, messageId: number): Promise<ChatMessageRow> {
    return this.run(({ db }) => getMessage(db, chatId, messageId));
  }

  /**
   * A page of the user's transcript (non-deleted, user-visible), see {@link MessagePage}.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..200.
   */
  listMessages(chatId: string, options?: ListMessagesOptions): Promise<MessagePage> {
    return this.run(({ db }) => listMessages(db, chatId, options));
  }

  /**
   * The model's history, oldest first (non-deleted, model-visible).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  getPromptHistory(chatId: string): Promise<ChatMessageRow[]> {
    return this.run(({ db }) => getPromptHistory(db, chatId));
  }

  /**
   * User-visible messages written after `afterRevision`, soft-deleted ones included.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  getMessagesByRevision(chatId: string, afterRevision: number): Promise<ChatMessageRow[]> {
    return this.run(({ db }) => getMessagesByRevision(db, chatId, afterRevision));
  }

  /**
   * The queue in the order it will be used (position, then id).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  listQueuedMessages(chatId: string): Promise<ChatQueuedMessageRow[]> {
    return this.run(({ db }) => listQueuedMessages(db, chatId));
  }

  /**
   * An owner's chats, most recent user activity first, keyset-paginated.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a bad limit or cursor.
   */
  listChats(ownerId: string, options?: ListChatsOptions): Promise<ChatPage> {
    return this.run(({ db }) => listChats(db, ownerId, options));
  }

  /**
   * A family's chat ids: the root first, then sub-chats by creation.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the root does not exist.
   */
  getFamilyChatIds(rootChatId: string): Promise<string[]> {
    return this.run(({ db }) => getFamilyChatIds(db, rootChatId));
  }

  /**
   * The root of a chat's family (itself for a root).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  getRootChatId(chatId: string): Promise<string> {
    return this.run(({ db }) => getRootChatId(db, chatId));
  }

  /** The database's current time (leases and deadlines use it, not the local clock). */
  getDatabaseTime(): Promise<Date> {
    return this.run(({ db }) => dbNow(db));
  }

  // --- metadata (not state transitions: no version moves, nothing published) ---

  /**
   * Changes title and/or labels.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an empty update or bad values.
   */
  updateChatMetadata(chatId: string, update: ChatMetadataUpdate): Promise<ChatRow> {
    return this.run(({ db, limits }) => updateChatMetadata(db, limits, chatId, update));
  }

  /**
   * Deletes a chat with its messages, queue, heartbeats and sub-chats. Irreversible.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  deleteChat(chatId: string): Promise<void> {
    return this.run(({ db }) => deleteChat(db, chatId));
  }

  // --- worker ---

  /**
   * Runnable chats without a live owner, oldest update first, skipping locked rows.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..1000.
   */
  getAcquisitionCandidates(limit: number): Promise<AcquisitionCandidate[]> {
    return this.run(({ db, lease }) => getAcquisitionCandidates(db, lease, limit));
  }

  /**
   * Refreshes leases in one statement; returns how many rows were written.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry.
   */
  upsertHeartbeats(workerId: string, entries: readonly HeartbeatEntry[]): Promise<number> {
    return this.run(({ db }) => upsertHeartbeats(db, workerId, entries));
  }

  /**
   * Removes the given leases; returns how many rows were deleted.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry.
   */
  deleteHeartbeats(entries: readonly HeartbeatEntry[]): Promise<number> {
    return this.run(({ db }) => deleteHeartbeats(db, entries));
  }

  /** Deletes leases older than the stale threshold; returns how many. */
  deleteStaleHeartbeats(): Promise<number> {
    return this.run(({ db, lease }) => deleteStaleHeartbeats(db, lease));
  }

  /** Ownership and versions of the given chats (deleted chats are absent). */
  getRunnerSyncRows(chatIds: readonly string[]): Promise<RunnerSyncRow[]> {
    return this.run(({ db }) => getRunnerSyncRows(db, chatIds));
  }

  /** What streams re-read to catch up (deleted chats are absent). */
  getStreamSyncRows(chatIds: readonly string[]): Promise<StreamSyncRow[]> {
    return this.run(({ db }) => getStreamSyncRows(db, chatIds));
  }

  /**
   * Stops accepting calls (they fail with `STORE_CLOSED`), waits for calls in flight, then
   * releases every connection, listener and lock the store opened. An app-owned pool or PGlite
   * instance stays open. Idempotent; concurrent calls share one promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      await this.#connection.close();
    })();
    return this.#closing;
  }

  /** Calls {@link MessageStore.close}, so `await using store = await openStore(…)` works. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
