import type { ChatErrorInfo, ChatStreamEvent } from '@chatd/core';
import { type ChatMessageRow, toChatMessage } from '@chatd/message-store';
import type { FeedPart, FeedView } from './chat-feed.js';
import { encodeCursor, type StreamPosition } from './cursor.js';

/**
 * A `ChatStreamEvent` of `@chatd/core` with the cursor to resume after it. Subscribers of one
 * chat may receive the same event object: treat events as read-only.
 */
export type ChatStreamEventWithCursor = ChatStreamEvent & {
  /**
   * Where this event leaves the subscriber: pass it as `cursor` to `subscribe` (on any replica)
   * to continue after this event.
   */
  cursor: string;
};

/** One subscriber's place: what it has been sent. */
export interface SubscriberState extends StreamPosition {
  /** Whether the first sync was sent (a resumed subscriber starts with it done). */
  synced: boolean;
  /** On the first sync, messages up to this id are not sent. */
  afterMessageId: number | undefined;
  /** The history version at which `error` was last sent. */
  errorSentAt: number;
  /** The history version at which `action-required` was last sent. */
  actionSentAt: number;
}

/** The state of a new subscriber, or of one resuming from `position`. */
export function initialState(
  position: StreamPosition | undefined,
  afterMessageId: number | undefined,
): SubscriberState {
  if (position === undefined) {
    return {
      historyVersion: 0,
      batchRevision: 0,
      batchMessageId: 0,
      queueVersion: 0,
      retryStateVersion: 0,
      status: undefined,
      generationAttempt: 0,
      seq: 0,
      synced: false,
      afterMessageId,
      errorSentAt: 0,
      actionSentAt: 0,
    };
  }
  return {
    ...position,
    synced: true,
    afterMessageId: undefined,
    errorSentAt: position.status === 'error' ? position.historyVersion : 0,
    actionSentAt: position.status === 'requires-action' ? position.historyVersion : 0,
  };
}

const DEFAULT_ERROR: ChatErrorInfo = {
  message: 'The chat request failed unexpectedly.',
  kind: 'generic',
  retryable: false,
};

function byId(a: ChatMessageRow, b: ChatMessageRow): number {
  return a.id - b.id;
}

/** Whether `message`, as it is now, was sent in the history change `state` stopped inside. */
function sentInBatch(state: StreamPosition, message: ChatMessageRow): boolean {
  return message.revision <= state.batchRevision && message.id <= state.batchMessageId;
}

/** Every message up to `historyVersion` sent: no place inside a change to remember. */
function endBatch(state: StreamPosition, historyVersion: number): void {
  state.historyVersion = historyVersion;
  state.batchRevision = 0;
  state.batchMessageId = 0;
}

/** The retry banner stored by the engine, read tolerantly (a malformed one shows nothing). */
function retryEvent(
  chatId: string,
  stored: unknown,
): Extract<ChatStreamEvent, { type: 'retry' }> | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const retry = stored as Record<string, unknown>;
  const { attempt, delayMs, retryingAt, error, kind, provider, statusCode } = retry;
  if (typeof attempt !== 'number' || typeof delayMs !== 'number') return undefined;
  if (typeof retryingAt !== 'string' || typeof error !== 'string') return undefined;
  return {
    type: 'retry',
    chatId,
    attempt,
    delayMs,
    retryAt: retryingAt,
    error: {
      message: error,
      kind: (typeof kind === 'string' ? kind : 'generic') as ChatErrorInfo['kind'],
      retryable: true,
      ...(typeof provider === 'string' ? { provider } : {}),
      ...(typeof statusCode === 'number' ? { statusCode } : {}),
    },
  };
}

/**
 * The events that bring `state` up to `view`, in the order clients apply them: messages
 * (a `history-reset` first when a message it was sent was deleted since), `queue-update`,
 * `status`, `error`, `action-required`, `retry`, `preview-reset`, then the parts of the
 * current episode it has not been sent. Updates `state` as it goes; each event's cursor is
 * the state right after it, so a stream resumed from any event repeats nothing: inside the
 * messages of one history change, each cursor also records the last message sent.
 */
export function nextEvents(view: FeedView, state: SubscriberState): ChatStreamEventWithCursor[] {
  const { chat } = view;
  const chatId = chat.id;
  const events: ChatStreamEventWithCursor[] = [];
  // Each event is a fresh literal: its cursor is added in place, without copying it.
  const emit = (event: ChatStreamEvent) => {
    (event as ChatStreamEventWithCursor).cursor = encodeCursor(state);
    events.push(event as ChatStreamEventWithCursor);
  };
  const historyChanged = !state.synced || chat.historyVersion !== state.historyVersion;

  if (historyChanged) {
    // Deletions up to the change a resumed stream stopped inside were applied when it was sent.
    const reset =
      state.synced &&
      view.lastDeletedRevision > Math.max(state.historyVersion, state.batchRevision);
    const all = [...view.messages.values()].filter((message) => !message.deleted);
    let changed: ChatMessageRow[];
    if (reset) {
      changed = all;
      emit({ type: 'history-reset', chatId });
    } else if (!state.synced) {
      const after = state.afterMessageId ?? 0;
      changed = all.filter((message) => message.id > after);
    } else {
      changed = all.filter(
        (message) => message.revision > state.historyVersion && !sentInBatch(state, message),
      );
    }
    changed.sort(byId);
    // The change is over with its preview reset, below: until then each cursor records the
    // last message sent. After a reset the client rebuilds from what follows it, so a stream
    // resumed inside a reset starts over from the reset (its cursors record no message).
    state.batchRevision = reset ? 0 : chat.historyVersion;
    for (const message of changed) {
      if (!reset) state.batchMessageId = message.id;
      emit({ type: 'message', chatId, message: toChatMessage(message) });
    }
  }
  if (chat.queueVersion > state.queueVersion || !state.synced) {
    state.queueVersion = chat.queueVersion;
    emit({ type: 'queue-update', chatId, queuedMessages: [...view.queue] });
  }
  if (chat.status !== state.status) {
    state.status = chat.status;
    emit({ type: 'status', chatId, status: chat.status });
  }
  if (chat.status === 'error' && chat.historyVersion > state.errorSentAt) {
    state.errorSentAt = chat.historyVersion;
    emit({ type: 'error', chatId, error: chat.lastError ?? DEFAULT_ERROR });
  }
  if (chat.status === 'requires-action' && chat.historyVersion > state.actionSentAt) {
    state.actionSentAt = chat.historyVersion;
    emit({ type: 'action-required', chatId, toolCalls: [...view.pendingCalls] });
  }
  if (chat.retryStateVersion > state.retryStateVersion) {
    state.retryStateVersion = chat.retryStateVersion;
    const retry = retryEvent(chatId, chat.retryState);
    if (retry !== undefined) emit(retry);
  }
  const episodeChanged =
    historyChanged ||
    (chat.generationAttempt !== state.generationAttempt && chat.generationAttempt !== 0);
  if (episodeChanged) {
    if (historyChanged) endBatch(state, chat.historyVersion);
    state.generationAttempt = chat.generationAttempt;
    state.seq = 0;
    state.synced = true;
    emit({ type: 'preview-reset', chatId });
  }
  state.synced = true;

  if (chat.generationAttempt > 0 && chat.generationAttempt === state.generationAttempt) {
    const { parts } = view;
    const shared = sharedPartEvents(view, state);
    for (let index = state.seq; index < parts.length; index += 1) {
      const part = parts[index] as FeedPart;
      state.seq = part.seq;
      let event = shared?.[index];
      if (event === undefined) {
        event = {
          type: 'message-part',
          chatId,
          historyVersion: chat.historyVersion,
          generationAttempt: chat.generationAttempt,
          seq: part.seq,
          role: part.role,
          part: part.part,
          cursor: encodeCursor(state),
        };
        if (shared !== undefined) shared[index] = event;
      }
      events.push(event);
    }
  }
  return events;
}

/** Part events by index, shared by every subscriber caught up with a view. */
const partEventsByView = new WeakMap<FeedView, ChatStreamEventWithCursor[]>();

/**
 * The part events of `view` that every subscriber caught up with it gets as the same objects,
 * or `undefined` when `state` is not caught up (its cursors differ). With many subscribers of
 * a chat, a fresh event and cursor per subscriber for every streamed part was most of the
 * garbage the stream made. The history version and attempt already match when parts are sent.
 */
function sharedPartEvents(
  view: FeedView,
  state: SubscriberState,
): ChatStreamEventWithCursor[] | undefined {
  const { chat } = view;
  if (
    state.queueVersion !== chat.queueVersion ||
    state.retryStateVersion !== chat.retryStateVersion ||
    state.status !== chat.status
  ) {
    return undefined;
  }
  let events = partEventsByView.get(view);
  if (events === undefined) {
    events = [];
    partEventsByView.set(view, events);
  }
  return events;
}
