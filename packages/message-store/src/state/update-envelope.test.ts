import { PubSub } from '@chatd/pubsub';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../store/open-store.js';
import { describeEachDatabase } from '../test-support/databases.js';
import {
  anError,
  assistantText,
  chatIn,
  lastUpdate,
  openMachine,
  text,
  userMessage,
  versions,
} from '../test-support/state-fixtures.js';
import { countPgStatements } from '../testing/count-statements.js';

const send = { role: 'user' as const, content: text('queued'), createdBy: 'u' };

describeEachDatabase('store update envelope', (database) => {
  describe('snapshot version and chat:update', () => {
    it('bumps snapshot_version exactly once for a bundle of transitions', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const before = await versions(database, chatId);
      await machine.update(chatId, async (chat) => {
        await chat.acquire({ workerId: 'w', runnerId: 'r' });
        await chat.sendMessage(send);
        await chat.recordGenerationAttempt();
        await chat.commitStep({ messages: [userMessage('x')] });
      });
      expect((await versions(database, chatId)).snapshot).toBe(before.snapshot + 1);
    });

    it('publishes one chat:update carrying the post-transition versions', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      await machine.update(chatId, async (chat) => {
        await chat.acquire({ workerId: 'w', runnerId: 'r' });
        await chat.sendMessage(send);
        await chat.recordGenerationAttempt();
      });
      const updates = machine.published(chatId).filter((m) => m.channel !== 'chat:ownership');
      expect(updates).toHaveLength(1);
      const after = await versions(database, chatId);
      expect(updates[0]).toEqual({
        channel: `chat:update:${chatId}`,
        payload: {
          chatId,
          snapshotVersion: after.snapshot,
          workerId: 'w',
          runnerId: 'r',
          historyVersion: after.history,
          queueVersion: after.queue,
          retryStateVersion: after.retry,
          generationAttempt: 1,
          status: 'running',
          archived: false,
        },
      });
      expect(after.queue).toBe(after.snapshot);
    });

    it('after inserting messages, reads and publishes the chat exactly as committed', async () => {
      // The insert statement returns the chat row itself instead of reading it again: what it
      // returns (history version, attempt reset, retry state cleared, user activity) must be
      // what the triggers leave in the database.
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, async (chat) => {
        await chat.recordGenerationAttempt();
        await chat.recordRetryState({ attempt: 2 });
      });
      machine.clearPublished();
      const [seen] = await machine.update(chatId, async (chat) => {
        await chat.commitStep({ messages: [assistantText('a'), userMessage('b')] });
        return [await chat.snapshot()];
      });
      const committed = await machine.readLock(chatId, async (chat) => chat.row);
      expect(seen?.row).toEqual(committed);
      expect(committed).toMatchObject({ generationAttempt: 0, retryState: null });
      expect(committed.historyVersion).toBe(committed.snapshotVersion);
      expect(committed.retryStateVersion).toBe(committed.snapshotVersion);
      expect(lastUpdate(machine, chatId)).toMatchObject({
        historyVersion: committed.historyVersion,
        generationAttempt: 0,
        retryStateVersion: committed.retryStateVersion,
      });
    });
    it('returns what the callback returns', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      expect(await machine.update(chatId, async () => 42)).toBe(42);
    });

    it('delivers chat:update to a real subscriber after commit', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const subscription = machine.pubsub.subscribe(`chat:update:${chatId}`);
      await subscription.ready;
      await machine.update(chatId, (chat) => chat.interrupt());
      const iterator = subscription[Symbol.asyncIterator]();
      const { value } = await iterator.next();
      expect(value).toMatchObject({ type: 'message', payload: { chatId, status: 'interrupting' } });
      await iterator.return?.();
    });

    it('fails with CHAT_NOT_FOUND for a missing chat and publishes nothing', async () => {
      const machine = await openMachine(database);
      await expect(
        machine.update('00000000-0000-4000-8000-000000000001', async () => {}),
      ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
      expect(machine.published()).toEqual([]);
    });
  });

  describe('rollback', () => {
    it('writes and publishes nothing when the callback throws', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      const before = await versions(database, chatId);
      await expect(
        machine.update(chatId, async (chat) => {
          await chat.sendMessage(send);
          throw new Error('callback failed');
        }),
      ).rejects.toThrow('callback failed');
      expect(await versions(database, chatId)).toEqual(before);
      expect(machine.published()).toEqual([]);
    });

    it('writes and publishes nothing when the signal aborts before commit', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      const before = await versions(database, chatId);
      const controller = new AbortController();
      const error = await machine
        .update(
          chatId,
          async (chat) => {
            await chat.sendMessage(send);
            controller.abort(new Error('cancelled'));
          },
          { signal: controller.signal },
        )
        .catch((caught: unknown) => caught);
      expect(error).toEqual(new Error('cancelled'));
      expect(await versions(database, chatId)).toEqual(before);
      expect(machine.published()).toEqual([]);
    });

    it('rolls back a transition failure even when the callback catches it', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      const before = await versions(database, chatId);
      await expect(
        machine.update(chatId, async (chat) => {
          await chat.sendMessage(send);
          await chat.setArchived(true).catch(() => {});
          await chat.interrupt(); // refused: the update already failed
        }),
      ).rejects.toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
      expect(await versions(database, chatId)).toEqual(before);
      expect(machine.published()).toEqual([]);
    });
    it('refuses a transition the callback did not await once the update is over: nothing of it is written', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      let late: Promise<unknown> | undefined;
      await machine.update(chatId, async (chat) => {
        // Its outcome is taken at once: a rejection nobody has handled yet fails the run.
        late = new Promise((resolve) => setTimeout(resolve, 10))
          .then(() => chat.sendMessage(send))
          .then(
            () => 'written',
            (error: unknown) => error,
          );
      });
      const after = await versions(database, chatId);
      machine.clearPublished();
      expect(await late).toMatchObject({ code: 'TRANSACTION_ENDED' });
      expect(await versions(database, chatId)).toEqual(after);
      expect(await machine.store.listQueuedMessages(chatId)).toEqual([]);
      expect(machine.published()).toEqual([]);
    });
  });

  describe('nesting', () => {
    it('publishes a nested update only when the outer update commits', async () => {
      const machine = await openMachine(database);
      const { chatId: outerId } = await machine.create();
      const { chatId: innerId } = await machine.create();
      machine.clearPublished();
      await machine.update(outerId, async (chat) => {
        await machine.update(innerId, (inner) => inner.interrupt());
        expect(machine.published()).toEqual([]);
        await chat.interrupt();
      });
      expect(machine.published(innerId).map((m) => m.channel)).toEqual([
        `chat:update:${innerId}`,
        'chat:ownership',
      ]);
      expect(lastUpdate(machine, innerId).status).toBe('interrupting');
    });

    it('writes and publishes nothing of a nested update when the outer one rolls back', async () => {
      const machine = await openMachine(database);
      const { chatId: outerId } = await machine.create();
      const { chatId: innerId } = await machine.create();
      machine.clearPublished();
      const before = await versions(database, innerId);
      await expect(
        machine.update(outerId, async () => {
          await machine.update(innerId, (inner) => inner.interrupt());
          throw new Error('outer failed');
        }),
      ).rejects.toThrow('outer failed');
      expect(await versions(database, innerId)).toEqual(before);
      expect(machine.published()).toEqual([]);
    });

    it('creates a chat inside an update in that transaction: kept and published with it', async () => {
      const machine = await openMachine(database);
      const { chatId: outerId } = await machine.create();
      machine.clearPublished();
      let childId = '';
      await expect(
        machine.update(outerId, async () => {
          childId = (await machine.store.createChat({ ownerId: 'u', messages: [userMessage('a')] }))
            .chatId;
          expect(machine.published()).toEqual([]);
          throw new Error('outer failed');
        }),
      ).rejects.toThrow('outer failed');
      await expect(machine.store.getChat(childId)).rejects.toMatchObject({
        code: 'CHAT_NOT_FOUND',
      });
      expect(machine.published()).toEqual([]);
      await machine.update(outerId, async () => {
        childId = (await machine.store.createChat({ ownerId: 'u', messages: [userMessage('b')] }))
          .chatId;
        expect(machine.published()).toEqual([]);
      });
      expect(machine.published(childId).map((m) => m.channel)).toEqual([
        `chat:update:${childId}`,
        'chat:ownership',
      ]);
    });

    it('runs a nested update inside a lock in the lock transaction', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      await machine.lock(chatId, () => machine.update(chatId, (chat) => chat.interrupt()));
      expect(lastUpdate(machine, chatId).status).toBe('interrupting');
    });
  });

  describe('lock and readLock', () => {
    for (const kind of ['lock', 'readLock'] as const) {
      it(`${kind} neither bumps the snapshot nor publishes`, async () => {
        const machine = await openMachine(database);
        const { chatId } = await machine.create();
        machine.clearPublished();
        const before = await versions(database, chatId);
        const state = await machine[kind](chatId, async (chat) => chat.state);
        expect(state).toBe('R0');
        expect(await versions(database, chatId)).toEqual(before);
        expect(machine.published()).toEqual([]);
      });

      it(`${kind} fails with CHAT_NOT_FOUND for a missing chat`, async () => {
        const machine = await openMachine(database);
        await expect(
          machine[kind]('00000000-0000-4000-8000-000000000002', async () => 1),
        ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
      });
    }
  });

  describe('ownership hints', () => {
    const hints = (machine: Awaited<ReturnType<typeof openMachine>>, chatId: string) =>
      machine.published(chatId).filter((m) => m.channel === 'chat:ownership');

    it('createChat publishes an update and an ownership hint', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      expect(machine.published(chatId)).toEqual([
        expect.objectContaining({ channel: `chat:update:${chatId}` }),
        { channel: 'chat:ownership', payload: { chatId, snapshotVersion: 1 } },
      ]);
    });

    it('createChat with an owner writes its lease and publishes no ownership hint', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.store.createChat({
        ownerId: 'u',
        messages: [userMessage('hi')],
        owner: { workerId: 'w', runnerId: 'r' },
      });
      expect(await machine.store.getChat(chatId)).toMatchObject({
        status: 'running',
        workerId: 'w',
        runnerId: 'r',
      });
      const leases = await database.query(
        'SELECT runner_id, worker_id FROM chat_heartbeats WHERE chat_id = $1',
        [chatId],
      );
      expect(leases).toEqual([{ runner_id: 'r', worker_id: 'w' }]);
      expect(machine.published(chatId)).toEqual([
        expect.objectContaining({ channel: `chat:update:${chatId}` }),
      ]);
    });

    it('createChat returns the prompt history exactly as getPromptHistory reads it', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds, promptHistory } = await machine.store.createChat({
        ownerId: 'u',
        messages: [
          { ...userMessage('You are terse.'), role: 'system', visibility: 'model' },
          { ...assistantText('shown to the user only'), visibility: 'user' },
          userMessage('hi "there" \\ é'),
        ],
      });
      expect(promptHistory.map((message) => message.id)).toEqual([messageIds[0], messageIds[2]]);
      expect(promptHistory).toEqual(await machine.store.getPromptHistory(chatId));
    });

    it('createChat with an owner can record the first attempt in the same transaction', async () => {
      const machine = await openMachine(database);
      const { chatId, chat } = await machine.store.createChat({
        ownerId: 'u',
        messages: [userMessage('hi')],
        owner: { workerId: 'w', runnerId: 'r' },
        recordGenerationAttempt: true,
      });
      expect(chat).toMatchObject({ generationAttempt: 1, historyVersion: 1, snapshotVersion: 1 });
      expect(await machine.store.getChat(chatId)).toEqual(chat);
      expect(machine.published(chatId)).toEqual([
        {
          channel: `chat:update:${chatId}`,
          payload: expect.objectContaining({ generationAttempt: 1, snapshotVersion: 1 }),
        },
      ]);
      // The next attempt is numbered after it, as after any recorded attempt.
      const next = await machine.update(chatId, (transitions) =>
        transitions.recordGenerationAttempt(),
      );
      expect(next).toBe(2);
    });

    it('an update leaving a runnable chat unowned publishes a hint', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      await machine.update(chatId, (chat) => chat.sendMessage(send));
      expect(hints(machine, chatId)).toEqual([
        { channel: 'chat:ownership', payload: { chatId, snapshotVersion: 2 } },
      ]);
    });

    it('acquire suppresses the hint: its heartbeat is live', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      await machine.update(chatId, (chat) => chat.acquire({ workerId: 'w', runnerId: 'r' }));
      await machine.update(chatId, (chat) => chat.sendMessage(send));
      expect(hints(machine, chatId)).toEqual([]);
    });

    it('a heartbeat older than the lease (by database time) brings the hint back', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, (chat) => chat.acquire({ workerId: 'w', runnerId: 'r' }));
      await database.query(
        `UPDATE chat_heartbeats SET heartbeat_at = now() - interval '31 seconds' WHERE chat_id = $1`,
        [chatId],
      );
      machine.clearPublished();
      await machine.update(chatId, (chat) => chat.sendMessage(send));
      expect(hints(machine, chatId)).toHaveLength(1);
    });

    it('a chat that is not runnable gets no hint', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      machine.clearPublished();
      await machine.update(chatId, (chat) => chat.finishError(anError));
      expect(hints(machine, chatId)).toEqual([]);
    });

    it('the hint uses the store lease, the one value workers also use', async () => {
      // A 60 s old heartbeat is live under a 120 s lease and stale under the default 30 s one.
      const long = await openMachine(database, {
        lease: { heartbeatIntervalMs: 40_000, staleAfterMs: 120_000 },
      });
      const byDefault = await openMachine(database);
      expect(long.store.lease.staleAfterMs).toBe(120_000);
      expect(byDefault.store.lease).toEqual({
        heartbeatIntervalMs: 10_000,
        staleAfterMs: 30_000,
      });
      const { chatId } = await long.create();
      await long.update(chatId, (chat) => chat.acquire({ workerId: 'w', runnerId: 'r' }));
      await database.query(
        `UPDATE chat_heartbeats SET heartbeat_at = now() - interval '60 seconds' WHERE chat_id = $1`,
        [chatId],
      );
      long.clearPublished();
      await long.update(chatId, (chat) => chat.sendMessage(send));
      expect(hints(long, chatId)).toEqual([]);
      await byDefault.update(chatId, (chat) => chat.sendMessage(send));
      expect(hints(byDefault, chatId)).toHaveLength(1);
    });
  });

  if (database.kind === 'postgres') {
    it('creates a chat with its messages, lease and first attempt in one statement; ends a turn in one write', async () => {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const { log } = countPgStatements(pool);
      const pubsub = new PubSub();
      const store = await openStore({ pool }, { pubsub });
      try {
        const { chat: parent } = await store.createChat({
          ownerId: 'u',
          messages: [userMessage('root')],
        });
        let created: Awaited<ReturnType<typeof store.createChat>> | undefined;
        const statements = await log.during(async () => {
          created = await store.createChat({
            ownerId: 'u',
            parentChatId: parent.id,
            messages: [userMessage('one'), userMessage('two')],
            owner: { workerId: 'w', runnerId: 'r' },
            recordGenerationAttempt: true,
          });
        });
        expect(statements).toEqual(['chatd_ms_create_chat']);
        const chatId = created?.chatId as string;
        expect(await store.getChat(chatId)).toMatchObject({
          rootChatId: parent.id,
          generationAttempt: 1,
          historyVersion: 1,
          workerId: 'w',
          runnerId: 'r',
        });
        const history = await store.getPromptHistory(chatId);
        expect(history.map((message) => [message.id, message.revision])).toEqual(
          (created?.messageIds ?? []).map((id) => [id, 1]),
        );
        const { rows } = await pool.query(
          'SELECT runner_id FROM chat_heartbeats WHERE chat_id = $1',
          [chatId],
        );
        expect(rows).toEqual([{ runner_id: 'r' }]);
        // The last step of a turn and its end: one write after the bump.
        const ending = await log.during(() =>
          store.update(created?.chatId as string, (chat) =>
            chat.commitStep({ messages: [assistantText('done')], finishTurn: { release: true } }),
          ),
        );
        expect(ending).toEqual([
          'BEGIN',
          'chatd_ms_bump',
          'chatd_ms_insert_messages_finish',
          'COMMIT',
        ]);
      } finally {
        await store.close();
        await pubsub.close();
        await pool.end();
      }
    });

    it('durable: false skips the flush wait of that transaction only, never of an outer one', async () => {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const { log } = countPgStatements(pool);
      const pubsub = new PubSub();
      const store = await openStore({ pool }, { pubsub });
      try {
        const { chatId } = await store.createChat({ ownerId: 'u', messages: [userMessage('hi')] });
        const relaxed = await log.during(() =>
          store.update(chatId, (chat) => chat.recordGenerationAttempt(), { durable: false }),
        );
        expect(relaxed).toContain('SET LOCAL synchronous_commit TO off');
        expect((await store.getChat(chatId)).generationAttempt).toBe(1);
        // SET LOCAL ends with its transaction: the connection commits durably again.
        const [setting] = (await pool.query('SHOW synchronous_commit')).rows;
        expect(setting).toEqual({ synchronous_commit: 'on' });
        const durable = await log.during(() =>
          store.update(chatId, (chat) => chat.recordGenerationAttempt()),
        );
        expect(durable).not.toContain('SET LOCAL synchronous_commit TO off');
        const nested = await log.during(() =>
          store.lock(chatId, () =>
            store.update(chatId, (chat) => chat.recordGenerationAttempt(), { durable: false }),
          ),
        );
        expect(nested).not.toContain('SET LOCAL synchronous_commit TO off');
      } finally {
        await store.close();
        await pubsub.close();
        await pool.end();
      }
    });

    describe('concurrency on real Postgres', () => {
      it('concurrent updates from two stores serialize on the row lock without lost updates', async () => {
        const first = await openMachine(database);
        const second = await openMachine(database);
        const { chatId } = await first.create();
        first.clearPublished();
        const start = await versions(database, chatId);
        const count = 12;
        await Promise.all(
          Array.from({ length: count }, (_, index) =>
            (index % 2 === 0 ? first : second).update(chatId, (chat) =>
              chat.sendMessage({ ...send, content: text(`m${index}`) }),
            ),
          ),
        );
        const after = await versions(database, chatId);
        expect(after.snapshot).toBe(start.snapshot + count);
        expect(after.queue).toBe(after.snapshot);
        const [{ count: queued } = { count: 0 }] = await database.query<{ count: number }>(
          'SELECT count(*)::int AS count FROM chat_queued_messages WHERE chat_id = $1',
          [chatId],
        );
        expect(queued).toBe(count);
        const snapshots = [...first.published(chatId), ...second.published(chatId)]
          .filter((m) => m.channel.startsWith('chat:update:'))
          .map((m) => (m.payload as { snapshotVersion: number }).snapshotVersion)
          .sort((a, b) => a - b);
        expect(snapshots).toEqual(
          Array.from({ length: count }, (_, index) => start.snapshot + 1 + index),
        );
      });

      it('an update waits for another connection holding the row lock', async () => {
        const first = await openMachine(database);
        const second = await openMachine(database);
        const { chatId } = await first.create();
        let release = () => {};
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked = () => {};
        const isLocked = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const holding = first.lock(chatId, async () => {
          locked();
          await released;
        });
        await isLocked;
        let updated = false;
        const pending = second
          .update(chatId, (chat) => chat.interrupt())
          .then(() => {
            updated = true;
          });
        // Wait until the second connection is blocked on the first one's row lock.
        await vi.waitFor(async () => {
          const [row] = await database.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          expect(row?.waiting).toBe(1);
        });
        expect(updated).toBe(false);
        release();
        await holding;
        await pending;
        expect(updated).toBe(true);
      });

      it('a chat is found in its new state by a racing transition on another connection', async () => {
        const first = await openMachine(database);
        const second = await openMachine(database);
        const ids = await chatIn(first, database, 'R0');
        // Both try to finish the turn; whoever is second sees W and is refused, not applied twice.
        const results = await Promise.allSettled([
          first.update(ids.chatId, (chat) => chat.finishTurn()),
          second.update(ids.chatId, (chat) => chat.finishTurn()),
        ]);
        const outcomes = results.map((result) => result.status).sort();
        expect(outcomes).toEqual(['fulfilled', 'rejected']);
        const rejected = results.find((result) => result.status === 'rejected');
        expect((rejected as PromiseRejectedResult).reason).toMatchObject({
          code: 'TRANSITION_NOT_ALLOWED',
        });
      });
    });
  }
});
