import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import {
  assistantText,
  messagesOf,
  openMachine,
  queueOf,
  text,
  userMessage,
  versions,
} from '../test-support/state-fixtures.js';

const send = { role: 'user' as const, content: text('q'), createdBy: 'u' };

describeEachDatabase('version counters through transitions', (database) => {
  it('every message an update writes gets that update snapshot as revision', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    await machine.update(chatId, async (chat) => {
      await chat.commitStep({ messages: [assistantText('a')] });
      await chat.commitStep({ messages: [assistantText('b')] });
    });
    const { snapshot, history } = await versions(database, chatId);
    expect(history).toBe(snapshot);
    expect((await messagesOf(database, chatId)).map((m) => m.revision)).toEqual([1, 2, 2]);
  });

  it('a soft delete by editMessage re-stamps the deleted messages', async () => {
    const machine = await openMachine(database);
    const { chatId, messageIds } = await machine.create({
      messages: [userMessage('a'), assistantText('b')],
    });
    await machine.update(chatId, (chat) =>
      chat.editMessage({ messageId: messageIds[0] as number, content: text('a2'), createdBy: 'u' }),
    );
    const messages = await messagesOf(database, chatId);
    expect(messages.map((m) => [m.deleted, m.revision])).toEqual([
      [true, 2],
      [true, 2],
      [false, 2],
    ]);
  });

  it('history_version stays put for transitions that write no message', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    await machine.update(chatId, async (chat) => {
      await chat.acquire({ workerId: 'w', runnerId: 'r' });
      await chat.sendMessage(send);
      await chat.recordRetryState({ n: 1 });
      await chat.interrupt();
    });
    expect((await versions(database, chatId)).history).toBe(1);
  });

  it('a no-op message update does not advance history', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    await machine.update(chatId, async () => {});
    await database.query('UPDATE chat_messages SET deleted = deleted WHERE chat_id = $1', [chatId]);
    expect(await versions(database, chatId)).toMatchObject({ snapshot: 2, history: 1 });
  });

  it('queue_version moves with every enqueue, delete and reorder, to that snapshot', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    await machine.update(chatId, async (chat) => {
      await chat.sendMessage(send);
      await chat.sendMessage(send);
    });
    expect((await versions(database, chatId)).queue).toBe(2);
    const [first, second] = await queueOf(database, chatId);
    await machine.update(chatId, (chat) => chat.promoteQueued(second?.id as number));
    expect((await versions(database, chatId)).queue).toBe(3);
    await machine.update(chatId, (chat) => chat.deleteQueued(first?.id as number));
    expect((await versions(database, chatId)).queue).toBe(4);
    await machine.update(chatId, async () => {}); // a bump alone leaves the queue version
    expect(await versions(database, chatId)).toMatchObject({ snapshot: 5, queue: 4 });
  });

  it('a generation attempt clears the retry state and a history change resets the attempt', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    await machine.update(chatId, async (chat) => {
      await chat.recordGenerationAttempt();
      await chat.recordRetryState({ n: 1 });
    });
    expect(await versions(database, chatId)).toMatchObject({ attempt: 1, retry: 2 });
    await machine.update(chatId, (chat) => chat.commitStep({ messages: [assistantText('x')] }));
    const after = await versions(database, chatId);
    expect(after).toMatchObject({ attempt: 0, retry: 3, history: 3 });
    expect((await machine.readLock(chatId, async (chat) => chat.row)).retryState).toBeNull();
  });

  it('runtime code cannot set revision, retry_state_version or a message chat_id', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    const { chatId: other } = await machine.create();
    for (const statement of [
      'UPDATE chat_messages SET revision = 99 WHERE chat_id = $1',
      'UPDATE chats SET retry_state_version = 99 WHERE id = $1',
      `UPDATE chat_messages SET chat_id = '${other}' WHERE chat_id = $1`,
    ]) {
      await expect(database.query(statement, [chatId]), statement).rejects.toThrow();
    }
  });
});
