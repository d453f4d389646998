import { InvalidArgumentError, requirePositiveNumber } from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import type { z } from 'zod';
import type { PGliteInstance } from '../db/client-types.js';
import type { Queryable } from '../db/database.js';
import { type DraftEnvelope, type DraftKey, parseDraftKey } from '../drafts/draft-types.js';
import type { DraftWriter } from '../drafts/draft-writer.js';
import { ChatNotFoundError, StoreClosedError } from '../errors/store-errors.js';
import {
  type ChatPage,
  deleteChat,
  getChat,
  getDatabaseTime,
  getFamilyChatIds,
  getIdleRootChatIds,
  getRootChatId,
  listChats,
  updateChatMetadata,
} from '../queries/chats.js';
import { deleteOldDrafts, readDraftEnvelopes } from '../queries/drafts.js';
import {
  getChatSince,
  getMessage,
  getPromptHistory,
  listMessages,
  type MessagePage,
} from '../queries/messages.js';
import {
  type AcquisitionCandidate,
  deleteHeartbeats,
  deleteStaleHeartbeats,
  getAcquisitionCandidates,
  upsertHeartbeats,
} from '../queries/ownership.js';
import { listQueuedMessages } from '../queries/queue.js';
import { getRunnerSyncRows, getStreamSyncRows, type StreamSyncRow } from '../queries/sync.js';
import type { ChatMessageRow, ChatQueuedMessageRow, ChatRow } from '../schema/rows.js';
import type { ChatStateSnapshot } from '../state/chat-snapshot.js';
import type { ChatTransitions } from '../state/chat-transitions.js';
import type { ChatUpdatePayload } from '../state/payloads.js';
import {
  type ChatTransactionOptions,
  type ChatUpdateOptions,
  type CreateChatResult,
  createChat,
  lockChat,
  setFamilyArchived,
  updateChat,
} from '../state/update-chat.js';
import {
  actorIdSchema,
  archivedSchema,
  type ChatMetadataUpdate,
  type CreateChatInput,
  type CreateChatOptions,
  callbackSchema,
  candidateLimitSchema,
  chatIdSchema,
  chatIdsSchema,
  chatMetadataSchema,
  createChatOptionsSchema,
  type HeartbeatEntry,
  heartbeatsSchema,
  isUuid,
  type ListChatsOptions,
  type ListMessagesOptions,
  listChatsSchema,
  listMessagesSchema,
  revisionSchema,
  rowIdSchema,
  transactionOptionsSchema,
  updateOptionsSchema,
} from '../validation/inputs.js';
import { parseInput } from '../validation/parse-input.js';
import type { StoreContext } from './store-context.js';

/**
 * Every durable fact about chats: the chat rows and their state machine, messages, the queue
 * of waiting user messages and ownership heartbeats. Open one with `openStore`.
 *
 * Every argument is parsed before any database work: malformed input is refused with
 * `INVALID_ARGUMENT` or `VALIDATION_FAILED` naming the field, and nothing is written. A chat
 * id that is not a UUID cannot exist: it is `CHAT_NOT_FOUND`.
 *
 * Calls are independent: each runs its own transaction (or none) and may interleave with
 * others at every `await`. Called inside an `update` / `lock` callback, a method runs in that
 * callback's transaction (reads see its writes; writes commit with it). `close()` waits for
 * calls in flight, then releases the connections the store opened.
 */
export class MessageStore implements AsyncDisposable {
  readonly #context: StoreContext;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use `openStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /** The driver in use: `'pglite'` (embedded) or `'postgres'`. */
  get driver(): 'pglite' | 'postgres' {
    return this.#context.db.driver;
  }

  /**
   * The embedded PGlite instance, whether the store opened it (`dataDir`, `memory`) or was given
   * it; `undefined` on Postgres. For an app's own tables next to the store's (the reference
   * server keeps its users there): opening the data folder through the store gives the app its
   * lock and its memory-saving creation. The store closes the instance it opened: use it only
   * while the store is open, and never in the store's own tables.
   */
  get pglite(): PGliteInstance | undefined {
    return this.#context.db.pglite;
  }

  /**
   * Whether this store is the only one on its database: it opened the database itself
   * (`dataDir`, `memory`) or was told so (`{ pglite, exclusive: true }`). Then every change is
   * made here and announced on {@link MessageStore.pubsub} before the writing call returns, so
   * a subscriber misses nothing however late its transport starts listening. `false` for a
   * database others may share (`url`, `pool`, a `pglite` not declared exclusive).
   */
  get exclusive(): boolean {
    return this.#context.exclusive;
  }

  /**
   * The ownership lease this store was opened with. The store itself never heartbeats: the
   * engine reads the interval and the stale threshold here, so every process sharing the
   * database uses the values the store's ownership checks use.
   */
  get lease(): Readonly<{ heartbeatIntervalMs: number; staleAfterMs: number }> {
    return this.#context.lease;
  }

  /**
   * The PubSub the store publishes `chat:update:<id>` and `chat:ownership` on after each
   * commit. The engine subscribes to both here and publishes its own ownership hints (when it
   * hands chats over) on the same bus, so every process sharing the database sees them.
   */
  get pubsub(): PubSub {
    return this.#context.pubsub;
  }

  /**
   * The draft writer: appends the parts of in-flight episodes in throttled batches and
   * announces each batch on `chat:draft:<chatId>` (see {@link DraftWriter}).
   */
  get drafts(): DraftWriter {
    return this.#context.drafts;
  }

  /**
   * The envelopes of an episode's draft after `afterSeq`, in seq order: what a replica that
   * follows the episode missed, or what a takeover recovers of a crashed generation. Empty
   * once the chat has moved past the episode (its rows go with that commit).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed key or afterSeq.
   */
  async readDraft(
    key: DraftKey,
    { afterSeq = 0 }: { afterSeq?: number } = {},
  ): Promise<DraftEnvelope[]> {
    const parsed = parseDraftKey(key);
    if (!(Number.isSafeInteger(afterSeq) && afterSeq >= 0)) {
      throw new InvalidArgumentError('afterSeq', 'expected a non-negative integer');
    }
    return this.#query((db) => readDraftEnvelopes(db, parsed, afterSeq));
  }

  /**
   * Deletes draft rows older than `olderThanMs` (default one hour): episodes whose writer died
   * before the chat moved on. The engine calls it periodically; returns how many rows went.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a non-positive olderThanMs.
   */
  async sweepDrafts({ olderThanMs = 60 * 60_000 }: { olderThanMs?: number } = {}): Promise<number> {
    requirePositiveNumber('olderThanMs', olderThanMs);
    return this.#query((db) => deleteOldDrafts(db, olderThanMs));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Runs one call: refused after close (unless it runs inside the transaction of a call in
   * flight, which close waits for), counted so close can wait for it.
   */
  async #run<T>(fn: (context: StoreContext) => Promise<T>): Promise<T> {
    const insideCallInFlight = this.#context.db.currentTransaction() !== undefined;
    if (this.#closing !== undefined && !insideCallInFlight) throw new StoreClosedError();
    this.#inFlight += 1;
    try {
      return await fn(this.#context);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  /** Runs a query on the caller's open transaction of this store, or outside one. */
  #query<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    return this.#run(({ db }) => fn(db.currentTransaction() ?? db));
  }

  // --- state machine ---

  /**
   * Runs one or several state transitions on a chat atomically: locks the row, bumps
   * `snapshot_version` once, runs `fn`, and publishes `chat:update:<id>` (and `chat:ownership`
   * when the chat needs an owner) after the commit. Nested inside another `update`/`lock`
   * callback it joins that transaction (unless the store was opened with
   * `ambientTransactions: false`).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws StoreClosedError `STORE_CLOSED`
   */
  update<T>(
    chatId: string,
    fn: (chat: ChatTransitions) => Promise<T>,
    options?: ChatUpdateOptions,
  ): Promise<T> {
    return this.#run(async (context) => {
      parseTransactionArguments(chatId, fn, options, updateOptionsSchema);
      return updateChat(context, chatId, fn, options);
    });
  }

  /**
   * Locks the chat row `FOR UPDATE` for `fn`, which gets the chat as locked, without a
   * snapshot bump or publish.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  lock<T>(
    chatId: string,
    fn: (chat: ChatStateSnapshot) => Promise<T>,
    options?: ChatTransactionOptions,
  ): Promise<T> {
    return this.#run(async (context) => {
      parseTransactionArguments(chatId, fn, options);
      return lockChat(context, chatId, 'update', fn, options);
    });
  }

  /**
   * Locks the chat row `FOR SHARE` for `fn`, which gets the chat as locked (transitions wait,
   * other readers do not), without a snapshot bump or publish.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  readLock<T>(
    chatId: string,
    fn: (chat: ChatStateSnapshot) => Promise<T>,
    options?: ChatTransactionOptions,
  ): Promise<T> {
    return this.#run(async (context) => {
      parseTransactionArguments(chatId, fn, options);
      return lockChat(context, chatId, 'share', fn, options);
    });
  }

  /**
   * Creates a chat (status running) with its first messages and publishes its first update and,
   * unless it was created with an `owner`, an ownership hint. Returns the chat as committed.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a missing owner, no messages, an `id`
   *   a chat has already, or another malformed field.
   * @throws ValidationFailedError `VALIDATION_FAILED` for invalid content.
   * @throws ContentTooLargeError `CONTENT_TOO_LARGE` for oversized content.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND` when `parentChatId` does not exist.
   * @throws What `options.beforeWrite` throws; nothing is written then.
   */
  createChat(input: CreateChatInput, options?: CreateChatOptions): Promise<CreateChatResult> {
    return this.#run(async (context) => {
      const parsed = parseInput(context.inputs.createChat, input, 'input');
      const beforeWrite = parseInput(createChatOptionsSchema, options, 'options')?.beforeWrite;
      if (parsed.parentChatId !== undefined) assertChatIdShape(parsed.parentChatId);
      await beforeWrite?.();
      return createChat(context, parsed);
    });
  }

  /**
   * Archives or unarchives a root chat and all its sub-chats in one transaction.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws ChatNotRootError `CHAT_NOT_ROOT` when `rootChatId` has a parent.
   * @throws TransitionNotAllowedError `TRANSITION_NOT_ALLOWED` when a member is busy.
   */
  setFamilyArchived(rootChatId: string, archived: boolean): Promise<{ chatIds: string[] }> {
    return this.#run(async (context) => {
      parseChatId(rootChatId, 'rootChatId');
      parseInput(archivedSchema, archived, 'archived');
      return setFamilyArchived(context, rootChatId, archived);
    });
  }

  // --- reads for the API and streams ---

  /**
   * One chat.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws StoreClosedError `STORE_CLOSED`
   */
  async getChat(chatId: string): Promise<ChatRow> {
    parseChatId(chatId);
    return this.#query((db) => getChat(db, chatId));
  }

  /**
   * One message of a chat (soft-deleted ones too).
   * @throws MessageNotFoundError `MESSAGE_NOT_FOUND`
   */
  async getMessage(chatId: string, messageId: number): Promise<ChatMessageRow> {
    parseChatId(chatId);
    parseInput(rowIdSchema, messageId, 'messageId');
    return this.#query((db) => getMessage(db, chatId, messageId));
  }

  /**
   * A page of the user's transcript (non-deleted, user-visible), see {@link MessagePage}.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..200 or a bad cursor.
   */
  async listMessages(chatId: string, options?: ListMessagesOptions): Promise<MessagePage> {
    parseChatId(chatId);
    parseInput(listMessagesSchema, options, 'options');
    return this.#query((db) => listMessages(db, chatId, options));
  }

  /**
   * The model's history, oldest first (non-deleted, model-visible).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  async getPromptHistory(chatId: string): Promise<ChatMessageRow[]> {
    parseChatId(chatId);
    return this.#query((db) => getPromptHistory(db, chatId));
  }

  /**
   * The chat with its user-visible messages written after `afterRevision` (soft-deleted ones
   * included, by id), read in one statement, so both come from one snapshot: what a stream
   * that keeps a view of the chat reads to catch up.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a negative or non-integer revision.
   */
  async getChatSince(
    chatId: string,
    afterRevision: number,
  ): Promise<{
    /** The chat row. */
    chat: ChatRow;
    /** Its user-visible messages written after `afterRevision`, by id. */
    messages: ChatMessageRow[];
  }> {
    parseChatId(chatId);
    parseInput(revisionSchema, afterRevision, 'afterRevision');
    return this.#query((db) => getChatSince(db, chatId, afterRevision));
  }

  /**
   * The queue in the order it will be used (position, then id).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  async listQueuedMessages(chatId: string): Promise<ChatQueuedMessageRow[]> {
    parseChatId(chatId);
    return this.#query((db) => listQueuedMessages(db, chatId));
  }

  /**
   * An owner's chats, most recent user activity first, keyset-paginated.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a bad owner, limit or cursor.
   */
  async listChats(ownerId: string, options?: ListChatsOptions): Promise<ChatPage> {
    parseInput(actorIdSchema, ownerId, 'ownerId');
    parseInput(listChatsSchema, options, 'options');
    return this.#query((db) => listChats(db, ownerId, options));
  }

  /**
   * A family's chat ids: the root first, then sub-chats by creation.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND` when the root does not exist.
   */
  async getFamilyChatIds(rootChatId: string): Promise<string[]> {
    parseChatId(rootChatId, 'rootChatId');
    return this.#query((db) => getFamilyChatIds(db, rootChatId));
  }

  /**
   * The root of a chat's family (itself for a root).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  async getRootChatId(chatId: string): Promise<string> {
    parseChatId(chatId);
    return this.#query((db) => getRootChatId(db, chatId));
  }

  /** The database's current time (leases and deadlines use it, not the local clock). */
  getDatabaseTime(): Promise<Date> {
    return this.#query(getDatabaseTime);
  }

  // --- metadata (not state transitions: no version moves, nothing published) ---

  /**
   * Changes title and/or labels, with the same rules as `createChat`; with `onlyIfTitle`, only
   * while the title is still that. Returns the chat as it is afterwards (unchanged when
   * `onlyIfTitle` did not match).
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an empty update or bad values.
   */
  async updateChatMetadata(chatId: string, update: ChatMetadataUpdate): Promise<ChatRow> {
    parseChatId(chatId);
    const parsed = parseInput(chatMetadataSchema, update, 'update');
    return this.#query((db) => updateChatMetadata(db, chatId, parsed));
  }

  /**
   * Deletes a chat with its messages, queue, heartbeats and sub-chats. Irreversible.
   * @throws ChatNotFoundError `CHAT_NOT_FOUND`
   */
  async deleteChat(chatId: string): Promise<void> {
    parseChatId(chatId);
    await this.#query((db) => deleteChat(db, chatId));
    this.#context.recentChats.forget(chatId);
  }

  // --- worker ---

  /**
   * Root chats to auto-archive: unarchived, created before `cutoff`, every member of the family
   * idle (waiting or error), and no message (deleted ones aside) in the family since `cutoff`.
   * Oldest first, at most `limit`.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an invalid date or a limit outside
   *   1..1000.
   */
  async getIdleRootChats(cutoff: Date, limit: number): Promise<string[]> {
    if (!(cutoff instanceof Date) || Number.isNaN(cutoff.getTime())) {
      throw new InvalidArgumentError('cutoff', 'expected a valid Date');
    }
    parseInput(candidateLimitSchema, limit, 'limit');
    return this.#query((db) => getIdleRootChatIds(db, cutoff, limit));
  }

  /**
   * Runnable chats without a live owner, oldest update first. Rows other transactions hold
   * locked are skipped (`FOR NO KEY UPDATE SKIP LOCKED`; a foreign-key check's `KEY SHARE` lock
   * does not hide a row), so workers polling at the same time inside
   * their own transactions see disjoint sets.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a limit outside 1..1000.
   */
  async getAcquisitionCandidates(limit: number): Promise<AcquisitionCandidate[]> {
    parseInput(candidateLimitSchema, limit, 'limit');
    return this.#query((db) =>
      getAcquisitionCandidates(db, this.#context.lease.staleAfterMs, limit),
    );
  }

  /**
   * Refreshes leases in one statement; returns how many rows were written.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry or worker id.
   */
  async upsertHeartbeats(workerId: string, entries: readonly HeartbeatEntry[]): Promise<number> {
    parseInput(actorIdSchema, workerId, 'workerId');
    parseInput(heartbeatsSchema, entries, 'entries');
    return this.#query((db) => upsertHeartbeats(db, workerId, entries));
  }

  /**
   * Removes the given leases; returns how many rows were deleted.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed entry.
   */
  async deleteHeartbeats(entries: readonly HeartbeatEntry[]): Promise<number> {
    parseInput(heartbeatsSchema, entries, 'entries');
    return this.#query((db) => deleteHeartbeats(db, entries));
  }

  /** Deletes leases older than the stale threshold; returns how many. */
  deleteStaleHeartbeats(): Promise<number> {
    return this.#query((db) => deleteStaleHeartbeats(db, this.#context.lease.staleAfterMs));
  }

  /**
   * Ownership and versions of the given chats, as a `chat:update` would carry them (deleted
   * chats are absent).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` unless `chatIds` is an array of strings.
   */
  async getRunnerSyncRows(chatIds: readonly string[]): Promise<ChatUpdatePayload[]> {
    parseInput(chatIdsSchema, chatIds, 'chatIds');
    return this.#query((db) => getRunnerSyncRows(db, chatIds));
  }

  /**
   * What streams re-read to catch up (deleted chats are absent).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` unless `chatIds` is an array of strings.
   */
  async getStreamSyncRows(chatIds: readonly string[]): Promise<StreamSyncRow[]> {
    parseInput(chatIdsSchema, chatIds, 'chatIds');
    return this.#query((db) => getStreamSyncRows(db, chatIds));
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
      await this.#context.drafts.close();
      await this.#context.db.close();
    })();
    return this.#closing;
  }

  /** Calls {@link MessageStore.close}, so `await using store = await openStore(…)` works. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function parseTransactionArguments(
  chatId: unknown,
  fn: unknown,
  options: unknown,
  optionsSchema: z.ZodType = transactionOptionsSchema,
): void {
  parseChatId(chatId);
  parseInput(callbackSchema, fn, 'fn');
  parseInput(optionsSchema, options, 'options');
}

/** A chat id must be a string; one that is not a UUID cannot exist (`CHAT_NOT_FOUND`). */
function parseChatId(chatId: unknown, argument = 'chatId'): void {
  parseInput(chatIdSchema, chatId, argument);
  assertChatIdShape(chatId as string);
}

/**
 * Throws `CHAT_NOT_FOUND` for an id that cannot exist (not a UUID). Checked here, at the
 * boundary, so the queries never pass such an id to a `uuid` column (a driver error).
 */
function assertChatIdShape(chatId: string): void {
  if (!isUuid(chatId)) throw new ChatNotFoundError(chatId);
}
