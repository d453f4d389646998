import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import { seedChat, seedMessage, textContent } from '../test-support/fixtures.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describeEachDatabase('chat queries', (database) => {
  it('gets a chat by id', async () => {
    const { store } = await database.open();
    const id = await seedChat(database, { ownerId: 'alice' });
    expect(await store.getChat(id)).toMatchObject({ id, ownerId: 'alice', status: 'waiting' });
  });

  it('reads a last error of an unknown (newer) kind as generic', async () => {
    const { store } = await database.open();
    const id = await seedChat(database);
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

  it('creates a chat under the id its caller chose', async () => {
    const { store } = await database.open();
    const id = '3f2c1d0e-9b8a-4c7d-8e6f-5a4b3c2d1e0f';
    const messages = [{ role: 'user' as const, content: textContent('hi'), createdBy: 'alice' }];
    const created = await store.createChat({ id, ownerId: 'alice', messages });
    expect(created).toMatchObject({ chatId: id, chat: { id } });
    expect(await store.getChat(id)).toMatchObject({ id, ownerId: 'alice' });
    await expect(store.createChat({ id, ownerId: 'bob', messages })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'input.id',
    });
    expect((await store.listChats('bob')).chats).toEqual([]);
  });

  it('calls beforeWrite once the input is valid, and writes after it (nothing if it throws)', async () => {
    const { store } = await database.open();
    const messages = [{ role: 'user' as const, content: textContent('hi'), createdBy: 'alice' }];
    const calls: string[] = [];
    const beforeWrite = async () => {
      calls.push(`chats before: ${(await store.listChats('alice')).chats.length}`);
    };
    await expect(
      store.createChat({ ownerId: 'alice', messages: [] }, { beforeWrite }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(calls, 'called for input the store refuses').toEqual([]);
    await store.createChat({ ownerId: 'alice', messages }, { beforeWrite });
    expect(calls).toEqual(['chats before: 0']);
    const refused = new Error('not now');
    await expect(
      store.createChat(
        { ownerId: 'alice', messages },
        {
          beforeWrite: () => {
            throw refused;
          },
        },
      ),
    ).rejects.toBe(refused);
    expect((await store.listChats('alice')).chats).toHaveLength(1);
    await expect(
      store.createChat({ ownerId: 'alice', messages }, { beforeWrite: 'soon' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.beforeWrite' });
  });

  it('answers CHAT_NOT_FOUND for unknown and malformed ids', async () => {
    const { store } = await database.open();
    for (const id of [MISSING, 'not-a-uuid']) {
      await expect(store.getChat(id), id).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    }
  });

  it('lists an owner’s chats by most recent user activity', async () => {
    const { store } = await database.open();
    const first = await seedChat(database, { ownerId: 'alice' });
    const second = await seedChat(database, { ownerId: 'alice' });
    await seedChat(database, { ownerId: 'bob' });
    await seedMessage(database, first, { role: 'user' });
    const page = await store.listChats('alice');
    expect(page.chats.map((chat) => chat.id)).toEqual([first, second]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('does not count assistant messages as user activity', async () => {
    const { store } = await database.open();
    const first = await seedChat(database, { ownerId: 'alice' });
    const second = await seedChat(database, { ownerId: 'alice' });
    await seedMessage(database, first, { role: 'assistant' });
    expect((await store.listChats('alice')).chats.map((chat) => chat.id)).toEqual([second, first]);
  });

  it('pages through every chat exactly once with the cursor', async () => {
    const { store } = await database.open();
    for (let index = 0; index < 5; index += 1) await seedChat(database, { ownerId: 'alice' });
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
    const active = await seedChat(database, { ownerId: 'alice' });
    const archived = await seedChat(database, { ownerId: 'alice', archived: true });
    const child = await seedChat(database, { ownerId: 'alice', parentChatId: active });
    const ids = async (options: Parameters<typeof store.listChats>[1]) =>
      (await store.listChats('alice', options)).chats.map((chat) => chat.id).sort();
    expect(await ids({ archived: false })).toEqual([active]);
    expect(await ids({ archived: true })).toEqual([archived]);
    expect(await ids({})).toEqual([active, archived].sort());
    expect(await ids({ archived: false, includeChildren: true })).toEqual([active, child].sort());
  });

  it('filters by labels: every given pair must be among the chat’s labels', async () => {
    const { store } = await database.open();
    const both = await seedChat(database, { ownerId: 'alice' });
    const one = await seedChat(database, { ownerId: 'alice' });
    await seedChat(database, { ownerId: 'alice' });
    await store.updateChatMetadata(both, { labels: { team: 'a', kind: "it's" } });
    await store.updateChatMetadata(one, { labels: { team: 'a' } });
    const ids = async (labels: Record<string, string>) =>
      (await store.listChats('alice', { labels })).chats.map((chat) => chat.id).sort();
    expect(await ids({ team: 'a' })).toEqual([both, one].sort());
    expect(await ids({ team: 'a', kind: "it's" })).toEqual([both]);
    expect(await ids({ team: 'b' })).toEqual([]);
    expect((await ids({})).length).toBe(3);
    await expect(store.listChats('alice', { labels: { team: 1 } as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.labels.team',
    });
  });

  it('refuses a bad page size or cursor with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    const cases = [
      [{ limit: 0 }, 'options.limit'],
      [{ limit: 201 }, 'options.limit'],
      [{ limit: 1.5 }, 'options.limit'],
      [{ cursor: 'nope' }, 'options.cursor'],
      // Well-formed base64url JSON, but not a cursor listChats returned.
      [{ cursor: Buffer.from('{"at":1}').toString('base64url') }, 'options.cursor'],
    ] as const;
    for (const [options, argument] of cases) {
      await expect(
        store.listChats('alice', options),
        JSON.stringify(options),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument });
    }
  });

  it('refuses unknown list options with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    // A misspelt option would otherwise be ignored silently (here: every chat, not archived only).
    const options = { archive: true } as unknown as Parameters<typeof store.listChats>[1];
    await expect(store.listChats('alice', options)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.archive',
    });
  });

  it('updates title and labels without moving any version', async () => {
    const { store } = await database.open();
    const id = await seedChat(database);
    const before = await store.getChat(id);
    const after = await store.updateChatMetadata(id, { title: 'Trip', labels: { team: 'x' } });
    expect(after).toMatchObject({ title: 'Trip', labels: { team: 'x' } });
    expect(after.snapshotVersion).toBe(before.snapshotVersion);
    expect(after.historyVersion).toBe(before.historyVersion);
  });

  it('changes the title only while it is still the expected one', async () => {
    const { store } = await database.open();
    const id = await seedChat(database);
    const renamed = await store.updateChatMetadata(id, {
      title: 'Generated',
      onlyIfTitle: 'New Chat',
    });
    expect(renamed.title).toBe('Generated');
    const unchanged = await store.updateChatMetadata(id, {
      title: 'Late',
      labels: { a: 'b' },
      onlyIfTitle: 'New Chat',
    });
    expect(unchanged).toEqual(await store.getChat(id));
    expect(unchanged).toMatchObject({ title: 'Generated', labels: {} });
    await expect(
      store.updateChatMetadata(MISSING, { title: 'x', onlyIfTitle: 'New Chat' }),
    ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });

  it('refuses invalid metadata and writes nothing', async () => {
    const { store } = await database.open();
    const id = await seedChat(database);
    const bad = [
      {},
      { title: '' },
      { title: 'ok', labels: { n: 1 } },
      { labels: [] },
    ] as unknown as Parameters<typeof store.updateChatMetadata>[1][];
    for (const update of bad) {
      await expect(
        store.updateChatMetadata(id, update),
        JSON.stringify(update),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(await store.getChat(id)).toMatchObject({ title: 'New Chat', labels: {} });
  });

  it('answers CHAT_NOT_FOUND for metadata of an unknown chat', async () => {
    const { store } = await database.open();
    await expect(store.updateChatMetadata(MISSING, { title: 'x' })).rejects.toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });

  it('hard-deletes a chat with its messages, queue, heartbeats and sub-chats', async () => {
    const { store } = await database.open();
    const root = await seedChat(database);
    const child = await seedChat(database, { parentChatId: root });
    const other = await seedChat(database);
    await seedMessage(database, root);
    await seedMessage(database, child);
    await database.query(
      'INSERT INTO chat_queued_messages (chat_id, content, created_by) VALUES ($1, $2::jsonb, $3)',
      [root, JSON.stringify(textContent('later')), 'u'],
    );
    await store.upsertHeartbeats('w1', [{ chatId: root, runnerId: 'r1' }]);
    await store.deleteChat(root);
    const remaining = await database.query<{ id: string }>('SELECT id FROM chats');
    expect(remaining.map((row) => row.id)).toEqual([other]);
    const [counts] = await database.query<{ m: unknown; q: unknown; h: unknown }>(
      `SELECT (SELECT count(*) FROM chat_messages) AS m,
              (SELECT count(*) FROM chat_queued_messages) AS q,
              (SELECT count(*) FROM chat_heartbeats) AS h`,
    );
    expect([Number(counts?.m), Number(counts?.q), Number(counts?.h)]).toEqual([0, 0, 0]);
  });

  it('answers CHAT_NOT_FOUND when deleting an unknown chat', async () => {
    const { store } = await database.open();
    await expect(store.deleteChat(MISSING)).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });

  it('lists a family root first, then sub-chats by creation', async () => {
    const { store } = await database.open();
    const root = await seedChat(database);
    const first = await seedChat(database, { parentChatId: root });
    const grandchild = await seedChat(database, { parentChatId: first, rootChatId: root });
    // Created later but with an earlier timestamp: creation time, not insertion, orders. Each
    // gets its own time: two inserts can share a clock tick, and ties go by (random) id.
    const early = await seedChat(database, { parentChatId: root });
    for (const [chatId, createdAt] of [
      [early, '2020-01-01T00:00:00Z'],
      [first, '2021-01-01T00:00:00Z'],
      [grandchild, '2022-01-01T00:00:00Z'],
    ]) {
      await database.query('UPDATE chats SET created_at = $2 WHERE id = $1', [chatId, createdAt]);
    }
    await seedChat(database);
    expect(await store.getFamilyChatIds(root)).toEqual([root, early, first, grandchild]);
    expect(await store.getRootChatId(grandchild)).toBe(root);
    expect(await store.getRootChatId(root)).toBe(root);
  });

  it('answers CHAT_NOT_FOUND for the family of an unknown root', async () => {
    const { store } = await database.open();
    await expect(store.getFamilyChatIds(MISSING)).rejects.toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });

  it('finds idle root chats for auto-archive: the whole family quiet and idle since the cutoff', async () => {
    const { store } = await database.open();
    const age = (table: string, id: string | number, days: number) =>
      database.query(
        `UPDATE ${table} SET created_at = now() - $2::int * interval '1 day' WHERE id = $1`,
        [id, days],
      );
    const oldChat = async (days: number, options: Parameters<typeof seedChat>[1] = {}) => {
      const id = await seedChat(database, options);
      await age('chats', id, days);
      return id;
    };
    const idle = await oldChat(10);
    await age('chat_messages', (await seedMessage(database, idle)).id, 10);
    const older = await oldChat(20);
    const recentDeleted = await oldChat(9);
    const deleted = await seedMessage(database, recentDeleted);
    await database.query('UPDATE chat_messages SET deleted = true WHERE id = $1', [deleted.id]);
    const childActive = await oldChat(10);
    await seedMessage(database, await oldChat(10, { parentChatId: childActive }));
    const childBusy = await oldChat(10);
    await oldChat(10, { parentChatId: childBusy, status: 'running' });
    await oldChat(10, { status: 'requires-action' });
    await oldChat(10, { archived: true });
    await seedChat(database);
    const errored = await oldChat(8, { status: 'error' });

    const cutoff = new Date(Date.now() - 5 * 86_400_000);
    expect(await store.getIdleRootChats(cutoff, 1000)).toEqual([
      older,
      idle,
      recentDeleted,
      errored,
    ]);
    expect(await store.getIdleRootChats(cutoff, 2)).toEqual([older, idle]);
    await expect(store.getIdleRootChats(new Date(Number.NaN), 10)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.getIdleRootChats(cutoff, 0)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
