import type { ChatMessage } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { type HistoryItem, transcriptItems, updateHistory } from './history.js';

function message(id: number, text: string, role: ChatMessage['role'] = 'user'): ChatMessage {
  return {
    id,
    chatId: 'chat-1',
    role,
    content: { version: 1, parts: [{ type: 'text', text }] },
    createdAt: '2026-01-01T00:00:00.000Z',
  } as ChatMessage;
}

const ids = (items: readonly HistoryItem[]) =>
  items.map((item) => (item.type === 'message' ? item.message.id : item.text));

describe('updateHistory', () => {
  it('prints the last messages first, with a note counting the ones left out', () => {
    const all = [1, 2, 3, 4].map((id) => message(id, `m${id}`));
    const update = updateHistory([], all, 2);
    expect(update.type).toBe('append');
    expect(ids(update.items)).toEqual(['… 2 earlier messages not shown', 3, 4]);
  });

  it('appends only what is new, and nothing for messages re-sent unchanged', () => {
    const printed = transcriptItems([message(1, 'a'), message(2, 'b')], 10);
    // A resumed stream re-sends a batch as new objects with the same content.
    const again = [message(1, 'a'), message(2, 'b'), message(3, 'c')];
    expect(updateHistory(printed, again, 10)).toEqual({
      type: 'append',
      items: [expect.objectContaining({ type: 'message', message: again[2] })],
    });
    expect(updateHistory(printed, again.slice(0, 2), 10)).toEqual({ type: 'append', items: [] });
  });

  it('asks for a reprint when a printed message changed or went away', () => {
    const printed = transcriptItems([message(1, 'a'), message(2, 'b')], 10);
    const edited = updateHistory(printed, [message(1, 'a'), message(2, 'edited')], 10);
    expect(edited.type).toBe('reprint');
    expect(ids(edited.items)).toEqual([1, 2]);
    const reset = updateHistory(printed, [], 10);
    expect(reset).toEqual({ type: 'reprint', items: [] });
    const deleted = updateHistory(printed, [message(2, 'b')], 10);
    expect(ids(deleted.items)).toEqual([2]);
  });

  it('ignores messages older than the first printed one', () => {
    const printed = transcriptItems([message(1, 'a'), message(2, 'b'), message(3, 'c')], 2);
    const update = updateHistory(printed, [message(1, 'a'), message(2, 'b'), message(3, 'c')], 2);
    expect(update).toEqual({ type: 'append', items: [] });
  });
});
