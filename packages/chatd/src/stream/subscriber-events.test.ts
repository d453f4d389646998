import type { ChatStreamEvent } from '@chatd/core';
import { errorOf } from '@chatd/core/testing';
import type { ChatMessageRow, ChatRow, ChatUpdatePayload } from '@chatd/message-store';
import { describe, expect, it } from 'vitest';
import { type FeedPart, type FeedView, shouldFetch } from './chat-feed.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { initialState, nextEvents } from './subscriber-events.js';

const chatId = '00000000-0000-4000-8000-000000000001';

function chatRow(fields: Partial<ChatRow> = {}): ChatRow {
  return {
    id: chatId,
    snapshotVersion: 1,
    historyVersion: 1,
    queueVersion: 0,
    retryStateVersion: 0,
    generationAttempt: 0,
    status: 'waiting',
    workerId: null,
    runnerId: null,
    lastError: null,
    retryState: null,
    dynamicTools: [],
    ...fields,
  } as ChatRow;
}

function messageRow(id: number, revision: number, fields: Partial<ChatMessageRow> = {}) {
  return {
    id,
    chatId,
    role: 'user',
    content: { version: 1, parts: [{ type: 'text', text: `message ${id}` }] },
    visibility: 'both',
    revision,
    deleted: false,
    createdAt: new Date(Date.UTC(2026, 0, 1)),
    createdBy: null,
    modelConfigId: null,
    inputTokens: null,
    outputTokens: null,
    totalTokens: null,
    reasoningTokens: null,
    cacheReadTokens: null,
    cacheWriteTokens: null,
    contextLimit: null,
    ...fields,
  } as ChatMessageRow;
}

function view(chat: ChatRow, messages: ChatMessageRow[], fields: Partial<FeedView> = {}): FeedView {
  const lastDeletedRevision = Math.max(
    0,
    ...messages.filter((message) => message.deleted).map((message) => message.revision),
  );
  return {
    chat,
    messages: new Map(messages.map((message) => [message.id, message])),
    lastDeletedRevision,
    queue: [],
    pendingCalls: [],
    parts: [],
    ...fields,
  };
}

/** Event types, with the message id for `message` events. */
function summary(events: ChatStreamEvent[]): string[] {
  return events.map((event) =>
    event.type === 'message'
      ? `message ${event.message.id}`
      : event.type === 'message-part'
        ? `part ${event.seq}`
        : event.type,
  );
}

function hint(fields: Partial<ChatUpdatePayload>): ChatUpdatePayload {
  return {
    chatId,
    snapshotVersion: 2,
    workerId: null,
    runnerId: null,
    historyVersion: 1,
    queueVersion: 0,
    retryStateVersion: 0,
    generationAttempt: 0,
    status: 'waiting',
    archived: false,
    ...fields,
  };
}

const textPart = (seq: number): FeedPart => ({
  seq,
  role: 'assistant',
  part: { type: 'text-delta', id: 't', delta: `d${seq}` },
});

describe('the hint filter', () => {
  const known = chatRow({ snapshotVersion: 5, historyVersion: 3, queueVersion: 2 });
  it.each([
    ['no chat read yet', hint({}), undefined, true],
    ['a stale snapshot', hint({ snapshotVersion: 4, historyVersion: 9 }), known, false],
    ['a duplicate snapshot', hint({ snapshotVersion: 5, historyVersion: 9 }), known, false],
    [
      'a newer snapshot with nothing shown changed',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 2 }),
      known,
      false,
    ],
    [
      'newer history',
      hint({ snapshotVersion: 6, historyVersion: 4, queueVersion: 2 }),
      known,
      true,
    ],
    [
      'a newer queue',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 3 }),
      known,
      true,
    ],
    [
      'a newer retry state',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 2, retryStateVersion: 1 }),
      known,
      true,
    ],
    [
      'another status',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 2, status: 'running' }),
      known,
      true,
    ],
    [
      'another owner',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 2, workerId: 'w' }),
      known,
      true,
    ],
    [
      'another attempt',
      hint({ snapshotVersion: 6, historyVersion: 3, queueVersion: 2, generationAttempt: 1 }),
      known,
      true,
    ],
  ] as const)('%s: fetch = %s', (_name, offered, chat, expected) => {
    expect(shouldFetch(offered, chat)).toBe(expected);
  });
});

describe('events of a sync, in apply order', () => {
  it('first sync after message 1 sends message 2, the status and a preview reset; an edit re-sends message 1', () => {
    const state = initialState(undefined, 1);
    const first = view(chatRow({ historyVersion: 2 }), [messageRow(1, 1), messageRow(2, 2)]);
    expect(summary(nextEvents(first, state))).toEqual([
      'message 2',
      'queue-update',
      'status',
      'preview-reset',
    ]);
    const edited = view(chatRow({ snapshotVersion: 2, historyVersion: 3 }), [
      messageRow(1, 3, { content: { version: 1, parts: [{ type: 'text', text: 'edited' }] } }),
      messageRow(2, 2),
    ]);
    const events = nextEvents(edited, state);
    expect(summary(events)).toEqual(['message 1', 'preview-reset']);
    expect(events[0]).toMatchObject({ message: { id: 1, revision: 3 } });
  });

  it('resumed inside the messages of one history change, sends only the rest of them', () => {
    const state = initialState(undefined, undefined);
    nextEvents(view(chatRow({ historyVersion: 2 }), [messageRow(1, 1), messageRow(2, 2)]), state);
    const batch = view(chatRow({ snapshotVersion: 2, historyVersion: 3 }), [
      messageRow(1, 1),
      messageRow(2, 2),
      messageRow(3, 3),
      messageRow(4, 3),
      messageRow(5, 3),
    ]);
    const sent = nextEvents(batch, state);
    expect(summary(sent)).toEqual(['message 3', 'message 4', 'message 5', 'preview-reset']);
    const resumed = (index: number) => initialState(decodeCursor(sent[index]?.cursor as string), 0);
    // What followed the change (its preview reset) follows the rest of it again.
    expect(summary(nextEvents(batch, resumed(0)))).toEqual([
      'message 4',
      'message 5',
      'preview-reset',
    ]);
    expect(summary(nextEvents(batch, resumed(1)))).toEqual(['message 5', 'preview-reset']);
    expect(summary(nextEvents(batch, resumed(2)))).toEqual(['preview-reset']);
    // Changed again since: message 3 (sent) was rewritten, message 6 is new; 4 stays sent.
    const later = view(chatRow({ snapshotVersion: 3, historyVersion: 4 }), [
      ...[...batch.messages.values()].filter((message) => message.id !== 3),
      messageRow(3, 4, { content: { version: 1, parts: [{ type: 'text', text: 'rewritten' }] } }),
      messageRow(6, 4),
    ]);
    expect(summary(nextEvents(later, resumed(1)))).toEqual([
      'message 3',
      'message 5',
      'message 6',
      'preview-reset',
    ]);
  });

  it('resumed inside the first sync, sends only the rest of it (no reset for older deletions)', () => {
    const all = view(chatRow({ historyVersion: 3 }), [
      messageRow(1, 1),
      messageRow(2, 2),
      messageRow(3, 3),
      messageRow(4, 3, { deleted: true }),
    ]);
    const sent = nextEvents(all, initialState(undefined, undefined));
    expect(summary(sent).slice(0, 3)).toEqual(['message 1', 'message 2', 'message 3']);
    const resumed = initialState(decodeCursor(sent[0]?.cursor as string), undefined);
    // The queue never changed (version 0, empty), so there is no queue-update to catch up on.
    expect(summary(nextEvents(all, resumed))).toEqual([
      'message 2',
      'message 3',
      'status',
      'preview-reset',
    ]);
    // Resumed after the status, only the preview reset that ends the change is left.
    const afterStatus = sent.find((event) => event.type === 'status');
    const late = initialState(decodeCursor(afterStatus?.cursor as string), undefined);
    expect(summary(nextEvents(all, late))).toEqual(['preview-reset']);
  });

  it('a deleted message sends history-reset, then every current message, then a preview reset', () => {
    const state = initialState(undefined, undefined);
    nextEvents(view(chatRow({ historyVersion: 2 }), [messageRow(1, 1), messageRow(2, 2)]), state);
    const rewritten = view(chatRow({ snapshotVersion: 2, historyVersion: 3 }), [
      messageRow(1, 1),
      messageRow(2, 3, { deleted: true }),
      messageRow(3, 3),
    ]);
    expect(summary(nextEvents(rewritten, state))).toEqual([
      'history-reset',
      'message 1',
      'message 3',
      'preview-reset',
    ]);
  });

  it('a combined change sends queue-update, status, error, retry, preview-reset in that order', () => {
    const state = initialState(undefined, undefined);
    nextEvents(view(chatRow({ status: 'running' }), [messageRow(1, 1)]), state);
    const failed = view(
      chatRow({
        snapshotVersion: 3,
        historyVersion: 1,
        generationAttempt: 2,
        queueVersion: 2,
        retryStateVersion: 2,
        status: 'error',
        lastError: { message: 'boom', kind: 'generic', retryable: false },
        retryState: {
          attempt: 1,
          delayMs: 1000,
          error: 'overloaded',
          kind: 'overloaded',
          retryingAt: '2026-01-01T00:00:01.000Z',
        },
      }),
      [messageRow(1, 1)],
    );
    const events = nextEvents(failed, state);
    expect(summary(events)).toEqual(['queue-update', 'status', 'error', 'retry', 'preview-reset']);
    expect(events[2]).toMatchObject({ error: { message: 'boom' } });
    expect(events[3]).toMatchObject({ attempt: 1, delayMs: 1000, error: { retryable: true } });
  });

  it('requires-action sends status, action-required with the calls, then a preview reset', () => {
    const state = initialState(undefined, undefined);
    nextEvents(view(chatRow({ status: 'running' }), [messageRow(1, 1)]), state);
    const calls = [{ toolCallId: 'c1', toolName: 'pick', input: { from: [1, 2] } }];
    const waiting = view(
      chatRow({ snapshotVersion: 2, historyVersion: 2, status: 'requires-action' }),
      [messageRow(1, 1), messageRow(2, 2, { role: 'assistant' })],
      { pendingCalls: calls },
    );
    const events = nextEvents(waiting, state);
    expect(summary(events)).toEqual(['message 2', 'status', 'action-required', 'preview-reset']);
    expect(events[2]).toMatchObject({ toolCalls: calls });
  });

  it('an idle chat gets its snapshot with no hint at all', () => {
    const events = nextEvents(
      view(chatRow(), [messageRow(1, 1)]),
      initialState(undefined, undefined),
    );
    expect(summary(events)).toEqual(['message 1', 'queue-update', 'status', 'preview-reset']);
  });
});

describe('parts', () => {
  it('sends the episode from seq 1, then only new parts; another attempt resets the preview', () => {
    const state = initialState(undefined, undefined);
    const parts = [textPart(1), textPart(2)];
    const running = chatRow({ status: 'running', generationAttempt: 1 });
    expect(summary(nextEvents(view(running, [messageRow(1, 1)], { parts }), state))).toEqual([
      'message 1',
      'queue-update',
      'status',
      'preview-reset',
      'part 1',
      'part 2',
    ]);
    parts.push(textPart(3));
    expect(summary(nextEvents(view(running, [messageRow(1, 1)], { parts }), state))).toEqual([
      'part 3',
    ]);
    const retried = chatRow({ snapshotVersion: 2, status: 'running', generationAttempt: 2 });
    expect(
      summary(nextEvents(view(retried, [messageRow(1, 1)], { parts: [textPart(1)] }), state)),
    ).toEqual(['preview-reset', 'part 1']);
  });

  it('a cursor resumes after its part with nothing repeated, and restarts a changed episode', () => {
    const state = initialState(undefined, undefined);
    const running = chatRow({ status: 'running', generationAttempt: 1 });
    const parts = [textPart(1), textPart(2), textPart(3)];
    const events = nextEvents(view(running, [messageRow(1, 1)], { parts }), state);
    const afterSecond = events.find((event) => event.type === 'message-part' && event.seq === 2);
    const resumed = initialState(decodeCursor(afterSecond?.cursor as string), undefined);
    expect(summary(nextEvents(view(running, [messageRow(1, 1)], { parts }), resumed))).toEqual([
      'part 3',
    ]);
    const again = initialState(decodeCursor(afterSecond?.cursor as string), undefined);
    const next = chatRow({ snapshotVersion: 2, status: 'running', generationAttempt: 2 });
    expect(
      summary(nextEvents(view(next, [messageRow(1, 1)], { parts: [textPart(1)] }), again)),
    ).toEqual(['preview-reset', 'part 1']);
  });
});

describe('part events shared between subscribers', () => {
  it('subscribers caught up with the view get the same event; one whose cursor is ahead gets its own', () => {
    const running = chatRow({ status: 'running', generationAttempt: 1, queueVersion: 2 });
    const shown = view(running, [messageRow(1, 1)], { parts: [textPart(1), textPart(2)] });
    const partsOf = (events: ReturnType<typeof nextEvents>) =>
      events.filter((event) => event.type === 'message-part');
    const first = partsOf(nextEvents(shown, initialState(undefined, undefined)));
    const second = partsOf(nextEvents(shown, initialState(undefined, undefined)));
    expect(second).toHaveLength(2);
    for (const [index, event] of second.entries()) expect(event).toBe(first[index]);
    // Resumed on a replica whose view is behind the cursor's queue: its cursors keep its own
    // queue version, and the shared events keep theirs.
    const fromAhead = initialState(
      { ...decodeCursor(first[0]?.cursor as string), queueVersion: 3 },
      undefined,
    );
    const ahead = partsOf(nextEvents(shown, fromAhead));
    expect(ahead.map((event) => event.seq)).toEqual([2]);
    expect(ahead[0]).not.toBe(first[1]);
    expect(decodeCursor(ahead[0]?.cursor as string).queueVersion).toBe(3);
    expect(decodeCursor(first[1]?.cursor as string).queueVersion).toBe(2);
    const third = partsOf(nextEvents(shown, initialState(undefined, undefined)));
    expect(third[1]).toBe(first[1]);
  });
});

describe('cursors', () => {
  it('round-trip', () => {
    const position = {
      historyVersion: 12,
      batchRevision: 14,
      batchMessageId: 31,
      queueVersion: 3,
      retryStateVersion: 0,
      status: 'running' as const,
      generationAttempt: 2,
      seq: 40,
    };
    expect(encodeCursor(position)).toBe('c2.12.3.0.2.40.running.14.31');
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('reads the cursors of the version before (no place inside a history change)', () => {
    expect(decodeCursor('c1.12.3.0.2.40.running')).toEqual({
      historyVersion: 12,
      batchRevision: 0,
      batchMessageId: 0,
      queueVersion: 3,
      retryStateVersion: 0,
      status: 'running',
      generationAttempt: 2,
      seq: 40,
    });
  });

  it.each([
    '',
    'c1',
    'c2.1.1.1.1.1.waiting',
    'c1.1.1.1.1.1.waiting.0.0',
    'c2.1.1.1.1.1.waiting.0',
    'c2.1.1.1.1.1.waiting.0.x',
    'c3.1.1.1.1.1.waiting.0.0',
    'c1.1.1.1.1.x.waiting',
    'c1.1.1.1.1.1.sleeping',
    'c1.-1.1.1.1.1.',
  ])('refuses %j with INVALID_ARGUMENT naming the cursor', (cursor) => {
    expect(errorOf(() => decodeCursor(cursor))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'cursor',
    });
  });
});
