import type {
  ChatMessageRole,
  ChatStreamPart,
  Clock,
  Logger,
  PendingToolCall,
  QueuedChatMessage,
} from '@chatd/core';
import {
  type ChatMessageRow,
  type ChatQueuedMessageRow,
  type ChatStateRow,
  type ChatUpdatePayload,
  findOutstandingToolCalls,
  type MessageStore,
  toQueuedChatMessage,
} from '@chatd/message-store';
import type { EpisodeKey, MessagePartBuffer } from '@chatd/messagepartbuffer';
import type { ChannelSubscription } from '@chatd/pubsub';
import { isChatUpdate } from '../worker/chat-update.js';
import type { PartSource, PartSourceFactory } from './part-sources.js';

/** One part of the chat's current preview episode. */
export interface FeedPart {
  /** Position in the episode, from 1 without gaps. */
  seq: number;
  /** Role of the message being streamed. */
  role: ChatMessageRole;
  /** The streamed part. */
  part: ChatStreamPart;
}

/** The chat as its feed last read it: every subscriber computes its events from this. */
export interface FeedView {
  /** The chat's state columns as of the last sync. */
  chat: ChatStateRow;
  /** User-visible messages by id, soft-deleted ones included (they mark history rewrites). */
  messages: ReadonlyMap<number, ChatMessageRow>;
  /** The highest revision at which a message was deleted (0: none seen). */
  lastDeletedRevision: number;
  /** The queue, in the order it will be used. */
  queue: readonly QueuedChatMessage[];
  /** Client tool calls waiting for results (status `requires-action`). */
  pendingCalls: readonly PendingToolCall[];
  /** Parts of the current episode (`chat.historyVersion`, `chat.generationAttempt`), in seq order. */
  parts: readonly FeedPart[];
}

/** What a feed needs from its chatd instance. */
export interface FeedContext {
  readonly store: MessageStore;
  readonly buffer: MessagePartBuffer;
  readonly workerId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where parts come from: the local buffer or the draft rows, by who owns the chat. */
  readonly partSources: PartSourceFactory;
}

/**
 * What an update this replica committed left: the chat as its transaction left it and every
 * message that transaction wrote.
 */
export interface CommittedChat {
  /** The chat's state after the transaction. */
  chat: ChatStateRow;
  /** The messages the transaction wrote, as a read returns them. */
  messages: readonly ChatMessageRow[];
}

/** The messages a stream shows, as `getChatSince` selects them: the user's transcript. */
const isUserVisible = (message: ChatMessageRow) => message.visibility !== 'model';

/** A sync is tried this often, 100 ms apart and doubling up to 1 s, before the stream ends. */
const SYNC_ATTEMPTS = 5;
const SYNC_RETRY_DELAY_MS = 100;
const SYNC_RETRY_MAX_DELAY_MS = 1000;

/**
 * Published on `chat:update:<id>` to make every replica's feed of the chat read it again now
 * (a deleted chat's streams end at once everywhere, not at the next sync poll): a deletion
 * writes no chat row, so it publishes no `chat:update` hint of its own. Not a
 * {@link ChatUpdatePayload}, so the chat's runners and other hint readers ignore it.
 */
export interface ResyncNotice {
  chatId: string;
  resync: true;
}

/** Whether `value` is a {@link ResyncNotice} for `chatId` (hints come from other processes). */
export function isResyncNotice(value: unknown, chatId: string): value is ResyncNotice {
  if (typeof value !== 'object' || value === null) return false;
  const notice = value as Record<string, unknown>;
  return notice.resync === true && notice.chatId === chatId;
}

/**
 * Whether a hint says something a subscriber shows has changed: a newer snapshot with a newer
 * history, queue or retry state, or another status, owner or generation attempt. Stale and
 * duplicate hints (not newer than what was read) are ignored.
 */
export function shouldFetch(hint: ChatUpdatePayload, chat: ChatStateRow | undefined): boolean {
  if (chat === undefined) return true;
  if (hint.snapshotVersion <= chat.snapshotVersion) return false;
  return (
    hint.historyVersion > chat.historyVersion ||
    hint.queueVersion > chat.queueVersion ||
    hint.retryStateVersion > chat.retryStateVersion ||
    hint.status !== chat.status ||
    hint.workerId !== chat.workerId ||
    hint.generationAttempt !== chat.generationAttempt
  );
}

/**
 * The one upstream of a chat on this replica, shared by all its subscribers: one hint
 * subscription, one database read per snapshot version, one part source. Subscribers never
 * hold it up: it keeps the current view and wakes them; each reads at its own pace.
 */
export class ChatFeed {
  readonly chatId: string;
  readonly #context: FeedContext;
  #view: FeedView | undefined;
  #messages = new Map<number, ChatMessageRow>();
  #parts: FeedPart[] = [];
  #failure: unknown;
  #closed = false;
  /** Aborted on close: ends a retry's wait at once. */
  readonly #closing = new AbortController();
  #wake!: () => void;
  #changed: Promise<void>;
  #syncing: Promise<void> | undefined;
  #syncAgain = false;
  readonly #hints: ChannelSubscription;
  #source: { episode: string; local: boolean; source: PartSource } | undefined;
  /** Resolves after the first sync (or with the failure that ended the feed). */
  readonly ready: Promise<void>;

  constructor(chatId: string, context: FeedContext) {
    this.chatId = chatId;
    this.#context = context;
    this.#changed = this.#nextChange();
    this.#hints = context.store.pubsub.subscribe(`chat:update:${chatId}`);
    this.ready = this.#hints.ready.then(() => this.requestSync());
    this.ready.catch(() => {});
    void this.#readHints();
  }

  /** The view of the last sync; `undefined` before the first. */
  get view(): FeedView | undefined {
    return this.#view;
  }

  /** Why the feed ended (a sync that kept failing, the chat deleted), if it did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Resolves at the next change of the view (or failure, or close). */
  changed(): Promise<void> {
    return this.#changed;
  }

  /** A hint from the replica's sync poller. */
  offerHint(hint: ChatUpdatePayload): void {
    if (shouldFetch(hint, this.#view?.chat)) void this.requestSync();
  }

  /**
   * Takes what an update committed on this replica left instead of reading the chat again,
   * when the view is the chat just before that update (its snapshot version one lower; every
   * update moves it by one) and the queue stayed as it was (a new queue needs its own read).
   * Offered before the update's hint goes out, so the hint then finds nothing new. Otherwise
   * ignored: the hint leads to a read as usual.
   */
  offerCommitted({ chat, messages }: CommittedChat): void {
    const previous = this.#view?.chat;
    if (
      this.#closed ||
      previous === undefined ||
      chat.snapshotVersion !== previous.snapshotVersion + 1 ||
      chat.queueVersion !== previous.queueVersion
    ) {
      return;
    }
    this.#apply(chat, messages.filter(isUserVisible), undefined);
  }

  /**
   * Reads the chat unless a read that started after this call is already running. Concurrent
   * requests share one read: one database read per snapshot version, however many subscribers.
   */
  requestSync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#syncing !== undefined) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          await this.#syncWithRetries();
        } while (this.#syncAgain && !this.#closed && this.#failure === undefined);
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }

  /** Stops everything the feed runs. Subscribers still reading see the stream end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#hints.cancel();
    this.#source?.source.stop();
    this.#source = undefined;
    this.#wake();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #nextChange(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = () => {
        this.#changed = this.#nextChange();
        resolve();
      };
    });
  }

  async #readHints(): Promise<void> {
    try {
      for await (const event of this.#hints) {
        if (event.type === 'resync') void this.requestSync();
        else if (isChatUpdate(event.payload)) this.offerHint(event.payload);
        // A read, not a trusted fact: the read finds whether the chat is gone.
        else if (isResyncNotice(event.payload, this.chatId)) void this.requestSync();
      }
    } catch (error) {
      this.#context.logger.warn({ err: error, chatId: this.chatId }, 'chat hints ended');
    }
  }

  async #syncWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#sync();
        return;
      } catch (error) {
        if (this.#closed) return;
        const notFound = (error as { code?: unknown }).code === 'CHAT_NOT_FOUND';
        if (notFound || attempt >= SYNC_ATTEMPTS) {
          this.#fail(error);
          return;
        }
        this.#context.logger.warn({ err: error, chatId: this.chatId }, 'chat stream sync failed');
        const delayMs = Math.min(SYNC_RETRY_DELAY_MS * 2 ** (attempt - 1), SYNC_RETRY_MAX_DELAY_MS);
        await this.#context.clock.sleep(delayMs, this.#closing.signal).catch(() => {});
      }
    }
  }

  #fail(error: unknown): void {
    this.#failure = error;
    this.close();
  }

  async #sync(): Promise<void> {
    const { store } = this.#context;
    const previous = this.#view?.chat;
    // The chat and the messages written since the view's history, from one snapshot: the view
    // never holds a message its chat row does not account for.
    const { chat, messages: rows } = await store.getChatSince(
      this.chatId,
      previous?.historyVersion ?? 0,
    );
    if (this.#closed || !this.#isNewer(chat)) return;
    // A queue version of 0 means nothing was ever queued: an empty queue, no read needed.
    const queueChanged =
      previous === undefined ? chat.queueVersion > 0 : chat.queueVersion > previous.queueVersion;
    const queueRows = queueChanged ? await store.listQueuedMessages(this.chatId) : undefined;
    this.#apply(chat, rows, queueRows);
  }

  /** Whether `chat` is newer than the view (or there is no view yet). */
  #isNewer(chat: ChatStateRow): boolean {
    const current = this.#view?.chat;
    return current === undefined || chat.snapshotVersion > current.snapshotVersion;
  }

  /**
   * Moves the view to `chat` with the messages written since the view's history and, when the
   * queue changed, the queue. Nothing when the view is already as new (a committed update was
   * taken while a read ran).
   */
  #apply(
    chat: ChatStateRow,
    rows: readonly ChatMessageRow[],
    queueRows: readonly ChatQueuedMessageRow[] | undefined,
  ): void {
    if (this.#closed || !this.#isNewer(chat)) return;
    let lastDeletedRevision = this.#view?.lastDeletedRevision ?? 0;
    for (const row of rows) {
      this.#messages.set(row.id, row);
      if (row.deleted) lastDeletedRevision = Math.max(lastDeletedRevision, row.revision);
    }
    const queue =
      queueRows === undefined ? (this.#view?.queue ?? []) : queueRows.map(toQueuedChatMessage);
    this.#retarget(chat);
    this.#view = {
      chat,
      messages: this.#messages,
      lastDeletedRevision,
      queue,
      pendingCalls: chat.status === 'requires-action' ? this.#pendingCalls(chat) : [],
      parts: this.#parts,
    };
    this.#wake();
  }

  #pendingCalls(chat: ChatStateRow): PendingToolCall[] {
    const history = [...this.#messages.values()]
      .filter((message) => !message.deleted)
      .sort((a, b) => a.id - b.id);
    return findOutstandingToolCalls(history, {
      dynamicOnly: true,
      dynamicToolNames: chat.dynamicTools.map((declared) => declared.name),
    }).map((call) => ({ toolCallId: call.toolCallId, toolName: call.toolName, input: call.input }));
  }

  /** Follows the parts of the chat's current episode from the right place. */
  #retarget(chat: ChatStateRow): void {
    const key: EpisodeKey | undefined =
      chat.generationAttempt > 0
        ? {
            chatId: this.chatId,
            historyVersion: chat.historyVersion,
            generationAttempt: chat.generationAttempt,
          }
        : undefined;
    const episode = key === undefined ? '' : `${key.historyVersion}/${key.generationAttempt}`;
    const local = chat.workerId === this.#context.workerId;
    const current = this.#source;
    if (current?.episode === episode && current.local === local) return;
    current?.source.stop();
    this.#source = undefined;
    if (current?.episode !== episode) {
      this.#parts = [];
    }
    if (key === undefined) return;
    const parts = this.#parts;
    const source = this.#context.partSources(key, local, {
      afterSeq: () => parts.length,
      accept: (part) => this.#accept(parts, part),
    });
    this.#source = { episode, local, source };
  }

  /**
   * Takes the next part of the episode `parts` belongs to: duplicates are dropped; a part after
   * a gap is refused (`false`), and the source re-reads from the last part it has.
   */
  #accept(parts: FeedPart[], part: FeedPart): boolean {
    if (this.#closed || parts !== this.#parts) return true;
    if (part.seq <= parts.length) return true;
    if (part.seq !== parts.length + 1) return false;
    parts.push(part);
    if (this.#view !== undefined) this.#wake();
    return true;
  }
}
