import { PubSub } from '@chatd/pubsub';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/open-store.js';
import { createTestDatabase } from './create-test-database.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;

describe.skipIf(serverUrl === undefined)('createTestDatabase (needs TEST_DATABASE_URL)', () => {
  it('creates an empty database a store opens on, and drops it', async () => {
    const database = await createTestDatabase(serverUrl as string);
    const pubsub = new PubSub();
    const store = await openStore({ url: database.url }, { pubsub });
    const { chatId } = await store.createChat({
      ownerId: 'ann',
      messages: [{ role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'hi' }] } }],
    });
    expect((await store.getChat(chatId)).ownerId).toBe('ann');
    await store.close();
    await pubsub.close();
    await database.drop();
    const afterDrop = new PubSub();
    await expect(openStore({ url: database.url }, { pubsub: afterDrop })).rejects.toThrow();
    await afterDrop.close();
  });
});
