import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { chatHeartbeats, chats } from '../schema/tables.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { seedChat } from '../test-support/fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describeEachDatabase('ownership queries', (database) => {
  async function ageHeartbeat(chatId: string, seconds: number): Promise<void> {
    await database.query(
      `UPDATE chat_heartbeats SET heartbeat_at = now() - $2::int * interval '1 second' WHERE chat_id = $1`,
      [chatId, seconds],
    );
  }

  it('offers runnable chats without an owner, oldest update first', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const running = await seedChat(db, { status: 'running' });
    const interrupting = await seedChat(db, { status: 'interrupting' });
    const action = await seedChat(db, { status: 'requires-action' });
    await seedChat(db, { status: 'waiting' });
    await seedChat(db, { status: 'error' });
    await seedChat(db, { status: 'running', archived: true });
    await db
      .update(chats)
      .set({ updatedAt: new Date('2020-01-01T00:00:00Z') })
      .where(eq(chats.id, action));
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
    const db = store.context.db;
    const owned = await seedChat(db, { status: 'running', workerId: 'w1', runnerId: 'r1' });
    const noHeartbeat = await seedChat(db, { status: 'running', workerId: 'w1', runnerId: 'r2' });
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
    const owned = await seedChat(store.context.db, {
      status: 'running',
      workerId: 'w',
      runnerId: 'r',
    });
    await store.upsertHeartbeats('w', [{ chatId: owned, runnerId: 'r' }]);
    await ageHeartbeat(owned, 6);
    expect((await store.getAcquisitionCandidates(10)).map((c) => c.chatId)).toEqual([owned]);
  });

  if (database.kind === 'postgres') {
    it('skips chats another transaction has locked', async () => {
      const { store } = await database.open();
      const { store: other } = await database.open();
      const locked = await seedChat(store.context.db, { status: 'running' });
      const free = await seedChat(store.context.db, { status: 'running' });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let lockedNow: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => {
        lockedNow = resolve;
      });
      const transaction = store.context.db.transaction(async (tx) => {
        await tx.select().from(chats).where(eq(chats.id, locked)).for('update');
        lockedNow();
        await held;
      });
      await isLocked;
      const ids = (await other.getAcquisitionCandidates(10)).map((c) => c.chatId);
      release();
      await transaction;
      expect(ids).toEqual([free]);
    });
  }

  it('refuses a candidate limit outside 1..1000', async () => {
    const { store } = await database.open();
    expect(await rejection(store.getAcquisitionCandidates(0))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('upserts heartbeats in one batch, refreshing existing rows', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const first = await seedChat(db, { status: 'running' });
    const second = await seedChat(db, { status: 'running' });
    expect(
      await store.upsertHeartbeats('w1', [
        { chatId: first, runnerId: 'r1' },
        { chatId: second, runnerId: 'r2' },
      ]),
    ).toBe(2);
    await ageHeartbeat(first, 100);
    expect(await store.upsertHeartbeats('w2', [{ chatId: first, runnerId: 'r1' }])).toBe(1);
    const [row] = await db
      .select({
        workerId: chatHeartbeats.workerId,
        fresh: sql<boolean>`${chatHeartbeats.heartbeatAt} > now() - interval '10 seconds'`,
      })
      .from(chatHeartbeats)
      .where(eq(chatHeartbeats.chatId, first));
    expect(row).toEqual({ workerId: 'w2', fresh: true });
  });

  it('skips heartbeats of deleted chats instead of failing the batch', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    expect(
      await store.upsertHeartbeats('w', [
        { chatId, runnerId: 'r' },
        { chatId: '00000000-0000-4000-8000-000000000000', runnerId: 'r' },
      ]),
    ).toBe(1);
  });

  it('refuses malformed heartbeat entries with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    expect(
      await rejection(store.upsertHeartbeats('w', [{ chatId: 'x', runnerId: 'r' }])),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'entries.0.chatId' });
    expect(await rejection(store.upsertHeartbeats('', []))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'workerId',
    });
  });

  it('deletes stale heartbeats only', async () => {
    const { store } = await database.open();
    const stale = await seedChat(store.context.db);
    const fresh = await seedChat(store.context.db);
    await store.upsertHeartbeats('w', [
      { chatId: stale, runnerId: 'r' },
      { chatId: fresh, runnerId: 'r' },
    ]);
    await ageHeartbeat(stale, 31);
    expect(await store.deleteStaleHeartbeats()).toBe(1);
    const rows = await store.context.db
      .select({ chatId: chatHeartbeats.chatId })
      .from(chatHeartbeats);
    expect(rows).toEqual([{ chatId: fresh }]);
  });

  it('deletes the given heartbeats', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    await store.upsertHeartbeats('w', [
      { chatId, runnerId: 'r1' },
      { chatId, runnerId: 'r2' },
    ]);
    expect(await store.deleteHeartbeats([{ chatId, runnerId: 'r1' }])).toBe(1);
    expect(await store.deleteHeartbeats([])).toBe(0);
  });

  it('returns sync rows of existing chats only', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db, {
      status: 'running',
      workerId: 'w',
      runnerId: 'r',
    });
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
});
