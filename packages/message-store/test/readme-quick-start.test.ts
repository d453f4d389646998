import { PubSub } from '@chatd/pubsub';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';

// Keeps the README's quick start honest: the same calls, on an in-memory store.
describe('README quick start', () => {
  it('creates a chat, runs a turn and interrupts it with a new message', async () => {
    const pubsub = new PubSub();
    const store = await openStore({ memory: true }, { pubsub });
    try {
      const text = (value: string) => ({
        version: 1 as const,
        parts: [{ type: 'text' as const, text: value }],
      });
      const { chatId } = await store.createChat({
        ownerId: 'alice',
        lastModelConfigId: 'gpt',
        messages: [{ role: 'user', createdBy: 'alice', content: text('Hi') }],
      });
      await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: 'r1' }));
      await store.update(chatId, async (chat) => {
        await chat.commitStep({ messages: [{ role: 'assistant', content: text('Hello!') }] });
        await chat.finishTurn();
      });
      expect((await store.getChat(chatId)).status).toBe('waiting');

      await store.update(chatId, (chat) =>
        chat.sendMessage({
          role: 'user',
          createdBy: 'alice',
          content: text('Stop, do this instead'),
          busy: 'interrupt',
        }),
      );
      const page = await store.listMessages(chatId, { limit: 50 });
      expect(page.messages).toHaveLength(3);
    } finally {
      await store.close();
      await pubsub.close();
    }
  });
});
