import { PubSub } from '@chatd/pubsub';
import { afterEach, expect, it } from 'vitest';
import { openStore } from '../store/open-store.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startRecordingProxy } from '../test-support/recording-proxy.js';
import {
  assistantText,
  chatIn,
  type Machine,
  messagesOf,
  openMachine,
  text,
} from '../test-support/state-fixtures.js';
import type { ChatTransitions } from './chat-transitions.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A turn's last step: the answer and the finish, the commit going with the write. */
const finishStep = (chat: ChatTransitions) =>
  chat.commitStep({
    messages: [assistantText('done')],
    finishTurn: { release: true },
    lastInUpdate: true,
  });

const stateOf = (machine: Machine, chatId: string) =>
  machine.readLock(chatId, async (chat) => chat);

describeEachDatabase('pipelined update', (database) => {
  it('commits and publishes what the usual update does, running the callback once', async () => {
    const machine = await openMachine(database);
    const { chatId } = await chatIn(machine, database, 'R0');
    machine.clearPublished();
    const versions: number[] = [];
    const { messageIds } = await machine.store.update(
      chatId,
      async (chat) => {
        versions.push(chat.snapshotVersion);
        // The snapshot is the chat at the version this update moves it to.
        expect((await chat.snapshot()).row.snapshotVersion).toBe(chat.snapshotVersion);
        return finishStep(chat);
      },
      { pipelined: true },
    );
    expect(versions).toHaveLength(1);
    const after = await stateOf(machine, chatId);
    expect(after.state).toBe('W');
    expect(after.row.snapshotVersion).toBe(versions[0]);
    expect((await messagesOf(database, chatId)).at(-1)).toMatchObject({
      id: messageIds[0],
      revision: versions[0],
    });
    expect(machine.published(chatId)).toContainEqual({
      channel: `chat:update:${chatId}`,
      payload: expect.objectContaining({ snapshotVersion: versions[0], status: 'waiting' }),
    });
    // The next one starts from what this one committed.
    await machine.store.update(chatId, (chat) => chat.setArchived(true), { pipelined: true });
    expect((await stateOf(machine, chatId)).state).toBe('XW');
  });

  it('starts from the chat as createChat committed it', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.store.createChat({
      ownerId: 'o',
      messages: [{ role: 'user', content: text('hello'), createdBy: 'u' }],
      owner: { workerId: 'w1', runnerId: 'r1' },
    });
    const seen: Array<[number, string, string | null]> = [];
    await machine.store.update(
      chatId,
      async (chat) => {
        const { row, state } = await chat.snapshot();
        seen.push([row.snapshotVersion, state, row.runnerId]);
        return finishStep(chat);
      },
      { pipelined: true },
    );
    expect(seen).toEqual([[2, 'R0', 'r1']]);
    expect((await stateOf(machine, chatId)).state).toBe('W');
  });

  it('runs the callback again on the current chat when another store changed it since', async () => {
    const first = await openMachine(database);
    const second = await openMachine(database);
    const { chatId } = await chatIn(first, database, 'R0');
    // The second store queues a message: the chat is R1 now, which the first has not seen.
    await second.update(chatId, (chat) =>
      chat.sendMessage({ role: 'user', content: text('later'), createdBy: 'u', busy: 'queue' }),
    );
    const current = (await stateOf(first, chatId)).row.snapshotVersion;
    const seen: Array<[number, string]> = [];
    await first.store.update(
      chatId,
      async (chat) => {
        seen.push([chat.snapshotVersion, (await chat.snapshot()).state]);
        await chat.commitStep({ messages: [assistantText('done')], finishTurn: { release: true } });
      },
      { pipelined: true },
    );
    // On Postgres the first attempt ran against the chat as the first store left it and rolled
    // back; PGlite never pipelines.
    const retried: Array<[number, string]> = [[current + 1, 'R1']];
    expect(seen).toEqual(database.kind === 'postgres' ? [[current, 'R0'], ...retried] : retried);
    // The finish started the queued message's turn; the answer is in the history once.
    expect((await stateOf(first, chatId)).state).toBe('R0');
    const answers = (await messagesOf(database, chatId)).filter(
      (message) => message.role === 'assistant' && JSON.stringify(message.content).includes('done'),
    );
    expect(answers).toHaveLength(1);
  });

  it('reports a chat another store deleted as not found', async () => {
    const first = await openMachine(database);
    const second = await openMachine(database);
    const { chatId } = await chatIn(first, database, 'R0');
    await second.store.deleteChat(chatId);
    await expect(first.store.update(chatId, finishStep, { pipelined: true })).rejects.toMatchObject(
      { code: 'CHAT_NOT_FOUND' },
    );
  });

  it.runIf(database.kind === 'postgres')(
    'sends the whole update before the first reply: BEGIN, the bump, the write and COMMIT',
    async () => {
      const proxy = await startRecordingProxy(database.url as string);
      cleanups.push(() => proxy.close());
      const pubsub = new PubSub();
      const store = await openStore({ url: proxy.url, maxConnections: 1 }, { pubsub });
      cleanups.push(async () => {
        await store.close();
        await pubsub.close();
      });
      const { chatId } = await store.createChat({
        ownerId: 'o',
        messages: [{ role: 'user', content: text('hello'), createdBy: 'u' }],
      });
      await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: 'r1' }));
      proxy.traffic.length = 0;
      await store.update(chatId, finishStep, { pipelined: true });
      const begin = proxy.sent('BEGIN');
      const firstReply = proxy.replyAfter(begin);
      expect(begin).toBeGreaterThanOrEqual(0);
      for (const statement of ['chatd_ms_bump_from', 'chatd_ms_insert_messages_finish', 'COMMIT']) {
        expect(proxy.sent(statement), statement).toBeGreaterThanOrEqual(begin);
        expect(proxy.sent(statement), statement).toBeLessThan(firstReply);
      }
      expect((await store.getChat(chatId)).status).toBe('waiting');
    },
  );
});
