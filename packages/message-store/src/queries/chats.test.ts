import { ChatdError } from '@chatd/core';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { chats } from '../schema/tables.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { seedChat, seedMessage } from '../test-support/fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const MISSING = '00000000-0000-4000-8000-000000000000';

describeEachDatabase('chat queries', (database) => {
  it('gets a chat by id', async () => {
    const { store } = await database.open();
    const id = await seedChat(store.context.db, { ownerId: 'alice' });
    expect(await store.getChat(id)).toMatchObject({ id, ownerId: 'alice', status: 'waiting' });
  });

  it('reads a last error of an unknown (newer) kind as generic', async () => {
    const { store } = await database.open();
    const id = await seedChat(store.context.db);
    await database.query('UPDATE chats SET last_error = $2::jsonb WHERE id = $1', [
      id,
      JSON.stringify({ message: 'Boom', kind: 'solar-flare', retryable: false }),
    ]);
    expect((await store.getChat(id)).lastError).toEqual({
      message: 'Boom',
      kind: 'generic',
      retryable: false,
    });
  });

  it('answers CHAT_NOT_FOUND for unknown and malformed ids', async () => {
    const { store } = await database.open();
    for (const id of [MISSING, 'not-a-uuid']) {
      expect(ChatdError.isInstance(await rejection(store.getChat(id)), 'CHAT_NOT_FOUND')).toBe(
        true,
      );
    }
  });

  it('lists an owner’s chats by most recent user activity', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const first = await seedChat(db, { ownerId: 'alice' });
    const second = await seedChat(db, { ownerId: 'alice' });
    await seedChat(db, { ownerId: 'bob' });
    await seedMessage(db, first, { role: 'user' });
    const page = await store.listChats('alice');
    expect(page.chats.map((chat) => chat.id)).toEqual([first, second]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('does not count assistant messages as user activity', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const first = await seedChat(db, { ownerId: 'alice' });
    const second = await seedChat(db, { ownerId: 'alice' });
    await seedMessage(db, first, { role: 'assistant' });
    expect((await store.listChats('alice')).chats.map((chat) => chat.id)).toEqual([second, first]);
  });

  it('pages through every chat exactly once with the cursor', async () => {
    const { store } = await database.open();
    for (let index = 0; index < 5; index += 1)
      await seedChat(store.context.db, { ownerId: 'alice' });
    // Chats created within one clock tick tie on activity time and are ordered by id, so compare
    // with one unpaged listing rather than with creation order.
    const ids = (await store.listChats('alice', { limit: 200 })).chats.map((chat) => chat.id);
    expect(new Set(ids).size).toBe(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listChats('alice', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.chats.map((chat) => chat.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(ids);
  });

  it('filters by archived and leaves sub-chats out unless asked', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const active = await seedChat(db, { ownerId: 'alice' });
    const archived = await seedChat(db, { ownerId: 'alice', archived: true });
    const child = await seedChat(db, { ownerId: 'alice', parentChatId: active });
    const ids = async (options: Parameters<typeof store.listChats>[1]) =>
      (await store.listChats('alice', options)).chats.map((chat) => chat.id).sort();
    expect(await ids({ archived: false })).toEqual([active]);
    expect(await ids({ archived: true })).toEqual([archived]);
    expect(await ids({})).toEqual([active, archived].sort());
    expect(await ids({ archived: false, includeChildren: true })).toEqual([active, child].sort());
  });

  it('refuses a bad page size or cursor with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    for (const options of [{ limit: 0 }, { limit: 201 }, { limit: 1.5 }, { cursor: 'nope' }]) {
      expect(await rejection(store.listChats('alice', options))).toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
  });

  it('updates title and labels without moving any version', async () => {
    const { store } = await database.open();
    const id = await seedChat(store.context.db);
    const before = await store.getChat(id);
    const after = await store.updateChatMetadata(id, { title: 'Trip', labels: { team: 'x' } });
    expect(after).toMatchObject({ title: 'Trip', labels: { team: 'x' } });
    expect(after.snapshotVersion).toBe(before.snapshotVersion);
    expect(after.historyVersion).toBe(before.historyVersion);
  });

  it('refuses invalid metadata and writes nothing', async () => {
    const { store } = await database.open();
    const id = await seedChat(store.context.db);
    const bad = [
      {},
      { title: '' },
      { title: 'ok', labels: { n: 1 } },
      { labels: [] },
    ] as unknown as Parameters<typeof store.updateChatMetadata>[1][];
    for (const update of bad) {
      expect(await rejection(store.updateChatMetadata(id, update))).toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    expect(await store.getChat(id)).toMatchObject({ title: 'New Chat', labels: {} });
  });

  it('answers CHAT_NOT_FOUND for metadata of an unknown chat', async () => {
    const { store } = await database.open();
    expect(await rejection(store.updateChatMetadata(MISSING, { title: 'x' }))).toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });

  it('hard-deletes a chat with its messages, queue, heartbeats and sub-chats', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const root = await seedChat(db);
    const child = await seedChat(db, { parentChatId: root });
    const other = await seedChat(db);
    await seedMessage(db, root);
    await seedMessage(db, child);
    await store.upsertHeartbeats('w1', [{ chatId: root, runnerId: 'r1' }]);
    await store.deleteChat(root);
    expect((await db.select({ id: chats.id }).from(chats)).map((row) => row.id)).toEqual([other]);
    const [counts] = await database.query<{ m: unknown; h: unknown }>(
      'SELECT (SELECT count(*) FROM chat_messages) AS m, (SELECT count(*) FROM chat_heartbeats) AS h',
    );
    expect([Number(counts?.m), Number(counts?.h)]).toEqual([0, 0]);
  });

  it('answers CHAT_NOT_FOUND when deleting an unknown chat', async () => {
    const { store } = await database.open();
    expect(await rejection(store.deleteChat(MISSING))).toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });

  it('lists a family root first, then sub-chats by creation', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const root = await seedChat(db);
    const first = await seedChat(db, { parentChatId: root });
    const grandchild = await seedChat(db, { parentChatId: first, rootChatId: root });
    // Created later but with an earlier timestamp: creation time, not insertion, orders.
    const early = await seedChat(db, { parentChatId: root });
    await db
      .update(chats)
      .set({ createdAt: new Date('2020-01-01T00:00:00Z') })
      .where(eq(chats.id, early));
    await seedChat(db);
    expect(await store.getFamilyChatIds(root)).toEqual([root, early, first, grandchild]);
    expect(await store.getRootChatId(grandchild)).toBe(root);
    expect(await store.getRootChatId(root)).toBe(root);
  });

  it('answers CHAT_NOT_FOUND for the family of an unknown root', async () => {
    const { store } = await database.open();
    expect(await rejection(store.getFamilyChatIds(MISSING))).toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });
});
