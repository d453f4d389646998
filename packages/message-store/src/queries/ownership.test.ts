import pg from 'pg';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import { seedChat } from '../test-support/fixtures.js';

describeEachDatabase('ownership queries', (database) => {
  async function ageHeartbeat(chatId: string, seconds: number): Promise<void> {
    await database.query(
      `UPDATE chat_heartbeats SET heartbeat_at = now() - $2::int * interval '1 second' WHERE chat_id = $1`,
      [chatId, seconds],
    );
  }

  it('offers runnable chats without an owner, oldest update first', async () => {
    const { store } = await database.open();
    const running = await seedChat(database, { status: 'running' });
    const interrupting = await seedChat(database, { status: 'interrupting' });
    const action = await seedChat(database, { status: 'requires-action' });
    await seedChat(database, { status: 'waiting' });
    await seedChat(database, { status: 'error' });
    await seedChat(database, { status: 'running', archived: true });
    await database.query('UPDATE chats SET updated_at = $2 WHERE id = $1', [
      action,
      '2020-01-01T00:00:00Z',
    ]);
    const candidates = await store.getAcquisitionCandidates(10);
    expect(candidates.map((candidate) => candidate.chatId)).toEqual([
      action,
      running,
      interrupting,
    ]);
    expect(candidates[0]).toMatchObject({ snapshotVersion: 1, workerId: null, runnerId: null });
    expect(await store.getAcquisitionCandidates(1)).toHaveLength(1);
  });

  it('offers an owned chat only once its lease is stale by database time', async () => {
    const { store } = await database.open();
    const owned = await seedChat(database, { status: 'running', workerId: 'w1', runnerId: 'r1' });
    const noHeartbeat = await seedChat(database, {
      status: 'running',
      workerId: 'w1',
      runnerId: 'r2',
    });
    await store.upsertHeartbeats('w1', [{ chatId: owned, runnerId: 'r1' }]);
    expect((await store.getAcquisitionCandidates(10)).map((c) => c.chatId)).toEqual([noHeartbeat]);
    await ageHeartbeat(owned, 29);
    expect((await store.getAcquisitionCandidates(10)).map((c) => c.chatId)).toEqual([noHeartbeat]);
    await ageHeartbeat(owned, 31);
    const ids = (await store.getAcquisitionCandidates(10)).map((c) => c.chatId).sort();
    expect(ids).toEqual([owned, noHeartbeat].sort());
  });

  it('uses the configured lease for staleness', async () => {
    const { store } = await database.open({
      lease: { heartbeatIntervalMs: 1000, staleAfterMs: 5000 },
    });
    const owned = await seedChat(database, { status: 'running', workerId: 'w', runnerId: 'r' });
    await store.upsertHeartbeats('w', [{ chatId: owned, runnerId: 'r' }]);
    await ageHeartbeat(owned, 6);
    expect((await store.getAcquisitionCandidates(10)).map((c) => c.chatId)).toEqual([owned]);
  });

  // PGlite has one connection: no other transaction can hold a row lock there.
  if (database.kind === 'postgres') {
    it('skips chats another transaction has locked', async () => {
      const { store } = await database.open();
      const locked = await seedChat(database, { status: 'running' });
      const free = await seedChat(database, { status: 'running' });
      // Another process's transaction, on its own connection, holding the row lock.
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('SELECT id FROM chats WHERE id = $1 FOR UPDATE', [locked]);
        const ids = (await store.getAcquisitionCandidates(10)).map((c) => c.chatId);
        expect(ids).toEqual([free]);
        await other.query('ROLLBACK');
        // Once the lock is released the chat is offered again.
        const after = (await store.getAcquisitionCandidates(10)).map((c) => c.chatId).sort();
        expect(after).toEqual([locked, free].sort());
      } finally {
        await other.end();
      }
    });

    it("offers a chat that another table's foreign-key check is referencing at that moment", async () => {
      const { store } = await database.open();
      const referenced = await seedChat(database, { status: 'running' });
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        // What an INSERT into a table with a foreign key to chats holds until it commits.
        await other.query('SELECT id FROM chats WHERE id = $1 FOR KEY SHARE', [referenced]);
        const ids = (await store.getAcquisitionCandidates(10)).map((c) => c.chatId);
        expect(ids).toEqual([referenced]);
        await other.query('ROLLBACK');
      } finally {
        await other.end();
      }
    });
  }

  it('refuses a candidate limit outside 1..1000', async () => {
    const { store } = await database.open();
    for (const limit of [0, 1001, 1.5]) {
      await expect(store.getAcquisitionCandidates(limit), String(limit)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'limit',
      });
    }
  });

  it('upserts heartbeats in one batch, refreshing existing rows', async () => {
    const { store } = await database.open();
    const first = await seedChat(database, { status: 'running' });
    const second = await seedChat(database, { status: 'running' });
    expect(
      await store.upsertHeartbeats('w1', [
        { chatId: first, runnerId: 'r1' },
        { chatId: second, runnerId: 'r2' },
      ]),
    ).toBe(2);
    await ageHeartbeat(first, 100);
    expect(await store.upsertHeartbeats('w2', [{ chatId: first, runnerId: 'r1' }])).toBe(1);
    const rows = await database.query<{ workerId: string; fresh: boolean }>(
      `SELECT worker_id AS "workerId", heartbeat_at > now() - interval '10 seconds' AS fresh
       FROM chat_heartbeats WHERE chat_id = $1`,
      [first],
    );
    expect(rows).toEqual([{ workerId: 'w2', fresh: true }]);
  });

  it('skips heartbeats of deleted chats instead of failing the batch', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    expect(
      await store.upsertHeartbeats('w', [
        { chatId, runnerId: 'r' },
        { chatId: '00000000-0000-4000-8000-000000000000', runnerId: 'r' },
      ]),
    ).toBe(1);
  });

  it('refuses malformed heartbeat entries with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    await expect(
      store.upsertHeartbeats('w', [{ chatId: 'x', runnerId: 'r' }]),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'entries.0.chatId' });
    await expect(store.upsertHeartbeats('', [])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'workerId',
    });
  });

  it('deletes stale heartbeats only', async () => {
    const { store } = await database.open();
    const stale = await seedChat(database);
    const fresh = await seedChat(database);
    await store.upsertHeartbeats('w', [
      { chatId: stale, runnerId: 'r' },
      { chatId: fresh, runnerId: 'r' },
    ]);
    await ageHeartbeat(stale, 31);
    expect(await store.deleteStaleHeartbeats()).toBe(1);
    const rows = await database.query<{ chatId: string }>(
      'SELECT chat_id AS "chatId" FROM chat_heartbeats',
    );
    expect(rows).toEqual([{ chatId: fresh }]);
  });

  it('deletes the given heartbeats', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    await store.upsertHeartbeats('w', [
      { chatId, runnerId: 'r1' },
      { chatId, runnerId: 'r2' },
    ]);
    expect(await store.deleteHeartbeats([{ chatId, runnerId: 'r1' }])).toBe(1);
    expect(await store.deleteHeartbeats([])).toBe(0);
    const rows = await database.query<{ runnerId: string }>(
      'SELECT runner_id AS "runnerId" FROM chat_heartbeats',
    );
    expect(rows).toEqual([{ runnerId: 'r2' }]);
  });

  it('returns sync rows of existing chats only', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database, { status: 'running', workerId: 'w', runnerId: 'r' });
    // A deleted (or never created) chat and an id that is not a UUID are both just absent.
    const ids = [chatId, '00000000-0000-4000-8000-000000000000', 'junk'];
    expect(await store.getRunnerSyncRows(ids)).toEqual([
      {
        chatId,
        status: 'running',
        archived: false,
        workerId: 'w',
        runnerId: 'r',
        snapshotVersion: 1,
        historyVersion: 0,
        queueVersion: 0,
        generationAttempt: 0,
        retryStateVersion: 0,
      },
    ]);
    expect(await store.getStreamSyncRows(ids)).toEqual([
      expect.objectContaining({
        chatId,
        retryState: null,
        lastError: null,
        requiresActionDeadlineAt: null,
      }),
    ]);
    expect(await store.getRunnerSyncRows([])).toEqual([]);
  });

  it('refuses sync ids that are not an array of strings with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const cases = [
      [chatId, 'chatIds'],
      [[chatId, 1], 'chatIds.1'],
    ] as const;
    for (const [ids, argument] of cases) {
      const chatIds = ids as unknown as string[];
      await expect(store.getRunnerSyncRows(chatIds), argument).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument,
      });
      await expect(store.getStreamSyncRows(chatIds), argument).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument,
      });
    }
  });
});
