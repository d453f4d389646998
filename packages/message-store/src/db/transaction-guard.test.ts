import { randomUUID } from 'node:crypto';
import { ChatdError } from '@chatd/core';
import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { chats } from '../schema/tables.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { dbNow } from './db-time.js';
import { queryRows } from './types.js';

describeEachDatabase('transaction handle discipline', (database) => {
  it('throws ROOT_HANDLE_IN_TRANSACTION for a root-handle query inside a transaction', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const error = await db
      .transaction(async () => {
        await db.select().from(chats);
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(ChatdError.isInstance(error, 'ROOT_HANDLE_IN_TRANSACTION')).toBe(true);
  });

  it('throws ROOT_HANDLE_IN_TRANSACTION for a root transaction nested in one', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    await expect(db.transaction(() => db.transaction(async () => 1))).rejects.toMatchObject({
      code: 'ROOT_HANDLE_IN_TRANSACTION',
    });
  });

  it('runs everything through the transaction handle, savepoints included', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const id = randomUUID();
    const title = await db.transaction(async (tx) => {
      await tx.insert(chats).values({ id, ownerId: 'o' });
      await tx.transaction(async (inner) => {
        await inner.update(chats).set({ title: 'inner' }).where(eq(chats.id, id));
      });
      const rows = await queryRows<{ title: string }>(
        tx,
        sql`SELECT title FROM chats WHERE id = ${id} FOR UPDATE`,
      );
      return rows[0]?.title;
    });
    expect(title).toBe('inner');
  });

  it('lets work that outlives the transaction use the root handle', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    let later: Promise<unknown> = Promise.resolve();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await db.transaction(async () => {
      later = gate.then(() => db.select().from(chats));
    });
    release();
    await expect(later).resolves.toEqual([]);
  });

  it('rolls back everything on error, leaving the root handle usable', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const id = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(chats).values({ id, ownerId: 'o' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.select().from(chats).where(eq(chats.id, id))).toEqual([]);
  });

  it('reads database time', async () => {
    const { store } = await database.open();
    const now = await dbNow(store.context.db);
    expect(Math.abs(now.getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describeEachDatabase('transaction guard scope', (database) => {
  it('does not block another database inside a transaction', async () => {
    const { store } = await database.open();
    const { PubSub } = await import('@chatd/pubsub');
    const { openStore } = await import('../store/open-store.js');
    const pubsub = new PubSub();
    const other = await openStore({ memory: true }, { pubsub });
    try {
      const rows = await store.context.db.transaction(async () =>
        other.context.db.select().from(chats),
      );
      expect(rows).toEqual([]);
    } finally {
      await other.close();
      await pubsub.close();
    }
  });
});
