import { describe, expect, it } from 'vitest';
import { createTestStore } from './index.js';

const content = { version: 1 as const, parts: [{ type: 'text' as const, text: 'hi' }] };

describe('createTestStore', () => {
  it('opens migrated, independent stores and closes them', async () => {
    const first = await createTestStore();
    const second = await createTestStore();
    // Creating a chat needs every table and trigger: the database is migrated.
    const { chatId } = await first.store.createChat({
      ownerId: 'o',
      messages: [{ role: 'user', content, createdBy: 'u' }],
    });
    expect((await first.store.listChats('o')).chats.map((chat) => chat.id)).toEqual([chatId]);
    expect((await second.store.listChats('o')).chats).toEqual([]);
    await first.close();
    await second.close();
    expect(first.store.closed).toBe(true);
    expect(first.pubsub.subscriberCount).toBe(0);
  });
});
