import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { silentLogger } from '@chatd/core';
import { PubSub } from '@chatd/pubsub';
import { afterEach, expect, inject, it } from 'vitest';
import { RootHandleInTransactionError, TransactionEndedError } from '../errors/store-errors.js';
import { connect } from '../store/open-store.js';
import { parseOpenStoreArguments } from '../store/store-options.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startRecordingProxy } from '../test-support/recording-proxy.js';
import type { Database, Transaction } from './database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Settles `promise` and returns what it rejected with (fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const insertChat = (id: string) => `INSERT INTO chats (id, owner_id) VALUES ('${id}', 'o')`;

async function chatCount(db: Database, id: string): Promise<number> {
  const [row] = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM chats WHERE id = $1',
    [id],
  );
  return Number(row?.n);
}

describeEachDatabase('Database', (database) => {
  /**
   * A new Database on the file's database: on PGlite it shares the file's instance (same
   * client), on Postgres it has a pool of its own (another client). Closed after the test.
   */
  async function openDatabase(): Promise<Database> {
    const pubsub = new PubSub();
    const parsed = parseOpenStoreArguments(database.source(), { pubsub });
    const db = await connect(parsed.source, silentLogger);
    cleanups.push(async () => {
      await db.close();
      await pubsub.close();
    });
    return db;
  }

  it('refuses a root-handle query inside its transaction with RootHandleInTransactionError itself', async () => {
    const db = await openDatabase();
    let inner: unknown;
    const outer = await rejection(
      db.transaction(async () => {
        inner = await rejection(db.query('SELECT 1'));
        throw inner;
      }),
    );
    // The query's own rejection is the typed error, not a driver error wrapping it.
    expect(inner).toBeInstanceOf(RootHandleInTransactionError);
    expect(inner).toMatchObject({ code: 'ROOT_HANDLE_IN_TRANSACTION' });
    // The transaction passes it through unchanged.
    expect(outer).toBe(inner);
  });

  it('joins the open transaction when transaction() is called inside one', async () => {
    const db = await openDatabase();
    const ids = await db.transaction(async (outer) => {
      const [outerId] = await outer.query<{ id: string }>('SELECT txid_current()::text AS id');
      const [innerId, innerTx] = await db.transaction(async (inner) => {
        const [row] = await inner.query<{ id: string }>('SELECT txid_current()::text AS id');
        return [row?.id, inner] as const;
      });
      expect(innerTx).toBe(outer);
      expect(db.currentTransaction()).toBe(outer);
      return [outerId?.id, innerId];
    });
    expect(ids[1]).toBe(ids[0]);
    expect(db.currentTransaction()).toBeUndefined();
  });

  it('commits a joined transaction once, with the outer one', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    const commits: string[] = [];
    await db.transaction(async (outer) => {
      await db.transaction(async (inner) => {
        await inner.query(insertChat(id));
        inner.afterCommit.push(() => commits.push('inner'));
      });
      // The inner call returned, but nothing has committed yet.
      expect(commits).toEqual([]);
      outer.afterCommit.push(() => commits.push('outer'));
    });
    expect(commits).toEqual(['inner', 'outer']);
    expect(await chatCount(db, id)).toBe(1);
  });

  it('undoes the joined inner writes when the outer transaction rolls back', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    const error = await rejection(
      db.transaction(async () => {
        await db.transaction((inner) => inner.query(insertChat(id)));
        throw new Error('outer failed');
      }),
    );
    expect(error).toMatchObject({ message: 'outer failed' });
    expect(await chatCount(db, id)).toBe(0);
  });

  it('lets work that outlives the transaction use the root handle', async () => {
    const db = await openDatabase();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let later: Promise<unknown> = Promise.resolve();
    await db.transaction(async () => {
      // Started inside the transaction's async context, run after it committed.
      later = gate.then(() => db.query<{ one: number }>('SELECT 1 AS one'));
    });
    release();
    await expect(later).resolves.toEqual([{ one: 1 }]);
  });

  it('rolls back everything on error and leaves the root handle usable', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    const error = await rejection(
      db.transaction(async (tx) => {
        await tx.query(insertChat(id));
        throw new Error('boom');
      }),
    );
    expect(error).toMatchObject({ message: 'boom' });
    expect(await chatCount(db, id)).toBe(0);
    expect(db.currentTransaction()).toBeUndefined();
  });

  it('runs afterCommit callbacks once the commit is done', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    let seen: Promise<number> | undefined;
    await db.transaction(async (tx) => {
      await tx.query(insertChat(id));
      // A root-handle read from the callback: refused if it ran inside the transaction, and
      // on Postgres (another connection) it only sees the row once it is committed.
      tx.afterCommit.push(() => {
        seen = chatCount(db, id);
      });
      expect(seen).toBeUndefined();
    });
    expect(seen).toBeDefined();
    expect(await seen).toBe(1);
  });

  it('never runs afterCommit callbacks after a rollback', async () => {
    const db = await openDatabase();
    let ran = false;
    await rejection(
      db.transaction(async (tx) => {
        tx.afterCommit.push(() => {
          ran = true;
        });
        throw new Error('boom');
      }),
    );
    expect(ran).toBe(false);
  });

  it('recalls a remembered value until another statement runs', async () => {
    const db = await openDatabase();
    await db.transaction(async (tx) => {
      const rows = await tx.query('SELECT 1 AS one');
      tx.remember('one', rows);
      expect(tx.recall('one')).toBe(rows);
      expect(tx.recall('other')).toBeUndefined();
      await tx.query('SELECT 2 AS two');
      // The second statement could have changed what the first read.
      expect(tx.recall('one')).toBeUndefined();
    });
  });

  it('counts the statements run on the transaction', async () => {
    const db = await openDatabase();
    const counts = await db.transaction(async (tx) => {
      const before = tx.statements;
      await tx.query('SELECT 1');
      await tx.query({ name: 'database_test_select_2', text: 'SELECT 2' });
      return [before, tx.statements];
    });
    expect(counts).toEqual([0, 2]);
  });

  it('rolls back when the signal is aborted before the commit', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    const controller = new AbortController();
    const reason = new Error('stop');
    let ran = false;
    const error = await rejection(
      db.transaction(async (tx) => {
        await tx.query(insertChat(id));
        tx.afterCommit.push(() => {
          ran = true;
        });
        controller.abort(reason);
      }, controller.signal),
    );
    expect(error).toBe(reason);
    expect(ran).toBe(false);
    expect(await chatCount(db, id)).toBe(0);
  });

  it('ends a transaction with queryAndCommit: its statement commits, nothing may follow', async () => {
    const db = await openDatabase();
    const id = randomUUID();
    const controller = new AbortController();
    let ran = false;
    const rows = await db.transaction(async (tx) => {
      await tx.query(insertChat(id));
      tx.afterCommit.push(() => {
        ran = true;
      });
      const last = await tx.queryAndCommit<{ last: number }>('SELECT 1 AS last');
      expect(tx.committing).toBe(true);
      expect(tx.statements).toBe(2);
      await expect(tx.query('SELECT 2')).rejects.toThrow(/sent its COMMIT/);
      await expect(tx.queryAndCommit('SELECT 3')).rejects.toThrow(/sent its COMMIT/);
      // Too late to cancel: the commit has been sent.
      controller.abort(new Error('too late'));
      return last;
    }, controller.signal);
    expect(rows).toEqual([{ last: 1 }]);
    expect(ran).toBe(true);
    expect(await chatCount(db, id)).toBe(1);
    // A failing last statement rolls the transaction back.
    const failedId = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await tx.query(insertChat(failedId));
        return tx.queryAndCommit('SELECT 1 / 0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await chatCount(db, failedId)).toBe(0);
    // A callback that fails after the commit cannot undo it: the work stands, the afterCommit
    // callbacks run, and the error is reported.
    const keptId = randomUUID();
    let keptRan = false;
    await expect(
      db.transaction(async (tx) => {
        tx.afterCommit.push(() => {
          keptRan = true;
        });
        await tx.queryAndCommit(insertChat(keptId));
        throw new Error('after the commit');
      }),
    ).rejects.toThrow('after the commit');
    expect(keptRan).toBe(true);
    expect(await chatCount(db, keptId)).toBe(1);
  });

  it('refuses a statement sent after its callback has returned or thrown: it runs nowhere', async () => {
    const db = await openDatabase();
    const lateIds = [randomUUID(), randomUUID()];
    const late: Promise<unknown>[] = [];
    // Each outcome is taken at once (`rejection`): a rejection nobody has handled yet fails the run.
    const afterTheCallback = (tx: Transaction, id: string) =>
      rejection(
        new Promise((resolve) => setTimeout(resolve, 10)).then(() => tx.query(insertChat(id))),
      );
    await db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      late.push(afterTheCallback(tx, lateIds[0] as string));
    });
    await rejection(
      db.transaction(async (tx) => {
        late.push(afterTheCallback(tx, lateIds[1] as string));
        throw new Error('callback failed');
      }),
    );
    for (const statement of late) {
      const error = await statement;
      expect(error).toBeInstanceOf(TransactionEndedError);
      expect(error).toMatchObject({ code: 'TRANSACTION_ENDED' });
    }
    for (const id of lateIds) expect(await chatCount(db, id)).toBe(0);
  });

  it('does not start a transaction for an already aborted signal', async () => {
    const db = await openDatabase();
    const reason = new Error('stop');
    let ran = false;
    const error = await rejection(
      db.transaction(async () => {
        ran = true;
      }, AbortSignal.abort(reason)),
    );
    expect(error).toBe(reason);
    expect(ran).toBe(false);
  });

  it('does not block another database (another client) inside a transaction', async () => {
    const db = await openDatabase();
    let other: Database;
    if (database.kind === 'postgres') {
      // Its own pool on the same database.
      other = await openDatabase();
    } else {
      // A second PGlite instance: a file's `{ pglite }` source would share this one's client.
      const tarball = await readFile(inject('pgliteTemplatePath'));
      other = await connect(
        { kind: 'memory', memory: true, loadDataDir: new Blob([tarball]) },
        silentLogger,
      );
      cleanups.push(() => other.close());
    }
    const rows = await db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      return other.query<{ one: number }>('SELECT 1 AS one');
    });
    expect(rows).toEqual([{ one: 1 }]);
  });

  it.runIf(database.kind === 'postgres')(
    "sends a transaction's BEGIN with its first statement and COMMIT with its last on the store's own pool",
    async () => {
      // A TCP proxy in front of Postgres records what each side sends, in order.
      const proxy = await startRecordingProxy(database.url as string);
      cleanups.push(() => proxy.close());
      const { traffic, sent, replyAfter } = proxy;
      const db = await connect({ kind: 'url', url: proxy.url, maxConnections: 1 }, silentLogger);
      cleanups.push(() => db.close());
      await db.query('SELECT 1');
      traffic.length = 0;
      await db.transaction((tx) => tx.query('SELECT 42 AS first_statement'));
      const begin = sent('BEGIN');
      const firstReply = replyAfter(begin);
      expect(begin).toBeGreaterThanOrEqual(0);
      expect(sent('SELECT 42 AS first_statement')).toBeLessThan(firstReply);
      // A failing first statement still rolls the transaction back and frees the connection.
      const id = randomUUID();
      await expect(
        db.transaction(async (tx) => {
          await tx.query(insertChat(id));
          await tx.query('SELECT 1 / 0');
        }),
      ).rejects.toThrow(/division by zero/);
      await expect(db.transaction((tx) => tx.query('SELECT 1 / 0'))).rejects.toThrow(/division/);
      expect(await chatCount(db, id)).toBe(0);

      // queryAndCommit: the COMMIT goes out before the last statement's reply comes back.
      traffic.length = 0;
      const committedId = randomUUID();
      const last = await db.transaction(async (tx) => {
        await tx.query(insertChat(committedId));
        const rows = await tx.queryAndCommit('SELECT 43 AS last_statement');
        // Nothing may follow the COMMIT.
        await expect(tx.query('SELECT 44')).rejects.toThrow(/sent its COMMIT/);
        return rows;
      });
      expect(last).toEqual([{ last_statement: 43 }]);
      const lastStatement = sent('SELECT 43 AS last_statement');
      const lastReply = replyAfter(lastStatement);
      expect(sent('COMMIT')).toBeGreaterThanOrEqual(lastStatement);
      expect(sent('COMMIT')).toBeLessThan(lastReply);
      expect(await chatCount(db, committedId)).toBe(1);
      // A failing last statement rolls back what came before it, and the connection (the
      // pool's only one) is clean for the next transaction.
      const rolledBackId = randomUUID();
      await expect(
        db.transaction(async (tx) => {
          await tx.query(insertChat(rolledBackId));
          return tx.queryAndCommit('SELECT 1 / 0');
        }),
      ).rejects.toThrow(/division by zero/);
      expect(await chatCount(db, rolledBackId)).toBe(0);
      expect(await db.transaction((tx) => tx.query('SELECT 45 AS next'))).toEqual([{ next: 45 }]);
    },
  );

  it.runIf(database.kind === 'pglite')(
    'refuses root queries of every Database sharing the PGlite instance inside a transaction',
    async () => {
      // PGlite has one connection: a root query of either would wait for the transaction,
      // which waits for the query.
      const first = await openDatabase();
      const second = await openDatabase();
      const fromSecond = await first.transaction(() => rejection(second.query('SELECT 1')));
      const fromFirst = await second.transaction(() => rejection(first.query('SELECT 1')));
      expect(fromSecond).toBeInstanceOf(RootHandleInTransactionError);
      expect(fromFirst).toBeInstanceOf(RootHandleInTransactionError);
      // Outside any transaction both work.
      expect(await second.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    },
  );
});

describeEachDatabase('store calls inside a transaction', (database) => {
  const content = { version: 1 as const, parts: [{ type: 'text' as const, text: 'hi' }] };

  it('reads the update’s uncommitted writes from store methods called in its callback', async () => {
    const { store } = await database.open();
    const { chatId } = await store.createChat({
      ownerId: 'o',
      messages: [{ role: 'user', content, createdBy: 'u' }],
    });
    const before = await store.getChat(chatId);
    const seen = await store.update(chatId, async (chat) => {
      await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
      await chat.commitStep({ messages: [{ role: 'assistant', content }] });
      return { history: await store.getPromptHistory(chatId), row: await store.getChat(chatId) };
    });
    expect(seen.history.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(seen.row).toMatchObject({
      workerId: 'w1',
      snapshotVersion: before.snapshotVersion + 1,
    });
  });

  it('reads the database clock', async () => {
    const { store } = await database.open();
    const now = await store.getDatabaseTime();
    expect(Math.abs(now.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('reads database time in the update’s transaction (now() is fixed per transaction)', async () => {
    const { store } = await database.open();
    const { chatId } = await store.createChat({
      ownerId: 'o',
      messages: [{ role: 'user', content, createdBy: 'u' }],
    });
    const [first, second] = await store.update(chatId, async () => [
      await store.getDatabaseTime(),
      await store.getDatabaseTime(),
    ]);
    expect(second?.getTime()).toBe(first?.getTime());
  });

  it.runIf(database.kind === 'pglite')(
    'refuses a second store on the same PGlite instance inside the first store’s update',
    async () => {
      const { store: first } = await database.open();
      const { store: second } = await database.open();
      const { chatId } = await first.createChat({
        ownerId: 'o',
        messages: [{ role: 'user', content, createdBy: 'u' }],
      });
      const error = await first.update(chatId, () => rejection(second.getChat(chatId)));
      expect(error).toBeInstanceOf(RootHandleInTransactionError);
      expect(error).toMatchObject({ code: 'ROOT_HANDLE_IN_TRANSACTION' });
      // A transaction of the second store would wait for the one connection forever: refused.
      const nested = await first.update(chatId, () =>
        rejection(second.update(chatId, (chat) => chat.recordGenerationAttempt())),
      );
      expect(nested).toBeInstanceOf(RootHandleInTransactionError);
      // Once the update committed, the second store works.
      expect((await second.getChat(chatId)).id).toBe(chatId);
    },
  );
});
