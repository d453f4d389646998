import type { ChatStreamPart, Logger } from '@chatd/core';
import { errorOf, ManualClock, newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { InProcessTransport, PubSub } from '@chatd/pubsub';
import { describe, expect, it, vi } from 'vitest';
import type { MessageStore } from '../store/message-store.js';
import { openStore } from '../store/open-store.js';
import type { OpenStoreOptions } from '../store/store-options.js';
import { describeEachDatabase, type TestDatabase } from '../test-support/databases.js';
import { assistantText, openMachine, userMessage } from '../test-support/state-fixtures.js';
import {
  type DraftAnnouncement,
  type DraftEnvelope,
  type DraftKey,
  readDraftAnnouncement,
} from './draft-types.js';

const delta = (seq: number, text = `d${seq}`): DraftEnvelope => ({
  seq,
  role: 'assistant',
  part: { type: 'text-delta', id: 't', delta: text } as ChatStreamPart,
});

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => delta(from + index));

/** The batches written for a key, as `first-last` strings. */
async function batches(database: TestDatabase, key: DraftKey): Promise<string[]> {
  const rows = await database.query<{ first_seq: number; last_seq: number }>(
    `SELECT first_seq, last_seq FROM chat_draft_batches
     WHERE chat_id = $1 AND history_version = $2 AND generation_attempt = $3 ORDER BY first_seq`,
    [key.chatId, key.historyVersion, key.generationAttempt],
  );
  return rows.map((row) => `${row.first_seq}-${row.last_seq}`);
}

/** A new chat of `store` running its first attempt: the key of that attempt's episode. */
async function runningEpisodeKey(store: MessageStore): Promise<DraftKey> {
  const { chatId } = await store.createChat({
    ownerId: 'o',
    lastModelConfigId: 'm',
    messages: [userMessage('hi')],
  });
  const generationAttempt = await store.update(chatId, async (chat) => {
    await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
    return chat.recordGenerationAttempt();
  });
  const { historyVersion } = await store.getChat(chatId);
  return { chatId, historyVersion, generationAttempt };
}

/** Makes every insert into the draft table fail (a real database error) until `restore`. */
async function breakDraftWrites(database: TestDatabase) {
  await database.query(`CREATE FUNCTION fail_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'drafts are down'; END $$`);
  await database.query(
    'CREATE TRIGGER fail_drafts BEFORE INSERT ON chat_draft_batches FOR EACH ROW EXECUTE FUNCTION fail_drafts()',
  );
  return async () => {
    await database.query('DROP TRIGGER fail_drafts ON chat_draft_batches');
    await database.query('DROP FUNCTION fail_drafts()');
  };
}

/** Makes each insert into the draft table take `seconds` (a write in flight for a while). */
async function slowDraftWrites(database: TestDatabase, seconds: number) {
  await database.query(`CREATE FUNCTION slow_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${seconds}); RETURN NEW; END $$`);
  await database.query(
    'CREATE TRIGGER slow_drafts BEFORE INSERT ON chat_draft_batches FOR EACH ROW EXECUTE FUNCTION slow_drafts()',
  );
  return async () => {
    await database.query('DROP TRIGGER slow_drafts ON chat_draft_batches');
    await database.query('DROP FUNCTION slow_drafts()');
  };
}

/** A logger whose calls a test can check (its children are itself). */
function recordingLogger() {
  const logger = {
    debug: vi.fn(),
    info: vi.fn(),
    warn: vi.fn(),
    error: vi.fn(),
    child: (): Logger => logger,
  };
  return logger;
}

describeEachDatabase('the draft writer', (database) => {
  /** A store with a manual clock and a chat running its first attempt: the episode's key. */
  async function episode(options: Partial<Pick<OpenStoreOptions, 'pubsub' | 'drafts'>> = {}) {
    const clock = new ManualClock();
    const logger = recordingLogger();
    const machine = await openMachine(database, { clock, logger, ...options });
    const { chatId, messageIds } = await machine.create();
    const attempt = await machine.update(chatId, async (chat) => {
      await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
      return chat.recordGenerationAttempt();
    });
    const { history_version } = (
      await database.query<{ history_version: string | number }>(
        'SELECT history_version FROM chats WHERE id = $1',
        [chatId],
      )
    )[0] as { history_version: string | number };
    const key: DraftKey = {
      chatId,
      historyVersion: Number(history_version),
      generationAttempt: attempt,
    };
    return {
      clock,
      machine,
      store: machine.store,
      drafts: machine.store.drafts,
      key,
      logger,
      userMessageId: messageIds[0] as number,
    };
  }

  /** The draft announcements published so far. */
  const announced = (machine: { published(): { channel: string; payload: unknown }[] }) =>
    machine
      .published()
      .filter((message) => message.channel.startsWith('chat:draft:'))
      .map((message) => readDraftAnnouncement(message.payload));

  it('writes the first append of an idle episode at once (leading edge, W12)', async () => {
    const { drafts, key } = await episode();
    drafts.append(key, [delta(1)]);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
  });

  it('without remote followers, every write waits for the window (a second), urgent or not; flush writes at once', async () => {
    const { drafts, key, clock } = await episode({ drafts: { remoteFollowers: false } });
    drafts.append(key, [delta(1)]);
    await clock.advance(999);
    expect(await batches(database, key)).toEqual([]);
    await clock.advance(1);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
    // The window starts at the oldest unwritten append, not at the last write.
    await clock.advance(3000);
    drafts.append(key, [delta(2)], { urgent: true });
    drafts.append(key, [delta(3)]);
    await clock.advance(999);
    expect(await batches(database, key)).toEqual(['1-1']);
    await clock.advance(1);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1', '2-3']));
    drafts.append(key, [delta(4)]);
    await drafts.flush(key);
    expect(await batches(database, key)).toEqual(['1-1', '2-3', '4-4']);
    expect(drafts.batchesWritten).toBe(3);
  });

  it('without remote followers, takes the window it is given', async () => {
    const { drafts, key, clock } = await episode({
      drafts: { remoteFollowers: false, windowMs: 50 },
    });
    drafts.append(key, [delta(1)], { urgent: true });
    await clock.advance(49);
    expect(await batches(database, key)).toEqual([]);
    await clock.advance(1);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
  });

  it('without remote followers, a step committed within the window writes no draft', async () => {
    const { drafts, key, clock, machine } = await episode({ drafts: { remoteFollowers: false } });
    drafts.append(key, [delta(1)]);
    drafts.append(key, [delta(2)], { urgent: true });
    await machine.update(key.chatId, (chat) =>
      chat.commitStep({ messages: [assistantText('done')] }),
    );
    drafts.discard(key);
    await clock.advance(5000);
    expect(drafts.batchesWritten).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
    expect(await batches(database, key)).toEqual([]);
  });

  it('puts appends within the window into one trailing write (W12)', async () => {
    const { drafts, key, clock } = await episode();
    drafts.append(key, [delta(1)]);
    await drafts.flush(key);
    drafts.append(key, [delta(2)]);
    drafts.append(key, [delta(3), delta(4)]);
    await clock.advance(32);
    expect(await batches(database, key)).toEqual(['1-1']);
    await clock.advance(1);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1', '2-4']));
    expect(drafts.batchesWritten).toBe(2);
  });

  it('a write in flight never strands what is appended meanwhile (W2)', async () => {
    const { drafts, key, clock } = await episode();
    const restore = await slowDraftWrites(database, 0.3);
    drafts.append(key, [delta(1)]);
    drafts.append(key, [delta(2)]);
    drafts.append(key, [delta(3)]);
    // The first write is still running; once it completes the rest is scheduled.
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
    await restore();
    await clock.waitForTimers(1);
    await clock.advance(33);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1', '2-3']));
  });

  it('earlier batches are never rewritten: one append-only row per write (W14)', async () => {
    const { drafts, key } = await episode();
    drafts.append(key, range(1, 2));
    await drafts.flush(key);
    const rowVersion = () =>
      database.query<{ xmin: string; ctid: string }>(
        `SELECT xmin::text AS xmin, ctid::text AS ctid FROM chat_draft_batches
         WHERE chat_id = $1 AND first_seq = 1`,
        [key.chatId],
      );
    const before = await rowVersion();
    drafts.append(key, range(3, 5), { urgent: true });
    await drafts.flush(key);
    drafts.append(key, range(6, 6), { urgent: true });
    await drafts.flush(key);
    expect(await rowVersion()).toEqual(before);
    expect(await batches(database, key)).toEqual(['1-2', '3-5', '6-6']);
  });

  it('flushAll flushes every episode at once; one failing does not hold the others back (W11)', async () => {
    const first = await episode();
    const { machine, drafts } = first;
    const { chatId } = await machine.create();
    const attempt = await machine.update(chatId, async (chat) => {
      await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
      return chat.recordGenerationAttempt();
    });
    const other: DraftKey = {
      chatId,
      historyVersion: (await machine.store.getChat(chatId)).historyVersion,
      generationAttempt: attempt,
    };
    await database.query(`CREATE FUNCTION fail_one_chat() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'this chat is down'; END $$`);
    await database.query(
      `CREATE TRIGGER fail_one_chat BEFORE INSERT ON chat_draft_batches FOR EACH ROW
       WHEN (NEW.chat_id = '${first.key.chatId}') EXECUTE FUNCTION fail_one_chat()`,
    );
    drafts.append(first.key, range(1, 2));
    drafts.append(other, range(1, 3));
    await expect(drafts.flushAll()).rejects.toMatchObject({
      code: 'DRAFT_WRITE_FAILED',
      chatId: first.key.chatId,
    });
    expect(await batches(database, other)).toEqual(['1-3']);
    expect(await batches(database, first.key)).toEqual([]);
    await database.query('DROP TRIGGER fail_one_chat ON chat_draft_batches');
    await database.query('DROP FUNCTION fail_one_chat()');
    await drafts.flushAll();
    expect(await batches(database, first.key)).toEqual(['1-2']);
  });

  it('an urgent append writes at once, after everything appended before it (W13)', async () => {
    const { drafts, key, store } = await episode();
    drafts.append(key, [delta(1)]);
    await drafts.flush(key);
    drafts.append(key, [delta(2)]);
    drafts.append(key, [delta(3)], { urgent: true });
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1', '2-3']));
    expect((await store.readDraft(key)).map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
  });

  it('a failing database: the next flush reports it, retries continue, and recovery writes everything once (W3)', async () => {
    const { drafts, key, clock, store, logger } = await episode();
    const { warn } = logger;
    const restore = await breakDraftWrites(database);
    drafts.append(key, [delta(1), delta(2)]);
    // The leading-edge write fails in the background: logged, and a retry timer is armed.
    await vi.waitFor(() => expect(clock.pendingTimerCount).toBe(1));
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ chatId: key.chatId, failures: 1 }),
      expect.stringContaining('retrying'),
    );
    drafts.append(key, [delta(3)]);
    // The next flush reports it (it tries again at once, and the database is still down).
    await expect(drafts.flush(key)).rejects.toMatchObject({
      code: 'DRAFT_WRITE_FAILED',
      chatId: key.chatId,
      cause: expect.objectContaining({ message: expect.stringContaining('drafts are down') }),
    });
    expect(await batches(database, key)).toEqual([]);
    // Backing off (100 ms, then 200 ms, ...): the retries are timers, still failing.
    await clock.waitForTimers(1);
    await clock.advance(200);
    await vi.waitFor(() => expect(warn.mock.calls.length).toBeGreaterThanOrEqual(3));
    await restore();
    await clock.advance(5000);
    // The failed batch is retried as it was (same range: a write whose reply was lost would
    // be a no-op), then what came after it.
    await vi.waitFor(async () => expect(await batches(database, key)).toContain('1-2'));
    await drafts.flush(key);
    expect(await batches(database, key)).toEqual(['1-2', '3-3']);
    expect((await store.readDraft(key)).map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
  });

  it.runIf(database.kind === 'postgres')(
    'a connection killed mid-write: the retry writes the batch on a new connection, once (W3)',
    async () => {
      const { drafts, key, clock, logger } = await episode();
      const restore = await slowDraftWrites(database, 5);
      drafts.append(key, range(1, 2));
      // The write is running (sleeping in its trigger): kill its backend.
      await vi.waitFor(
        async () => {
          const killed = await database.query<{ pg_terminate_backend: boolean }>(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND query LIKE '%chat_draft_batches%' AND state = 'active'`,
          );
          expect(killed).toHaveLength(1);
        },
        { timeout: 4000 },
      );
      await vi.waitFor(() => expect(logger.warn).toHaveBeenCalled());
      await restore();
      drafts.append(key, [delta(3)]);
      await clock.advance(5000);
      await drafts.flush(key);
      expect(await batches(database, key)).toEqual(['1-2', '3-3']);
    },
  );

  it('a batch is written once however often its write is retried', async () => {
    const { key, store } = await episode();
    const { insertDraftBatch } = await import('../queries/drafts.js');
    const db = {
      query: <Row>(statement: unknown, params?: readonly unknown[]) =>
        database.query<Row>(
          typeof statement === 'string' ? statement : (statement as { text: string }).text,
          params as unknown[],
        ),
    };
    expect(await insertDraftBatch(db as never, key, range(1, 2))).toBe(true);
    expect(await insertDraftBatch(db as never, key, range(1, 2))).toBe(true);
    expect(await batches(database, key)).toEqual(['1-2']);
    expect((await store.readDraft(key)).map((envelope) => envelope.seq)).toEqual([1, 2]);
  });

  it('end after a failed flush still forgets the episode once the retry has written it (W8)', async () => {
    const { drafts, key, clock } = await episode();
    const restore = await breakDraftWrites(database);
    drafts.append(key, range(1, 2));
    await expect(drafts.end(key)).rejects.toMatchObject({ code: 'DRAFT_WRITE_FAILED' });
    expect(drafts.episodeCount).toBe(1);
    await restore();
    await clock.waitForTimers(1);
    await clock.advance(5000);
    await vi.waitFor(() => expect(drafts.episodeCount).toBe(0));
    expect(await batches(database, key)).toEqual(['1-2']);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('a flush whose signal aborts rejects with its reason; the write goes on (W1)', async () => {
    const { drafts, key } = await episode();
    const restore = await slowDraftWrites(database, 0.3);
    drafts.append(key, [delta(1)]);
    drafts.append(key, [delta(2)], { urgent: true });
    const controller = new AbortController();
    const flushing = drafts.flush(key, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(flushing).rejects.toThrow('caller gave up');
    // Already aborted: rejects at once, for one episode and for all.
    const aborted = AbortSignal.abort(new Error('too late'));
    await expect(drafts.flush(key, { signal: aborted })).rejects.toThrow('too late');
    await expect(drafts.flushAll({ signal: aborted })).rejects.toThrow('too late');
    await restore();
    await drafts.flush(key);
    expect((await batches(database, key)).join(',')).toMatch(/^1-1,2-2$|^1-2$/);
  });

  it('end flushes and forgets the episode (W8)', async () => {
    const { drafts, key } = await episode();
    drafts.append(key, range(1, 5));
    expect(drafts.episodeCount).toBe(1);
    await drafts.end(key);
    expect(drafts.episodeCount).toBe(0);
    expect(await batches(database, key)).toEqual(['1-5']);
  });

  it('discard drops what is not written yet and forgets the episode', async () => {
    const { drafts, key, clock, machine } = await episode();
    drafts.append(key, [delta(1)]);
    await drafts.flush(key);
    machine.clearPublished();
    // Within the window: pending, waiting for the timer.
    drafts.append(key, range(2, 4));
    drafts.discard(key);
    expect(drafts.episodeCount).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
    await clock.advance(1000);
    expect(await batches(database, key)).toEqual(['1-1']);
    expect(announced(machine)).toEqual([]);
    // The key starts a new episode at seq 1.
    expect(() => drafts.append(key, [delta(2)])).toThrow(/expected 1, got 2/);
  });

  it('discard resolves a flush waiting for parts it drops', async () => {
    const { drafts, key } = await episode();
    const restore = await slowDraftWrites(database, 0.3);
    try {
      drafts.append(key, [delta(1)]);
      drafts.append(key, range(2, 4));
      // Waits for seq 4, which waits behind the write of seq 1.
      const flushing = drafts.flush(key);
      drafts.discard(key);
      await flushing;
      await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
      await drafts.flushAll();
      expect(await batches(database, key)).toEqual(['1-1']);
    } finally {
      await restore();
    }
  });

  it('discard lets a write in flight finish, and does not retry it when it fails', async () => {
    const { drafts, key, clock } = await episode();
    const restoreSlow = await slowDraftWrites(database, 0.3);
    drafts.append(key, [delta(1)]);
    drafts.discard(key);
    expect(drafts.episodeCount).toBe(0);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1']));
    await restoreSlow();
    const restoreBroken = await breakDraftWrites(database);
    try {
      drafts.append(key, [delta(1, 'again')]);
      drafts.discard(key);
      await drafts.flushAll();
      await clock.advance(10_000);
      expect(clock.pendingTimerCount).toBe(0);
      expect(drafts.episodeCount).toBe(0);
    } finally {
      await restoreBroken();
    }
  });

  it('discard of a key the writer does not hold does nothing; a malformed key is refused', async () => {
    const { drafts, key } = await episode();
    drafts.discard(key);
    expect(drafts.episodeCount).toBe(0);
    expect(() => drafts.discard({ ...key, chatId: 'nope' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('appends through one key object that is changed in between go to the episode it names', async () => {
    const { drafts, key, machine, store } = await episode();
    const sameObject = { ...key };
    drafts.append(sameObject, [delta(1)]);
    await drafts.flush(sameObject);
    const next = await machine.update(key.chatId, (chat) => chat.recordGenerationAttempt());
    sameObject.generationAttempt = next;
    drafts.append(sameObject, [delta(1, 'next')]);
    await drafts.flush(sameObject);
    expect(await store.readDraft(sameObject)).toEqual([delta(1, 'next')]);
    expect(drafts.episodeCount).toBe(2);
  });

  it('a batch of an episode the chat has moved past writes nothing, and cannot overwrite the new one (W9, W15)', async () => {
    const { drafts, key, machine, store } = await episode();
    drafts.append(key, range(1, 2));
    await drafts.flush(key);
    const next = await machine.update(key.chatId, (chat) => chat.recordGenerationAttempt());
    // The next attempt deleted the old episode's rows in its own transaction.
    expect(await batches(database, key)).toEqual([]);
    machine.clearPublished();
    drafts.append(key, [delta(3)], { urgent: true });
    await drafts.flush(key);
    expect(await batches(database, key)).toEqual([]);
    // Nothing written, nothing announced.
    expect(announced(machine)).toEqual([]);
    const nextKey = { ...key, generationAttempt: next };
    drafts.append(nextKey, [delta(1, 'new')]);
    await drafts.flush(nextKey);
    expect(await store.readDraft(nextKey)).toEqual([delta(1, 'new')]);
  });

  it('rows go in the transaction that commits the step or finishes the interruption', async () => {
    const { drafts, key, machine, store } = await episode();
    drafts.append(key, range(1, 3));
    await drafts.flush(key);
    await machine.update(key.chatId, (chat) =>
      chat.commitStep({ messages: [assistantText('hi')] }),
    );
    expect(await store.readDraft(key)).toEqual([]);

    const second = await machine.update(key.chatId, async (chat) => {
      await chat.sendMessage({ ...userMessage('again'), busy: 'queue' } as never).catch(() => {});
      return chat.recordGenerationAttempt();
    });
    const { history_version } = (
      await database.query<{ history_version: string | number }>(
        'SELECT history_version FROM chats WHERE id = $1',
        [key.chatId],
      )
    )[0] as { history_version: string | number };
    const secondKey = {
      ...key,
      historyVersion: Number(history_version),
      generationAttempt: second,
    };
    drafts.append(secondKey, range(1, 2));
    await drafts.flush(secondKey);
    expect(await store.readDraft(secondKey)).toHaveLength(2);
    await machine.update(key.chatId, async (chat) => {
      await chat.interrupt();
      await chat.finishInterruption([assistantText('partial')]);
    });
    expect(await store.readDraft(secondKey)).toEqual([]);
  });

  it('rows stay when the transaction that would have moved the chat rolls back', async () => {
    const { drafts, key, machine, store } = await episode();
    drafts.append(key, range(1, 3));
    await drafts.flush(key);
    await expect(
      machine.update(key.chatId, async (chat) => {
        await chat.commitStep({ messages: [assistantText('hi')] });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await store.readDraft(key)).map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
  });

  it('an edit that moves the history version deletes the rows of the running episode', async () => {
    const { drafts, key, machine, store, userMessageId } = await episode();
    drafts.append(key, range(1, 2));
    await drafts.flush(key);
    await machine.update(key.chatId, (chat) =>
      chat.editMessage({
        messageId: userMessageId,
        content: { version: 1, parts: [{ type: 'text', text: 'edited' }] },
        createdBy: 'u',
      }),
    );
    expect(await store.readDraft(key)).toEqual([]);
    expect(await batches(database, key)).toEqual([]);
  });

  it('append inside a store transaction writes after it; flush there is refused, not a deadlock', async () => {
    const { drafts, key, machine, logger } = await episode();
    await machine.lock(key.chatId, async () => {
      drafts.append(key, range(1, 2));
      await expect(drafts.flush(key)).rejects.toMatchObject({
        code: 'ROOT_HANDLE_IN_TRANSACTION',
      });
      await expect(drafts.announceUnwritten(key)).rejects.toMatchObject({
        code: 'ROOT_HANDLE_IN_TRANSACTION',
      });
    });
    await drafts.flush(key);
    expect(await batches(database, key)).toEqual(['1-2']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('announces every batch in seq order with its envelopes, and without them when too large (W4)', async () => {
    const pubsub = new PubSub({ transport: new InProcessTransport({ maxPayloadBytes: 2000 }) });
    try {
      const { drafts, key } = await episode({ pubsub });
      const subscription = pubsub.subscribe(`chat:draft:${key.chatId}`);
      await subscription.ready;
      drafts.append(key, [delta(1)]);
      await drafts.flush(key);
      drafts.append(key, range(2, 4), { urgent: true });
      await drafts.flush(key);
      drafts.append(key, [delta(5, 'x'.repeat(3000))], { urgent: true });
      await drafts.flush(key);
      const received = [];
      for await (const event of subscription) {
        if (event.type !== 'message') continue;
        received.push(readDraftAnnouncement(event.payload));
        if (received.length === 3) break;
      }
      expect(received).toEqual([
        {
          historyVersion: key.historyVersion,
          generationAttempt: key.generationAttempt,
          firstSeq: 1,
          lastSeq: 1,
          envelopes: [delta(1)],
        },
        {
          historyVersion: key.historyVersion,
          generationAttempt: key.generationAttempt,
          firstSeq: 2,
          lastSeq: 4,
          envelopes: range(2, 4),
        },
        {
          historyVersion: key.historyVersion,
          generationAttempt: key.generationAttempt,
          firstSeq: 5,
          lastSeq: 5,
        },
      ]);
    } finally {
      await pubsub.close();
    }
  });

  /** What `announced` lists, as `first-last: seqs` (`none` without envelopes). */
  const seqsOf = (announcements: ReturnType<typeof announced>) =>
    announcements.map(
      (announcement) =>
        `${announcement?.firstSeq}-${announcement?.lastSeq}: ${announcement?.envelopes?.map((envelope) => envelope.seq).join(',') ?? 'none'}`,
    );

  it('announceUnwritten announces the write in flight and the rest at once, without writing them', async () => {
    const { drafts, key, clock, machine } = await episode();
    const restore = await slowDraftWrites(database, 0.3);
    drafts.append(key, [delta(1)]); // written at once, slowly
    drafts.append(key, range(2, 3)); // waits for the window
    await drafts.announceUnwritten(key);
    // Not held up by the slow write: everything is announced while it is still in flight.
    expect(seqsOf(announced(machine))).toEqual(['1-3: 1,2,3']);
    await restore();
    // The write in flight lands without announcing again what was announced.
    await vi.waitFor(() => expect(drafts.batchesWritten).toBe(1));
    expect(await batches(database, key)).toEqual(['1-1']);
    // Still queued: without a commit, the window writes them as usual, without a second
    // announcement.
    await clock.advance(33);
    await vi.waitFor(async () => expect(await batches(database, key)).toEqual(['1-1', '2-3']));
    expect(seqsOf(announced(machine))).toEqual(['1-3: 1,2,3']);
  });

  it('announceUnwritten announces a batch whose write failed with the rest', async () => {
    const { drafts, key, machine } = await episode();
    const restore = await breakDraftWrites(database);
    drafts.append(key, [delta(1)]);
    await expect(drafts.flush(key)).rejects.toMatchObject({ code: 'DRAFT_WRITE_FAILED' });
    drafts.append(key, [delta(2)]);
    await drafts.announceUnwritten(key);
    expect(seqsOf(announced(machine))).toEqual(['1-2: 1,2']);
    expect(await batches(database, key)).toEqual([]);
    await restore();
  });

  it('announces a batch too long for one message in several, each with its envelopes', async () => {
    const pubsub = new PubSub({ transport: new InProcessTransport({ maxPayloadBytes: 2000 }) });
    try {
      const { drafts, key } = await episode({ pubsub });
      const subscription = pubsub.subscribe(`chat:draft:${key.chatId}`);
      await subscription.ready;
      // 60 envelopes cannot fit 2,000 bytes whatever they hold: one row, several messages.
      drafts.append(key, range(1, 60), { urgent: true });
      await drafts.flush(key);
      expect(await batches(database, key)).toEqual(['1-60']);
      const received: DraftAnnouncement[] = [];
      for await (const event of subscription) {
        if (event.type !== 'message') continue;
        const announcement = readDraftAnnouncement(event.payload) as DraftAnnouncement;
        received.push(announcement);
        if (announcement.lastSeq === 60) break;
      }
      expect(received.length).toBeGreaterThan(1);
      expect(received.flatMap((announcement) => announcement.envelopes ?? [])).toEqual(
        range(1, 60),
      );
      for (const announcement of received) {
        expect(announcement.envelopes?.map((envelope) => envelope.seq)).toEqual(
          range(announcement.firstSeq, announcement.lastSeq).map((envelope) => envelope.seq),
        );
      }
    } finally {
      await pubsub.close();
    }
  });

  it('readDraft returns the envelopes after afterSeq, in order', async () => {
    const { drafts, key, store } = await episode();
    drafts.append(key, range(1, 2));
    await drafts.flush(key);
    drafts.append(key, range(3, 6), { urgent: true });
    await drafts.flush(key);
    expect((await store.readDraft(key, { afterSeq: 3 })).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(await store.readDraft(key, { afterSeq: 6 })).toEqual([]);
  });

  it('the sweep removes rows older than the limit', async () => {
    const { drafts, key, store } = await episode();
    drafts.append(key, range(1, 2));
    await drafts.flush(key);
    expect(await store.sweepDrafts({ olderThanMs: 60_000 })).toBe(0);
    await database.query("UPDATE chat_draft_batches SET created_at = now() - interval '2 hours'");
    expect(await store.sweepDrafts()).toBe(1);
    expect(await store.readDraft(key)).toEqual([]);
  });

  it('refuses bad input with typed errors naming it, writing nothing', async () => {
    const { drafts, key, store } = await episode();
    expect(errorOf(() => drafts.append({ ...key, chatId: 'nope' }, [delta(1)]))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'key.chatId',
    });
    expect(
      errorOf(() => drafts.append({ ...key, generationAttempt: 0 }, [delta(1)])),
    ).toMatchObject({
      argument: 'key.generationAttempt',
    });
    expect(errorOf(() => drafts.append(key, [delta(2)]))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'envelopes[0].seq',
      message: expect.stringContaining('expected 1, got 2'),
    });
    expect(
      errorOf(() => drafts.append(key, [{ seq: 1, role: 'robot', part: {} } as never])),
    ).toMatchObject({ argument: 'envelopes[0]' });
    // A refused batch takes nothing: seq 1 is still next.
    expect(errorOf(() => drafts.append(key, [delta(1), delta(3)]))).toMatchObject({
      argument: 'envelopes[1].seq',
    });
    drafts.append(key, [delta(1)]);
    await drafts.flush(key);
    await expect(store.readDraft(key, { afterSeq: -1 })).rejects.toMatchObject({
      argument: 'afterSeq',
    });
    await expect(store.sweepDrafts({ olderThanMs: 0 })).rejects.toMatchObject({
      argument: 'olderThanMs',
    });
    for (const windowMs of [0, -5, 1.5]) {
      await expect(database.open({ drafts: { windowMs } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('windowMs'),
      });
    }
  });

  it('close writes what is pending, then releases every timer; appending after it fails', async () => {
    const before = snapshotResources();
    const clock = new ManualClock();
    const { store } = await database.open({ clock });
    const key = await runningEpisodeKey(store);
    store.drafts.append(key, [delta(1)]);
    store.drafts.append(key, [delta(2)]);
    await store.close();
    expect(await batches(database, key)).toEqual(['1-1', '2-2']);
    expect(clock.pendingTimerCount).toBe(0);
    expect(errorOf(() => store.drafts.append(key, [delta(3)]))).toMatchObject({
      code: 'STORE_CLOSED',
    });
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('the draft writer of a store that opened its database itself', () => {
  it('has no remote followers by default: the first append waits for a window of a second', async () => {
    const clock = new ManualClock();
    const pubsub = new PubSub();
    const store = await openStore({ memory: true }, { pubsub, clock });
    try {
      const key = await runningEpisodeKey(store);
      store.drafts.append(key, [delta(1)], { urgent: true });
      await clock.advance(999);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.drafts.batchesWritten).toBe(0);
      await clock.advance(1);
      await vi.waitFor(() => expect(store.drafts.batchesWritten).toBe(1));
      expect((await store.readDraft(key)).map((envelope) => envelope.seq)).toEqual([1]);
    } finally {
      await store.close();
      await pubsub.close();
    }
  });

  it('refuses a remoteFollowers that is not a boolean', async () => {
    const pubsub = new PubSub();
    await expect(
      openStore({ memory: true }, { pubsub, drafts: { remoteFollowers: 'yes' as never } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('remoteFollowers'),
    });
    await pubsub.close();
  });
});

describe('readDraftAnnouncement', () => {
  it('reads a well-formed announcement and skips anything else', () => {
    expect(
      readDraftAnnouncement({ historyVersion: 1, generationAttempt: 1, firstSeq: 2, lastSeq: 3 }),
    ).toEqual({ historyVersion: 1, generationAttempt: 1, firstSeq: 2, lastSeq: 3 });
    expect(
      readDraftAnnouncement({ historyVersion: 1, generationAttempt: 0, firstSeq: 1, lastSeq: 1 }),
    ).toBeUndefined();
    expect(readDraftAnnouncement('hello')).toBeUndefined();
    // Envelopes that do not match the range are dropped (the receiver reads the rows).
    expect(
      readDraftAnnouncement({
        historyVersion: 1,
        generationAttempt: 1,
        firstSeq: 2,
        lastSeq: 3,
        envelopes: [delta(2)],
      }),
    ).toEqual({ historyVersion: 1, generationAttempt: 1, firstSeq: 2, lastSeq: 3 });
  });
});
