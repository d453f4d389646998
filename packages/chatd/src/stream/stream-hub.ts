import { InvalidArgumentError, type TimerHandle } from '@chatd/core';
import { ChatNotFoundError, chatUpdateChannel } from '@chatd/message-store';
import { ChatFeed, type CommittedChat, type FeedContext, type ResyncNotice } from './chat-feed.js';
import { decodeCursor } from './cursor.js';
import {
  type ChatStreamEventWithCursor,
  initialState,
  nextEvents,
  type SubscriberState,
} from './subscriber-events.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a subscription starts. */
export interface SubscribeOptions {
  /**
   * For a new stream: committed messages up to this id are not sent (the client already has
   * them, from `listMessages` say). Everything else of the chat's state is. Ignored with a
   * `cursor`, which already says what the client has.
   */
  afterMessageId?: number;
  /**
   * Resume after the event that carried this cursor, on any replica: nothing the stream
   * already sent is sent again (a message that changed since comes again, as it is now), and
   * nothing is skipped.
   */
  cursor?: string;
  /** Ends the stream (the iteration finishes normally). */
  signal?: AbortSignal;
}

/** Resolves when `changed` does or `signal` aborts, leaving no listener behind. */
function changeOrAbort(changed: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return changed;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void changed.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** How a subscriber's iterator reaches the hub's feeds. */
interface FeedAccess {
  closed(): boolean;
  attach(): ChatFeed;
  detach(feed: ChatFeed): void;
}

type EventResult = IteratorResult<ChatStreamEventWithCursor, undefined>;

const DONE: EventResult = { value: undefined, done: true };

/**
 * One subscriber's stream: the events that bring it up to its feed's view, each time the view
 * changes. An iterator object rather than an async generator: a generator's `yield` costs
 * every event one more microtask hop and its request queue, paid once per subscriber for each
 * streamed part (with 1,000 subscribers of a chat, about a fifth of the time a part takes to
 * reach the median one).
 * Calls to `next` run one after another, as a generator's would; `return` detaches at once.
 */
class SubscriberEvents implements AsyncIterator<ChatStreamEventWithCursor, undefined> {
  readonly #chatId: string;
  readonly #state: SubscriberState;
  readonly #signal: AbortSignal | undefined;
  readonly #access: FeedAccess;
  #feed: ChatFeed | undefined;
  #events: ChatStreamEventWithCursor[] = [];
  #sent = 0;
  /** Whether {@link SubscriberEvents.#nextBatch} runs: a `next` meanwhile waits for `#pending`. */
  #waiting = false;
  #pending: Promise<EventResult> | undefined;
  #finished = false;

  constructor(
    chatId: string,
    state: SubscriberState,
    signal: AbortSignal | undefined,
    access: FeedAccess,
  ) {
    this.#chatId = chatId;
    this.#state = state;
    this.#signal = signal;
    this.#access = access;
  }

  next(): Promise<EventResult> {
    if (this.#waiting) return (this.#pending as Promise<EventResult>).then(() => this.next());
    const event = this.#events[this.#sent];
    if (event !== undefined && !this.#finished) {
      this.#sent += 1;
      return Promise.resolve({ value: event, done: false });
    }
    this.#waiting = true;
    this.#pending = this.#nextBatch();
    return this.#pending;
  }

  return(): Promise<EventResult> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  /** Waits for the view to move past what this subscriber was sent; returns the first event. */
  async #nextBatch(): Promise<EventResult> {
    try {
      const feed = this.#feed ?? (await this.#attached());
      if (feed === undefined) return this.#finish();
      for (;;) {
        if (this.#finished || this.#signal?.aborted) return this.#finish();
        if (feed.failure !== undefined) throw feed.failure;
        if (feed.closed) return this.#finish();
        // Taken before reading the view, so a change made while the events are read is not missed.
        const changed = feed.changed();
        const view = feed.view;
        const events = view === undefined ? [] : nextEvents(view, this.#state);
        if (events.length > 0) {
          this.#events = events;
          this.#sent = 1;
          return { value: events[0] as ChatStreamEventWithCursor, done: false };
        }
        await changeOrAbort(changed, this.#signal);
      }
    } catch (error) {
      this.#finish();
      throw error;
    } finally {
      this.#waiting = false;
    }
  }

  /** The feed, attached on the first call; `undefined` when the stream ends before it starts. */
  async #attached(): Promise<ChatFeed | undefined> {
    if (this.#feed !== undefined) return this.#feed;
    if (this.#finished || this.#access.closed() || this.#signal?.aborted) return undefined;
    // An id that is not a UUID names no chat (and no valid channel).
    if (!UUID.test(this.#chatId)) throw new ChatNotFoundError(this.#chatId);
    this.#feed = this.#access.attach();
    await this.#feed.ready;
    return this.#feed;
  }

  #finish(): EventResult {
    if (!this.#finished) {
      this.#finished = true;
      this.#events = [];
      if (this.#feed !== undefined) this.#access.detach(this.#feed);
    }
    return DONE;
  }
}

/**
 * The chat streams of one chatd instance: one {@link ChatFeed} per watched chat, shared by its
 * subscribers, and one poller that re-reads every watched chat's versions in one query, in
 * case a hint was lost.
 */
export class StreamHub {
  readonly #context: FeedContext;
  readonly #pollIntervalMs: number;
  readonly #feeds = new Map<string, { feed: ChatFeed; subscribers: number }>();
  #poller: TimerHandle | undefined;
  #closed = false;

  constructor(context: FeedContext, { pollIntervalMs }: { pollIntervalMs: number }) {
    this.#context = context;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** How many chats have a feed on this replica. */
  get feedCount(): number {
    return this.#feeds.size;
  }

  /**
   * A chat's stream from `options`. Iteration fails with `CHAT_NOT_FOUND` for an unknown chat
   * (or one deleted while streaming) and with the store's error when reading keeps failing.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed cursor or afterMessageId.
   */
  subscribe(
    chatId: string,
    options: SubscribeOptions = {},
  ): AsyncIterable<ChatStreamEventWithCursor> {
    const { afterMessageId, cursor, signal } = options;
    if (
      afterMessageId !== undefined &&
      !(Number.isSafeInteger(afterMessageId) && afterMessageId >= 0)
    ) {
      throw new InvalidArgumentError('afterMessageId', 'must be a non-negative integer');
    }
    const position = cursor === undefined ? undefined : decodeCursor(cursor);
    return {
      [Symbol.asyncIterator]: () =>
        new SubscriberEvents(chatId, initialState(position, afterMessageId), signal, {
          closed: () => this.#closed,
          attach: () => this.#attach(chatId),
          detach: (feed) => this.#detach(chatId, feed),
        }),
    };
  }

  /** Ends every stream and stops the poller. */
  close(): void {
    this.#closed = true;
    for (const { feed } of this.#feeds.values()) feed.close();
    this.#feeds.clear();
    this.#poller?.cancel();
    this.#poller = undefined;
  }

  /** Hands what an update committed here to the chat's feed, if this replica streams it. */
  offerCommitted(chatId: string, commit: CommittedChat): void {
    this.#feeds.get(chatId)?.feed.offerCommitted(commit);
  }

  /**
   * Re-reads one chat's feed now, if this replica streams it, and tells the other replicas to
   * re-read theirs (a {@link ResyncNotice} on the chat's hint channel): a deleted chat's
   * streams end at once on every replica. Without the notice, the other replicas would learn
   * of a deletion only from their sync poll, up to `streamSyncIntervalMs` later.
   */
  resync(chatId: string): void {
    void this.#feeds.get(chatId)?.feed.requestSync();
    if (this.#closed) return;
    const notice: ResyncNotice = { chatId, resync: true };
    try {
      this.#context.store.pubsub.publish(chatUpdateChannel(chatId), { ...notice });
    } catch (error) {
      // A hint: the others' sync poll still finds the change.
      this.#context.logger.warn({ err: error, chatId }, 'stream resync notice failed');
    }
  }

  #attach(chatId: string): ChatFeed {
    let entry = this.#feeds.get(chatId);
    if (entry === undefined) {
      entry = { feed: new ChatFeed(chatId, this.#context), subscribers: 0 };
      this.#feeds.set(chatId, entry);
      this.#startPoller();
    }
    entry.subscribers += 1;
    return entry.feed;
  }

  #detach(chatId: string, feed: ChatFeed): void {
    const entry = this.#feeds.get(chatId);
    if (entry === undefined || entry.feed !== feed) return;
    entry.subscribers -= 1;
    if (entry.subscribers > 0) return;
    this.#feeds.delete(chatId);
    feed.close();
    if (this.#feeds.size === 0) {
      this.#poller?.cancel();
      this.#poller = undefined;
    }
  }

  #startPoller(): void {
    if (this.#poller !== undefined || this.#closed) return;
    this.#poller = this.#context.clock.setInterval(() => void this.#poll(), this.#pollIntervalMs);
    this.#poller.unref();
  }

  /** One query for every watched chat; each feed decides whether its row says anything new. */
  async #poll(): Promise<void> {
    const chatIds = [...this.#feeds.keys()];
    if (chatIds.length === 0) return;
    try {
      const rows = await this.#context.store.getStreamSyncRows(chatIds);
      const found = new Set<string>();
      for (const row of rows) {
        found.add(row.chatId);
        // A feed closed while the query ran is no longer in the map: nothing is sent to it.
        this.#feeds.get(row.chatId)?.feed.offerHint(row);
      }
      for (const chatId of chatIds) {
        if (!found.has(chatId)) void this.#feeds.get(chatId)?.feed.requestSync();
      }
    } catch (error) {
      this.#context.logger.warn({ err: error }, 'stream sync poll failed');
    }
  }
}
