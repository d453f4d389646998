import { PubSub } from '@chatd/pubsub';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageStore } from '../store/message-store.js';
import { openStore } from '../store/open-store.js';
import { userMessage } from '../test-support/state-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(pglite: PGlite): Promise<MessageStore> {
  const pubsub = new PubSub();
  const store = await openStore({ pglite }, { pubsub });
  cleanups.push(async () => {
    await store.close();
    await pubsub.close();
  });
  return store;
}

async function instance(): Promise<PGlite> {
  const pglite = await PGlite.create();
  cleanups.push(() => pglite.close());
  return pglite;
}

const prepared = async (pglite: PGlite) =>
  (
    await pglite.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')
  ).rows.map((row) => row.name);

/** Quotes, backslashes and the characters of Postgres's array syntax. */
const AWKWARD = `O'Brien \\ "quoted" {a,b} NULL \\\\' ''`;

describe('PGlite statements', () => {
  it("runs the store's named statements prepared, once per instance", async () => {
    const pglite = await instance();
    const store = await open(pglite);
    const { chatId } = await store.createChat({ ownerId: 'u', messages: [userMessage('hi')] });
    await store.update(chatId, (chat) => chat.recordGenerationAttempt());
    expect(await prepared(pglite)).toEqual(
      expect.arrayContaining(['chatd_ms_bump', 'chatd_ms_create_chat', 'chatd_ms_next_attempt']),
    );
    // A second store on the instance uses them as they are.
    const second = await open(pglite);
    await second.update(chatId, (chat) => chat.recordGenerationAttempt());
    expect((await second.getChat(chatId)).generationAttempt).toBe(2);
  });

  it('passes every parameter unchanged, whatever the session reads as an escape', async () => {
    const pglite = await instance();
    await pglite.exec('SET standard_conforming_strings = off');
    const store = await open(pglite);
    const { chatId } = await store.createChat({ ownerId: 'u', messages: [userMessage('hi')] });
    const owner = { workerId: `w ${AWKWARD}`, runnerId: `r ${AWKWARD}` };
    await store.update(chatId, async (chat) => {
      // acquire: a heartbeat upsert with array parameters, then the execution write.
      await chat.acquire(owner);
      await chat.commitStep({
        messages: [
          {
            role: 'assistant',
            content: { version: 1, parts: [{ type: 'text', text: AWKWARD }] },
          },
        ],
      });
    });
    expect(await store.getChat(chatId)).toMatchObject(owner);
    const history = await store.getPromptHistory(chatId);
    expect(history.at(-1)?.content.parts).toEqual([{ type: 'text', text: AWKWARD }]);
    const [lease] = (
      await pglite.query<{ runner_id: string }>(
        'SELECT runner_id FROM chat_heartbeats WHERE chat_id = $1',
        [chatId],
      )
    ).rows;
    expect(lease?.runner_id).toBe(owner.runnerId);
    // A title and labels: the engine's title write is a named statement too.
    await expect(
      store.updateChatMetadata(chatId, { title: AWKWARD, labels: { note: AWKWARD } }),
    ).resolves.toMatchObject({ title: AWKWARD, labels: { note: AWKWARD } });
    expect(await prepared(pglite)).toContain('chatd_ms_update_chat_metadata');
  });

  it('prepares a statement again after the app deallocated it', async () => {
    const pglite = await instance();
    const store = await open(pglite);
    const { chatId } = await store.createChat({ ownerId: 'u', messages: [userMessage('hi')] });
    await store.update(chatId, (chat) => chat.recordGenerationAttempt());
    await pglite.exec('DEALLOCATE ALL');
    // The call that finds it gone fails; the next one prepares it again.
    await expect(store.update(chatId, (chat) => chat.recordGenerationAttempt())).rejects.toThrow();
    await store.update(chatId, (chat) => chat.recordGenerationAttempt());
    expect((await store.getChat(chatId)).generationAttempt).toBe(2);
  });
});
