import { describe, expect, it } from 'vitest';
import { chats } from '../schema/tables.js';
import { createTestStore } from './index.js';

describe('createTestStore', () => {
  it('opens migrated, independent stores and closes them', async () => {
    const first = await createTestStore();
    const second = await createTestStore();
    await first.store.context.db.insert(chats).values({ id: crypto.randomUUID(), ownerId: 'o' });
    expect(await first.store.context.db.select().from(chats)).toHaveLength(1);
    expect(await second.store.context.db.select().from(chats)).toHaveLength(0);
    await first.close();
    await second.close();
    expect(first.store.closed).toBe(true);
    expect(first.pubsub.subscriberCount).toBe(0);
  });
});
