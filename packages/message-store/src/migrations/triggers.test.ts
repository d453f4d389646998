import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import type { DbExecutor } from '../db/types.js';
import { chatMessages, chatQueuedMessages, chats } from '../schema/tables.js';
import { describeEachDatabase } from '../test-support/databases.js';

const content = { version: 1 as const, parts: [{ type: 'text' as const, text: 'hi' }] };

async function insertChat(db: DbExecutor): Promise<string> {
  const id = randomUUID();
  await db.insert(chats).values({ id, ownerId: 'owner-1' });
  return id;
}

async function bump(db: DbExecutor, chatId: string): Promise<number> {
  const [row] = await db
    .update(chats)
    .set({ snapshotVersion: sql`${chats.snapshotVersion} + 1` })
    .where(eq(chats.id, chatId))
    .returning({ snapshotVersion: chats.snapshotVersion });
  return row?.snapshotVersion ?? Number.NaN;
}

/** Drizzle wraps driver errors ("Failed query: …"); the database's message is the cause. */
async function expectDatabaseError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  expect(String((error as Error).cause ?? error)).toMatch(message);
}

async function readChat(db: DbExecutor, chatId: string) {
  const [row] = await db.select().from(chats).where(eq(chats.id, chatId));
  if (row === undefined) throw new Error('chat vanished');
  return row;
}

describeEachDatabase('version-counter triggers', (database) => {
  it('starts a chat at snapshot 1 with history, queue and retry versions 0', async () => {
    const { store } = await database.open();
    const chat = await readChat(store.context.db, await insertChat(store.context.db));
    expect(chat).toMatchObject({
      snapshotVersion: 1,
      historyVersion: 0,
      queueVersion: 0,
      retryStateVersion: 0,
      generationAttempt: 0,
    });
  });

  it('stamps inserted messages with the snapshot and moves history to it', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    await db.update(chats).set({ generationAttempt: 3 }).where(eq(chats.id, chatId));
    const snapshot = await bump(db, chatId);
    const [message] = await db
      .insert(chatMessages)
      .values({ chatId, role: 'user', content })
      .returning();
    expect(message?.revision).toBe(snapshot);
    const chat = await readChat(db, chatId);
    expect(chat.historyVersion).toBe(snapshot);
    expect(chat.generationAttempt).toBe(0);
  });

  it('refuses an explicit revision on insert', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    await expectDatabaseError(
      db.insert(chatMessages).values({ chatId, role: 'user', content, revision: 7 }),
      /revision is assigned by the database/,
    );
  });

  it('refuses changing revision or chat_id on update', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    const otherChatId = await insertChat(db);
    const [message] = await db
      .insert(chatMessages)
      .values({ chatId, role: 'user', content })
      .returning();
    const id = message?.id ?? 0;
    await expectDatabaseError(
      db.update(chatMessages).set({ revision: 99 }).where(eq(chatMessages.id, id)),
      /revision is assigned by the database/,
    );
    await expectDatabaseError(
      db.update(chatMessages).set({ chatId: otherChatId }).where(eq(chatMessages.id, id)),
      /chat_id cannot change/,
    );
  });

  it('re-stamps a meaningfully updated message and advances history', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    const [message] = await db
      .insert(chatMessages)
      .values({ chatId, role: 'user', content })
      .returning();
    const snapshot = await bump(db, chatId);
    const [updated] = await db
      .update(chatMessages)
      .set({ deleted: true })
      .where(eq(chatMessages.id, message?.id ?? 0))
      .returning();
    expect(updated?.revision).toBe(snapshot);
    expect((await readChat(db, chatId)).historyVersion).toBe(snapshot);
  });

  it('leaves revision and history alone on a no-op update', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    const [message] = await db
      .insert(chatMessages)
      .values({ chatId, role: 'user', content })
      .returning();
    const before = await readChat(db, chatId);
    await bump(db, chatId);
    const [updated] = await db
      .update(chatMessages)
      .set({ deleted: false })
      .where(eq(chatMessages.id, message?.id ?? 0))
      .returning();
    expect(updated?.revision).toBe(message?.revision);
    expect((await readChat(db, chatId)).historyVersion).toBe(before.historyVersion);
  });

  it('moves the queue version on queued insert, reorder, and delete but not a no-op', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    let snapshot = await bump(db, chatId);
    const [queued] = await db
      .insert(chatQueuedMessages)
      .values({ chatId, content, createdBy: 'user-1' })
      .returning();
    expect((await readChat(db, chatId)).queueVersion).toBe(snapshot);
    const id = queued?.id ?? 0;
    snapshot = await bump(db, chatId);
    await db.update(chatQueuedMessages).set({ position: -5 }).where(eq(chatQueuedMessages.id, id));
    expect((await readChat(db, chatId)).queueVersion).toBe(snapshot);
    const unchanged = snapshot;
    await bump(db, chatId);
    await db.update(chatQueuedMessages).set({ position: -5 }).where(eq(chatQueuedMessages.id, id));
    expect((await readChat(db, chatId)).queueVersion).toBe(unchanged);
    snapshot = await bump(db, chatId);
    await db.delete(chatQueuedMessages).where(eq(chatQueuedMessages.id, id));
    expect((await readChat(db, chatId)).queueVersion).toBe(snapshot);
  });

  it('versions retry state changes and clears it when the attempt changes', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    const snapshot = await bump(db, chatId);
    await db
      .update(chats)
      .set({ retryState: { attempt: 1 } })
      .where(eq(chats.id, chatId));
    expect(await readChat(db, chatId)).toMatchObject({
      retryState: { attempt: 1 },
      retryStateVersion: snapshot,
    });
    const next = await bump(db, chatId);
    await db
      .update(chats)
      .set({ generationAttempt: sql`${chats.generationAttempt} + 1` })
      .where(eq(chats.id, chatId));
    expect(await readChat(db, chatId)).toMatchObject({ retryState: null, retryStateVersion: next });
  });

  it('clears retry state when history changes (through the attempt reset)', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    await db
      .update(chats)
      .set({ generationAttempt: 2, retryState: { attempt: 2 } })
      .where(eq(chats.id, chatId));
    await bump(db, chatId);
    await db.insert(chatMessages).values({ chatId, role: 'assistant', content });
    expect(await readChat(db, chatId)).toMatchObject({ retryState: null, generationAttempt: 0 });
  });

  it('keeps the retry version when retry state is rewritten unchanged', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    const snapshot = await bump(db, chatId);
    await db
      .update(chats)
      .set({ retryState: { attempt: 1 } })
      .where(eq(chats.id, chatId));
    await bump(db, chatId);
    await db
      .update(chats)
      .set({ retryState: { attempt: 1 } })
      .where(eq(chats.id, chatId));
    expect((await readChat(db, chatId)).retryStateVersion).toBe(snapshot);
  });

  it('refuses writing retry_state_version directly', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    await expectDatabaseError(
      db.update(chats).set({ retryStateVersion: 5 }).where(eq(chats.id, chatId)),
      /retry_state_version is assigned by the database/,
    );
    await expectDatabaseError(
      db.insert(chats).values({ id: randomUUID(), ownerId: 'o', retryStateVersion: 3 }),
      /retry_state_version is assigned by the database/,
    );
  });

  it('cascades a chat delete to messages, queue and heartbeats', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await insertChat(db);
    await db.insert(chatMessages).values({ chatId, role: 'user', content });
    await db.insert(chatQueuedMessages).values({ chatId, content, createdBy: 'u' });
    await database.query('INSERT INTO chat_heartbeats (chat_id, runner_id) VALUES ($1, $2)', [
      chatId,
      'r1',
    ]);
    await db.delete(chats).where(eq(chats.id, chatId));
    const [counts] = await database.query<Record<string, string | number>>(
      `SELECT (SELECT count(*) FROM chat_messages) AS m, (SELECT count(*) FROM chat_queued_messages) AS q,
              (SELECT count(*) FROM chat_heartbeats) AS h`,
    );
    expect([Number(counts?.m), Number(counts?.q), Number(counts?.h)]).toEqual([0, 0, 0]);
  });
});
