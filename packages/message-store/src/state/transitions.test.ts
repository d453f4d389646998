import type { ToolResultPart } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../test-support/databases.js';
import {
  anError,
  assistantCalls,
  assistantText,
  chatIn,
  type Machine,
  messagesOf,
  openMachine,
  queueOf,
  text,
  toolResult,
  userMessage,
  versions,
} from '../test-support/state-fixtures.js';

const send = (value: string, busy: 'queue' | 'interrupt' = 'queue') => ({
  role: 'user' as const,
  content: text(value),
  createdBy: 'user-2',
  busy,
});

async function rowOf(machine: Machine, chatId: string) {
  return machine.readLock(chatId, async (chat) => chat);
}

/** Tool results in the chat's history, by call id. */
async function resultsOf(database: TestDatabase, chatId: string) {
  const results = new Map<string, ToolResultPart>();
  for (const message of await messagesOf(database, chatId)) {
    if (message.role !== 'tool' || message.deleted) continue;
    for (const part of message.content.parts) {
      if (part.type === 'tool-result') results.set(part.toolCallId, part);
    }
  }
  return results;
}

/** A waiting chat whose last assistant message has a server call, a client call and a provider call. */
async function waitingWithCalls(machine: Machine) {
  const { chatId } = await machine.create({
    messages: [
      userMessage('hello'),
      assistantCalls([
        { id: 's1' },
        { id: 'd1', dynamic: true },
        { id: 'p1', providerExecuted: true },
      ]),
    ],
  });
  await machine.update(chatId, (chat) => chat.finishTurn());
  return chatId;
}

async function fillQueue(machine: Machine, chatId: string, count: number) {
  await machine.update(chatId, async (chat) => {
    for (let index = 0; index < count; index++) await chat.sendMessage(send(`q${index}`));
  });
}

describeEachDatabase('transitions', (database) => {
  describe('createChat', () => {
    it('creates a running chat with its messages at history version 1', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create({
        messages: [userMessage('hi'), assistantText('seeded')],
      });
      const chat = await rowOf(machine, chatId);
      expect(chat.state).toBe('R0');
      expect(await versions(database, chatId)).toMatchObject({ snapshot: 1, history: 1 });
      const messages = await messagesOf(database, chatId);
      expect(messages.map((m) => [m.id, m.role, m.revision])).toEqual([
        [messageIds[0], 'user', 1],
        [messageIds[1], 'assistant', 1],
      ]);
    });

    it('returns the chat exactly as getChat reads it after the commit', async () => {
      const machine = await openMachine(database);
      const root = await machine.store.createChat({
        ownerId: 'u',
        title: 'Root',
        labels: { team: 'a' },
        mcpServerIds: ['fs'],
        messages: [userMessage('hi')],
        owner: { workerId: 'w', runnerId: 'r' },
      });
      expect(root.chat).toEqual(await machine.store.getChat(root.chatId));
      const child = await machine.store.createChat({
        ownerId: 'u',
        parentChatId: root.chatId,
        messages: [userMessage('sub')],
      });
      expect(child.chat).toEqual(await machine.store.getChat(child.chatId));
      expect(child.chat).toMatchObject({ rootChatId: root.chatId, title: 'New Chat' });
    });

    it('requires at least one message', async () => {
      const machine = await openMachine(database);
      await expect(machine.create({ messages: [] })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await database.query('SELECT id FROM chats')).toEqual([]);
    });

    it('writes nothing for invalid content', async () => {
      const machine = await openMachine(database);
      const bad = { role: 'user' as const, content: { version: 1, parts: [{ type: 'nope' }] } };
      await expect(machine.create({ messages: [bad as never] })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await database.query('SELECT id FROM chats')).toEqual([]);
    });

    it('gives a child its parent root and rejects an unknown parent', async () => {
      const machine = await openMachine(database);
      const { chatId: root } = await machine.create();
      const { chatId: child } = await machine.create({ parentChatId: root });
      const { chatId: grandchild } = await machine.create({ parentChatId: child });
      const [row] = await database.query<{ root_chat_id: string }>(
        'SELECT root_chat_id FROM chats WHERE id = $1',
        [grandchild],
      );
      expect(row?.root_chat_id).toBe(root);
      await expect(
        machine.create({ parentChatId: '00000000-0000-4000-8000-000000000009' }),
      ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    });
  });

  describe('sendMessage', () => {
    it('rejects a message that is not a user message', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await expect(
        machine.update(chatId, (chat) => chat.sendMessage({ ...send('x'), role: 'assistant' })),
      ).rejects.toMatchObject({ code: 'MESSAGE_NOT_USER' });
    });

    it('rejects an unknown busy behaviour', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await expect(
        machine.update(chatId, (chat) => chat.sendMessage({ ...send('x'), busy: 'drop' as never })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('from waiting cancels every outstanding call except provider-executed ones, then starts a turn', async () => {
      const machine = await openMachine(database);
      const chatId = await waitingWithCalls(machine);
      const { messageId } = await machine.update(chatId, (chat) => chat.sendMessage(send('next')));
      const results = await resultsOf(database, chatId);
      expect([...results.keys()].sort()).toEqual(['d1', 's1']);
      expect(results.get('s1')).toMatchObject({ isError: true, output: expect.any(String) });
      const messages = await messagesOf(database, chatId);
      expect(messages.at(-1)).toMatchObject({ id: messageId, role: 'user', createdBy: 'user-2' });
      expect(messages.filter((m) => m.role === 'tool')).toEqual([
        expect.objectContaining({ visibility: 'both', modelConfigId: 'model-1' }),
        expect.objectContaining({ visibility: 'both', modelConfigId: 'model-1' }),
      ]);
      expect((await rowOf(machine, chatId)).state).toBe('R0');
    });

    it('from error clears the last error', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'E0');
      await machine.update(chatId, (chat) => chat.sendMessage(send('again')));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.lastError).toBeNull();
    });

    it('from error with a queue starts the oldest queued message and queues the new one', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'E1');
      await machine.update(chatId, (chat) => chat.sendMessage(send('newest')));
      const messages = await messagesOf(database, chatId);
      expect(messages.at(-1)?.content).toEqual(text('later'));
      expect((await queueOf(database, chatId)).map((q) => q.content)).toEqual([text('newest')]);
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R1');
      expect(row.lastError).toBeNull();
    });

    it('from error with a full queue the send is accepted, since the queue does not grow', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await fillQueue(machine, chatId, 20);
      await machine.update(chatId, (chat) => chat.finishError(anError));
      await machine.update(chatId, (chat) => chat.sendMessage(send('21st')));
      const queue = await queueOf(database, chatId);
      expect(queue).toHaveLength(20);
      expect(queue.at(0)?.content).toEqual(text('q1'));
      expect(queue.at(-1)?.content).toEqual(text('21st'));
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(text('q0'));
    });

    it('refuses the 21st queued message with QUEUE_FULL and writes nothing', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await fillQueue(machine, chatId, 20);
      const before = await versions(database, chatId);
      await expect(
        machine.update(chatId, (chat) => chat.sendMessage(send('x'))),
      ).rejects.toMatchObject({ code: 'QUEUE_FULL', max: 20 });
      expect(await versions(database, chatId)).toEqual(before);
      expect(await queueOf(database, chatId)).toHaveLength(20);
    });

    it('while running queues the message and keeps running, or interrupts', async () => {
      const machine = await openMachine(database);
      const { chatId: queued } = await machine.create();
      const { chatId: interrupted } = await machine.create();
      const result = await machine.update(queued, (chat) => chat.sendMessage(send('a')));
      await machine.update(interrupted, (chat) => chat.sendMessage(send('b', 'interrupt')));
      expect(result.queuedMessageId).toEqual(expect.any(Number));
      expect((await rowOf(machine, queued)).state).toBe('R1');
      expect((await rowOf(machine, interrupted)).state).toBe('I1');
      expect(await messagesOf(database, queued)).toHaveLength(1);
    });

    it('with interrupt puts the message at the head of the queue, so it is answered next', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, async (chat) => {
        await chat.sendMessage(send('first queued'));
        await chat.sendMessage(send('second queued'));
      });
      const { queuedMessageId } = await machine.update(chatId, (chat) =>
        chat.sendMessage(send('stop, do this instead', 'interrupt')),
      );
      const queue = await queueOf(database, chatId);
      expect(queue.map((entry) => entry.content)).toEqual([
        text('stop, do this instead'),
        text('first queued'),
        text('second queued'),
      ]);
      expect(queue[0]?.id).toBe(queuedMessageId);
      // The worker stops, and the interruption starts the head: the interrupting message.
      await machine.update(chatId, (chat) => chat.finishInterruption([]));
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(
        text('stop, do this instead'),
      );
      expect((await queueOf(database, chatId)).map((entry) => entry.content)).toEqual([
        text('first queued'),
        text('second queued'),
      ]);
    });

    it('with interrupt while interrupting or waiting for the client also goes first', async () => {
      const machine = await openMachine(database);
      for (const state of ['I1', 'A1'] as const) {
        const { chatId } = await chatIn(machine, database, state);
        await machine.update(chatId, (chat) => chat.sendMessage(send('urgent', 'interrupt')));
        const queue = await queueOf(database, chatId);
        expect(queue.map((entry) => entry.content)).toEqual([text('urgent'), text('later')]);
      }
    });

    it('with interrupt on an error chat with a queue keeps the queue order (nothing to interrupt)', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'E1');
      await machine.update(chatId, (chat) => chat.sendMessage(send('new', 'interrupt')));
      // The old head started the turn; the new message waits at the tail.
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(text('later'));
      expect((await queueOf(database, chatId)).map((entry) => entry.content)).toEqual([
        text('new'),
      ]);
    });

    it('while interrupting queues whatever the busy behaviour', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'I0');
      await machine.update(chatId, (chat) => chat.sendMessage(send('x', 'queue')));
      expect((await rowOf(machine, chatId)).state).toBe('I1');
    });

    it('in requires-action with queue keeps waiting for the client', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      const deadline = (await rowOf(machine, chatId)).row.requiresActionDeadlineAt;
      await machine.update(chatId, (chat) => chat.sendMessage(send('x')));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('A1');
      expect(row.requiresActionDeadlineAt).toEqual(deadline);
    });

    it('in requires-action with interrupt cancels the client calls and runs on', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      await machine.update(chatId, (chat) => chat.sendMessage(send('x', 'interrupt')));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R1');
      expect(row.requiresActionDeadlineAt).toBeNull();
      expect((await resultsOf(database, chatId)).get('d1')).toMatchObject({
        output: 'Tool execution interrupted by user',
        isError: true,
        dynamic: true,
      });
    });
  });

  describe('editMessage', () => {
    it('replaces a user message: deletes it and later ones, clears the queue, starts a turn', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create({
        messages: [
          userMessage('first'),
          assistantText('answer'),
          { ...userMessage('second'), visibility: 'user', modelConfigId: 'model-2' },
          assistantCalls([{ id: 's1' }]),
        ],
      });
      await fillQueue(machine, chatId, 2);
      await machine.update(chatId, (chat) => chat.finishError(anError));
      const queuedIds = (await queueOf(database, chatId)).map((q) => q.id);
      const result = await machine.update(chatId, (chat) =>
        chat.editMessage({
          messageId: messageIds[2] as number,
          content: text('edited'),
          createdBy: 'u',
        }),
      );
      expect(result.deletedMessageIds).toEqual(messageIds.slice(2));
      expect(result.deletedQueuedIds).toEqual(queuedIds);
      const live = (await messagesOf(database, chatId)).filter((m) => !m.deleted);
      // The now-last assistant message has no calls, so nothing is cancelled.
      expect(live.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(live.at(-1)).toMatchObject({
        id: result.messageId,
        content: text('edited'),
        visibility: 'user',
        modelConfigId: 'model-2',
      });
      expect(await queueOf(database, chatId)).toEqual([]);
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.lastError).toBeNull();
    });

    it('cancels outstanding calls on the assistant message that becomes the last one', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create({
        messages: [userMessage('a'), assistantCalls([{ id: 's1' }]), userMessage('b')],
      });
      await machine.update(chatId, (chat) =>
        chat.editMessage({
          messageId: messageIds[2] as number,
          content: text('b2'),
          createdBy: 'u',
        }),
      );
      expect((await resultsOf(database, chatId)).has('s1')).toBe(true);
    });

    it('takes model and effort overrides', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create();
      const { messageId } = await machine.update(chatId, (chat) =>
        chat.editMessage({
          messageId: messageIds[0] as number,
          content: text('x'),
          createdBy: 'u',
          modelConfigId: 'model-9',
        }),
      );
      expect((await messagesOf(database, chatId)).find((m) => m.id === messageId)).toMatchObject({
        modelConfigId: 'model-9',
      });
    });

    it('yields MESSAGE_NOT_FOUND for a missing, deleted or foreign message', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create();
      const { messageIds: foreign } = await machine.create();
      await machine.update(chatId, (chat) =>
        chat.editMessage({
          messageId: messageIds[0] as number,
          content: text('x'),
          createdBy: 'u',
        }),
      );
      for (const messageId of [999_999, messageIds[0] as number, foreign[0] as number]) {
        await expect(
          machine.update(chatId, (chat) =>
            chat.editMessage({ messageId, content: text('y'), createdBy: 'u' }),
          ),
        ).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      }
    });

    it('yields MESSAGE_NOT_USER for a message of another role', async () => {
      const machine = await openMachine(database);
      const { chatId, messageIds } = await machine.create({
        messages: [userMessage('a'), assistantText('b')],
      });
      await expect(
        machine.update(chatId, (chat) =>
          chat.editMessage({
            messageId: messageIds[1] as number,
            content: text('y'),
            createdBy: 'u',
          }),
        ),
      ).rejects.toMatchObject({ code: 'MESSAGE_NOT_USER' });
    });
  });

  describe('queue', () => {
    it('deleteQueued removes the entry, or fails with QUEUED_MESSAGE_NOT_FOUND', async () => {
      const machine = await openMachine(database);
      const { chatId, queuedId } = await chatIn(machine, database, 'R1');
      const { chatId: other, queuedId: foreignId } = await chatIn(machine, database, 'R1');
      await expect(
        machine.update(chatId, (chat) => chat.deleteQueued(foreignId as number)),
      ).rejects.toMatchObject({ code: 'QUEUED_MESSAGE_NOT_FOUND' });
      await machine.update(chatId, (chat) => chat.deleteQueued(queuedId as number));
      expect(await queueOf(database, chatId)).toEqual([]);
      expect((await rowOf(machine, chatId)).state).toBe('R0');
      expect(await queueOf(database, other)).toHaveLength(1);
    });

    it('promoteQueued fails with QUEUED_MESSAGE_NOT_FOUND for an unknown entry', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R1');
      await expect(
        machine.update(chatId, (chat) => chat.promoteQueued(424_242)),
      ).rejects.toMatchObject({ code: 'QUEUED_MESSAGE_NOT_FOUND' });
    });

    it('after a promotion the queue order clients read is the order the turn uses', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await fillQueue(machine, chatId, 3);
      const [, , last] = await queueOf(database, chatId);
      await machine.update(chatId, (chat) => chat.promoteQueued(last?.id as number));
      // The queue clients read (REST list, stream queue updates) has the promoted entry first…
      const listed = await machine.store.listQueuedMessages(chatId);
      expect(listed.map((q) => q.content)).toEqual([text('q2'), text('q0'), text('q1')]);
      expect((await rowOf(machine, chatId)).state).toBe('I1');
      // …and it is the one the next turn starts with.
      await machine.update(chatId, (chat) =>
        chat.finishInterruption([toolResult('unused')].slice(0, 0)),
      );
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(text('q2'));
    });

    it('promoting the head leaves positions alone', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await fillQueue(machine, chatId, 2);
      const before = await database.query(
        'SELECT id, position FROM chat_queued_messages ORDER BY id',
      );
      const [head] = await queueOf(database, chatId);
      await machine.update(chatId, (chat) => chat.promoteQueued(head?.id as number));
      expect(
        await database.query('SELECT id, position FROM chat_queued_messages ORDER BY id'),
      ).toEqual(before);
    });

    it('promoting in error cancels outstanding calls and starts the promoted message now', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create({
        messages: [userMessage('a'), assistantCalls([{ id: 's1' }])],
      });
      await fillQueue(machine, chatId, 2);
      await machine.update(chatId, (chat) => chat.finishError(anError));
      const [, second] = await queueOf(database, chatId);
      const { messageId } = await machine.update(chatId, (chat) =>
        chat.promoteQueued(second?.id as number),
      );
      expect((await resultsOf(database, chatId)).has('s1')).toBe(true);
      expect((await messagesOf(database, chatId)).at(-1)).toMatchObject({
        id: messageId,
        content: text('q1'),
      });
      expect((await queueOf(database, chatId)).map((q) => q.content)).toEqual([text('q0')]);
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R1');
      expect(row.lastError).toBeNull();
    });

    it('promoting in requires-action cancels the client calls and starts the message', async () => {
      const machine = await openMachine(database);
      const { chatId, queuedId } = await chatIn(machine, database, 'A1');
      await machine.update(chatId, (chat) => chat.promoteQueued(queuedId as number));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.requiresActionDeadlineAt).toBeNull();
      expect((await resultsOf(database, chatId)).has('d1')).toBe(true);
    });
  });

  describe('interrupt', () => {
    it('makes a running chat interrupting without touching history', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const before = await versions(database, chatId);
      await machine.update(chatId, (chat) => chat.interrupt());
      expect((await rowOf(machine, chatId)).state).toBe('I0');
      expect((await versions(database, chatId)).history).toBe(before.history);
    });

    it('in requires-action cancels the client calls with the default reason and runs on', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      await machine.update(chatId, (chat) => chat.interrupt());
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.requiresActionDeadlineAt).toBeNull();
      expect((await resultsOf(database, chatId)).get('d1')?.output).toBe(
        'Tool execution interrupted by user',
      );
    });
  });

  describe('setArchived', () => {
    it('archives and unarchives an idle chat, keeping its last error', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'E0');
      await machine.update(chatId, (chat) => chat.setArchived(true));
      expect((await rowOf(machine, chatId)).state).toBe('XE0');
      await machine.update(chatId, (chat) => chat.setArchived(false));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('E0');
      expect(row.lastError).toEqual(anError);
    });

    it('rejects setting the flag it already has', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'W');
      await expect(machine.update(chatId, (chat) => chat.setArchived(false))).rejects.toMatchObject(
        { code: 'TRANSITION_NOT_ALLOWED' },
      );
    });
  });

  describe('compaction marker', () => {
    it('requestCompaction runs the chat unowned with the marker at DB now, publishing a hint', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'W');
      // A stale error from an earlier turn: requestCompaction keeps it.
      await database.query(
        `UPDATE chats SET last_error = '{"message":"old","kind":"generic","retryable":false}'
         WHERE id = $1`,
        [chatId],
      );
      machine.clearPublished();
      await machine.update(chatId, (chat) => chat.requestCompaction());
      // DB now of the update's transaction (updated_at), to the millisecond dbNow() reads.
      const [times] = await database.query<{ same: boolean }>(
        `SELECT abs(extract(epoch FROM compaction_requested_at - updated_at)) < 0.001 AS same
         FROM chats WHERE id = $1`,
        [chatId],
      );
      expect(times?.same).toBe(true);
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.workerId).toBeNull();
      expect(row.runnerId).toBeNull();
      expect(row.lastError?.message).toBe('old');
      expect(machine.published(chatId).map((m) => m.channel)).toContain('chat:ownership');
    });

    it('is rejected when busy or archived', async () => {
      const machine = await openMachine(database);
      for (const state of ['R0', 'XW'] as const) {
        const { chatId } = await chatIn(machine, database, state);
        await expect(
          machine.update(chatId, (chat) => chat.requestCompaction()),
        ).rejects.toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
      }
    });

    async function compacting(machine: Machine) {
      const { chatId } = await chatIn(machine, database, 'W');
      await machine.update(chatId, (chat) => chat.requestCompaction());
      return chatId;
    }
    const marker = async (machine: Machine, chatId: string) =>
      (await rowOf(machine, chatId)).row.compactionRequestedAt;

    it('is preserved by acquire and by queue appends', async () => {
      const machine = await openMachine(database);
      const chatId = await compacting(machine);
      await machine.update(chatId, (chat) => chat.acquire({ workerId: 'w', runnerId: 'r' }));
      await machine.update(chatId, (chat) => chat.sendMessage(send('x')));
      expect(await marker(machine, chatId)).toBeInstanceOf(Date);
    });

    it('is kept by commitStep without the consume flag and consumed with it', async () => {
      const machine = await openMachine(database);
      const chatId = await compacting(machine);
      await machine.update(chatId, (chat) => chat.commitStep({ messages: [assistantText('a')] }));
      expect(await marker(machine, chatId)).toBeInstanceOf(Date);
      await machine.update(chatId, (chat) =>
        chat.commitStep({ messages: [assistantText('summary')], consumeCompactionRequest: true }),
      );
      expect(await marker(machine, chatId)).toBeNull();
    });

    it('is cleared by terminal transitions and new turns', async () => {
      const machine = await openMachine(database);
      for (const finish of ['finishTurn', 'finishError', 'editMessage'] as const) {
        const chatId = await compacting(machine);
        const [first] = await messagesOf(database, chatId);
        await machine.update(chatId, async (chat) => {
          if (finish === 'finishTurn') await chat.finishTurn();
          else if (finish === 'finishError') await chat.finishError(anError);
          else {
            await chat.editMessage({
              messageId: first?.id as number,
              content: text('e'),
              createdBy: 'u',
            });
          }
        });
        expect(await marker(machine, chatId), finish).toBeNull();
      }
    });
  });

  describe('ownership', () => {
    it('acquire overwrites ownership and upserts the heartbeat', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      await machine.update(chatId, (chat) => chat.acquire({ workerId: 'w2', runnerId: 'r2' }));
      const { row } = await rowOf(machine, chatId);
      expect([row.workerId, row.runnerId]).toEqual(['w2', 'r2']);
      const beats = await database.query<{ runner_id: string }>(
        'SELECT runner_id FROM chat_heartbeats WHERE chat_id = $1 ORDER BY runner_id',
        [chatId],
      );
      expect(beats.map((b) => b.runner_id)).toEqual(['r1', 'r2']);
    });

    it('abandon clears ownership and is refused on an unowned chat', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      await machine.update(chatId, (chat) => chat.abandon());
      expect((await rowOf(machine, chatId)).row.workerId).toBeNull();
      await expect(machine.update(chatId, (chat) => chat.abandon())).rejects.toMatchObject({
        code: 'TRANSITION_NOT_ALLOWED',
      });
    });
  });

  describe('finishing with release', () => {
    const owner = async (machine: Machine, chatId: string) => {
      const { row } = await rowOf(machine, chatId);
      return [row.status, row.workerId, row.runnerId];
    };

    it('hands back a chat the finish leaves idle, in the same write', async () => {
      const machine = await openMachine(database);
      const turn = await chatIn(machine, database, 'R0');
      await machine.update(turn.chatId, (chat) => chat.finishTurn({ release: true }));
      expect(await owner(machine, turn.chatId)).toEqual(['waiting', null, null]);
      const failed = await chatIn(machine, database, 'R1');
      await machine.update(failed.chatId, (chat) => chat.finishError(anError, { release: true }));
      expect(await owner(machine, failed.chatId)).toEqual(['error', null, null]);
      const interrupted = await chatIn(machine, database, 'I0');
      await machine.update(interrupted.chatId, (chat) =>
        chat.finishInterruption([], { release: true }),
      );
      expect(await owner(machine, interrupted.chatId)).toEqual(['waiting', null, null]);
    });

    it('keeps the owner of a chat whose queue head starts the next turn', async () => {
      const machine = await openMachine(database);
      const turn = await chatIn(machine, database, 'R1');
      await machine.update(turn.chatId, (chat) => chat.finishTurn({ release: true }));
      expect(await owner(machine, turn.chatId)).toEqual(['running', 'w1', 'r1']);
      const interrupted = await chatIn(machine, database, 'I1');
      await machine.update(interrupted.chatId, (chat) =>
        chat.finishInterruption([], { release: true }),
      );
      expect(await owner(machine, interrupted.chatId)).toEqual(['running', 'w1', 'r1']);
    });

    it('without release keeps the owner, as before', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      await machine.update(chatId, (chat) => chat.finishTurn());
      expect(await owner(machine, chatId)).toEqual(['waiting', 'w1', 'r1']);
    });
  });

  describe('generation attempts and retry state', () => {
    it('recordGenerationAttempt increments the attempt and clears the retry state', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, (chat) => chat.recordRetryState({ retryingAt: 'later' }));
      const attempt = await machine.update(chatId, (chat) => chat.recordGenerationAttempt());
      expect(attempt).toBe(1);
      const { row } = await rowOf(machine, chatId);
      expect(row.retryState).toBeNull();
      expect(row.retryStateVersion).toBe(row.snapshotVersion);
    });

    it('recordRetryState stores the payload and moves its version', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, (chat) => chat.recordRetryState({ attempt: 2 }));
      const { row } = await rowOf(machine, chatId);
      expect(row.retryState).toEqual({ attempt: 2 });
      expect(row.retryStateVersion).toBe(row.snapshotVersion);
    });

    it('recordRetryState requires a JSON payload', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const payload of [null, { at: new Date() }, cyclic, { n: 1n }, ['\uD800']]) {
        await expect(
          machine.update(chatId, (chat) => chat.recordRetryState(payload as never)),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    });
  });

  describe('commitStep', () => {
    it('inserts the messages at the update snapshot and needs at least one', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      const { messageIds } = await machine.update(chatId, (chat) =>
        chat.commitStep({ messages: [assistantCalls([{ id: 's1' }]), toolResult('s1')] }),
      );
      const messages = await messagesOf(database, chatId);
      expect(messages.slice(-2).map((m) => [m.id, m.revision])).toEqual([
        [messageIds[0], 2],
        [messageIds[1], 2],
      ]);
      await expect(
        machine.update(chatId, (chat) => chat.commitStep({ messages: [] })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    /** The columns a turn's end decides, to compare two ways of ending it. */
    const ending = ({ row, state }: Awaited<ReturnType<typeof rowOf>>) => ({
      state,
      status: row.status,
      workerId: row.workerId,
      runnerId: row.runnerId,
      snapshotVersion: row.snapshotVersion,
      historyVersion: row.historyVersion,
      queueVersion: row.queueVersion,
      generationAttempt: row.generationAttempt,
      requiresActionDeadlineAt: row.requiresActionDeadlineAt,
      compactionRequestedAt: row.compactionRequestedAt,
      lastError: row.lastError,
    });

    for (const state of ['R0', 'R1'] as const) {
      for (const release of [true, false]) {
        it(`with finishTurn (${state}, release ${release}) ends as commitStep then finishTurn would`, async () => {
          const machine = await openMachine(database);
          const together = await chatIn(machine, database, state);
          const apart = await chatIn(machine, database, state);
          const { messageIds } = await machine.update(together.chatId, (chat) =>
            chat.commitStep({ messages: [assistantText('done')], finishTurn: { release } }),
          );
          await machine.update(apart.chatId, async (chat) => {
            await chat.commitStep({ messages: [assistantText('done')] });
            await chat.finishTurn({ release });
          });
          const after = ending(await rowOf(machine, together.chatId));
          expect(after).toEqual(ending(await rowOf(machine, apart.chatId)));
          expect(after.state).toBe(state === 'R0' ? 'W' : 'R0');
          const history = await messagesOf(database, together.chatId);
          expect(history.map((message) => message.role)).toEqual(
            (await messagesOf(database, apart.chatId)).map((message) => message.role),
          );
          expect(history.map((message) => message.id)).toContain(messageIds[0]);
          expect(await queueOf(database, together.chatId)).toEqual(
            await queueOf(database, apart.chatId),
          );
        });
      }
    }

    for (const finish of [false, true]) {
      it(`returns the committed rows as a read returns them (finishTurn ${finish})`, async () => {
        const machine = await openMachine(database);
        const { chatId } = await chatIn(machine, database, 'R0');
        const before = (await machine.store.getChat(chatId)).historyVersion;
        const { messages } = await machine.update(chatId, (chat) =>
          chat.commitStep({
            messages: [
              assistantCalls([{ id: 's1' }]),
              { ...toolResult('s1'), visibility: 'model' as const },
              { ...assistantText('done'), usage: { inputTokens: 3, outputTokens: 5 } },
            ],
            ...(finish ? { finishTurn: { release: true } } : {}),
          }),
        );
        const read = await machine.store.getChatSince(chatId, before);
        const visible = messages.filter((message) => message.visibility !== 'model');
        // As JSON: the returned content is the validated input, which carries its serialised
        // form under a symbol.
        const json = (value: unknown) => JSON.parse(JSON.stringify(value));
        expect(json(visible)).toEqual(json(read.messages));
        expect(visible.map((message) => message.createdAt)).toEqual(
          read.messages.map((message) => message.createdAt),
        );
        expect(messages).toHaveLength(3);
        expect(messages[1]).toMatchObject({
          visibility: 'model',
          compressed: false,
          deleted: false,
        });
      });
    }

    it('with lastInUpdate commits with its statement; nothing after it runs', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      machine.clearPublished();
      const { messageIds } = await machine.update(chatId, (chat) =>
        chat.commitStep({
          messages: [assistantText('done')],
          finishTurn: { release: true },
          lastInUpdate: true,
        }),
      );
      expect((await rowOf(machine, chatId)).state).toBe('W');
      expect((await messagesOf(database, chatId)).map((message) => message.id)).toContain(
        messageIds[0],
      );
      expect(machine.published(chatId).length).toBeGreaterThan(0);

      // A transition after it is refused; the step it followed is committed and published all
      // the same, and the update reports the refusal.
      const other = await chatIn(machine, database, 'R0');
      machine.clearPublished();
      const error = await machine
        .update(other.chatId, async (chat) => {
          await chat.commitStep({
            messages: [assistantText('done')],
            finishTurn: { release: true },
            lastInUpdate: true,
          });
          await chat.sendMessage(send('more'));
        })
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
      expect(String(error)).toMatch(/the update has committed/);
      expect((await rowOf(machine, other.chatId)).state).toBe('W');
      expect(machine.published(other.chatId).length).toBeGreaterThan(0);
    });

    it('ignores lastInUpdate where the step is not one statement or the update is joined', async () => {
      const machine = await openMachine(database);
      // With a queued message the finish starts the next turn: more than one statement, so the
      // update goes on and commits at its end.
      const queued = await chatIn(machine, database, 'R1');
      await machine.update(queued.chatId, async (chat) => {
        await chat.commitStep({
          messages: [assistantText('done')],
          finishTurn: { release: true },
          lastInUpdate: true,
        });
        await chat.recordGenerationAttempt();
      });
      expect((await rowOf(machine, queued.chatId)).state).toBe('R0');
      // Joined to an outer transaction, the outer one decides: here it rolls back.
      const joined = await chatIn(machine, database, 'R0');
      const before = await messagesOf(database, joined.chatId);
      await expect(
        machine.store.lock(joined.chatId, async () => {
          await machine.update(joined.chatId, (chat) =>
            chat.commitStep({
              messages: [assistantText('done')],
              finishTurn: { release: true },
              lastInUpdate: true,
            }),
          );
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect((await rowOf(machine, joined.chatId)).state).toBe('R0');
      expect(await messagesOf(database, joined.chatId)).toEqual(before);
    });

    it('with finishTurn is refused where either transition is', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      await expect(
        machine.update(chatId, (chat) =>
          chat.commitStep({ messages: [assistantText('x')], finishTurn: { release: true } }),
        ),
      ).rejects.toMatchObject({ code: 'TRANSITION_NOT_ALLOWED' });
      await expect(
        machine.update(chatId, (chat) =>
          chat.commitStep({
            messages: [assistantText('x')],
            finishTurn: { release: 'yes' } as never,
          }),
        ),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  describe('afterCommit', () => {
    it('runs after the commit, before the hints; not after a rollback or a failed inner update', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      const order: string[] = [];
      const hints = () => machine.published(chatId).length;
      machine.clearPublished();
      await machine.update(chatId, async (chat) => {
        chat.afterCommit(() => order.push(`callback after ${hints()} hints`));
        await chat.commitStep({ messages: [assistantText('a')] });
        expect(order).toEqual([]);
      });
      expect(order).toEqual(['callback after 0 hints']);
      expect(hints()).toBeGreaterThan(0);

      order.length = 0;
      await expect(
        machine.update(chatId, async (chat) => {
          chat.afterCommit(() => order.push('rolled back'));
          await chat.commitStep({ messages: [assistantText('b')] });
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      // An inner update that fails inside an outer one that commits: its callback never runs.
      await machine.store.lock(chatId, async () => {
        await machine
          .update(chatId, async (chat) => {
            chat.afterCommit(() => order.push('inner failed'));
            await chat.commitStep({ messages: [] });
          })
          .catch(() => {});
      });
      expect(order).toEqual([]);
    });

    it('logs a callback that throws; the update still succeeds and publishes', async () => {
      const warnings: unknown[] = [];
      const logger = {
        debug() {},
        info() {},
        warn: (fields: unknown) => warnings.push(fields),
        error() {},
        child: () => logger,
      };
      const machine = await openMachine(database, { logger });
      const { chatId } = await chatIn(machine, database, 'R0');
      machine.clearPublished();
      await machine.update(chatId, async (chat) => {
        chat.afterCommit(() => {
          throw new Error('callback');
        });
        await chat.commitStep({ messages: [assistantText('a')] });
      });
      expect(warnings).toHaveLength(1);
      expect(machine.published(chatId).length).toBeGreaterThan(0);
    });
  });

  describe('requires-action', () => {
    it('enterRequiresAction sets a deadline of DB now plus five minutes', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0');
      const { pending } = await machine.update(chatId, (chat) => chat.enterRequiresAction());
      expect(pending.map((call) => call.toolCallId)).toEqual(['d1']);
      const [row] = await database.query<{ ms: number | string }>(
        `SELECT extract(epoch FROM requires_action_deadline_at - updated_at) * 1000 AS ms
         FROM chats WHERE id = $1`,
        [chatId],
      );
      // DB now (updated_at) plus five minutes, to the millisecond dbNow() reads.
      expect(Math.abs(Number(row?.ms) - 300_000)).toBeLessThan(1);
    });

    it('enterRequiresAction needs a pending client call', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create({
        messages: [userMessage('a'), assistantCalls([{ id: 's1' }])],
      });
      await expect(
        machine.update(chatId, (chat) => chat.enterRequiresAction()),
      ).rejects.toMatchObject({ code: 'NOTHING_PENDING' });
    });

    it('completeRequiresAction records one tool message per result and runs on', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      await machine.update(chatId, (chat) =>
        chat.completeRequiresAction({
          createdBy: 'user-3',
          results: [{ toolCallId: 'd1', output: { temperature: 21 } }],
        }),
      );
      expect((await resultsOf(database, chatId)).get('d1')).toEqual({
        type: 'tool-result',
        toolCallId: 'd1',
        toolName: 'client_tool',
        output: { temperature: 21 },
        dynamic: true,
      });
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('R0');
      expect(row.requiresActionDeadlineAt).toBeNull();
    });

    const invalid: [string, unknown[]][] = [
      [
        'duplicate',
        [
          { toolCallId: 'd1', output: 1 },
          { toolCallId: 'd1', output: 2 },
        ],
      ],
      ['invalid-output', [{ toolCallId: 'd1', output: () => 1 }]],
      ['invalid-output', [{ toolCallId: 'd1', output: { n: 1n } }]],
      ['invalid-output', [{ toolCallId: 'd1', output: 'nul \u0000 inside' }]],
      [
        'not-pending',
        [
          { toolCallId: 'd1', output: 1 },
          { toolCallId: 'zz', output: 1 },
        ],
      ],
      ['missing', []],
    ];
    for (const [problem, results] of invalid) {
      it(`completeRequiresAction rejects a ${problem} result with INVALID_TOOL_RESULTS`, async () => {
        const machine = await openMachine(database);
        const { chatId } = await chatIn(machine, database, 'A0');
        await expect(
          machine.update(chatId, (chat) =>
            chat.completeRequiresAction({ createdBy: 'u', results: results as never }),
          ),
        ).rejects.toMatchObject({ code: 'INVALID_TOOL_RESULTS', problem });
        expect((await rowOf(machine, chatId)).state).toBe('A0');
      });
    }

    it('cancelRequiresAction closes client calls with the timeout reason', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A1');
      await machine.update(chatId, (chat) => chat.cancelRequiresAction());
      expect((await resultsOf(database, chatId)).get('d1')?.output).toBe(
        'Tool execution timed out',
      );
      expect((await rowOf(machine, chatId)).state).toBe('R1');
    });

    it('cancelRequiresAction is refused when nothing is pending', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'A0');
      // Answer the call behind the machine's back (only a corrupted chat gets here).
      await database.query(
        `INSERT INTO chat_messages (chat_id, role, content) VALUES ($1, 'tool', $2)`,
        [chatId, JSON.stringify(toolResult('d1', 'client_tool').content)],
      );
      await expect(
        machine.update(chatId, (chat) => chat.cancelRequiresAction()),
      ).rejects.toMatchObject({ code: 'NOTHING_PENDING' });
    });
  });

  describe('finishInterruption', () => {
    it('an interrupt with a pending dynamic tool call finishes instead of sticking', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R0'); // pending client call d1
      await machine.update(chatId, (chat) => chat.interrupt());
      await machine.update(chatId, (chat) => chat.finishInterruption([]));
      expect((await rowOf(machine, chatId)).state).toBe('W');
      expect((await resultsOf(database, chatId)).get('d1')).toMatchObject({
        isError: true,
        output: 'Tool execution interrupted by user',
      });
    });

    it('refuses while server-side calls have no result', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create({
        messages: [userMessage('a'), assistantCalls([{ id: 's1' }, { id: 's2' }])],
      });
      await machine.update(chatId, (chat) => chat.interrupt());
      await expect(
        machine.update(chatId, (chat) => chat.finishInterruption([toolResult('s1')])),
      ).rejects.toMatchObject({
        code: 'OUTSTANDING_TOOL_CALLS',
        toolCallIds: ['s2'],
      });
    });

    it('inserts the partials and waits when the queue is empty', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create({
        messages: [userMessage('a'), assistantCalls([{ id: 's1' }])],
      });
      await machine.update(chatId, (chat) => chat.interrupt());
      await machine.update(chatId, (chat) =>
        chat.finishInterruption([toolResult('s1'), assistantText('partial')]),
      );
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(text('partial'));
      expect((await rowOf(machine, chatId)).state).toBe('W');
    });

    it('with a queue starts the head without synthetic results', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, (chat) => chat.sendMessage(send('next', 'interrupt')));
      await machine.update(chatId, (chat) => chat.finishInterruption([assistantText('partial')]));
      const messages = await messagesOf(database, chatId);
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect((await rowOf(machine, chatId)).state).toBe('R0');
    });
  });

  describe('finishTurn and finishError', () => {
    it('finishTurn without a queue waits', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await machine.update(chatId, (chat) => chat.finishTurn());
      expect((await rowOf(machine, chatId)).state).toBe('W');
    });

    it('finishTurn with a queue cancels outstanding calls and starts the head', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R1');
      await machine.update(chatId, (chat) => chat.finishTurn());
      expect((await resultsOf(database, chatId)).has('d1')).toBe(true);
      expect((await messagesOf(database, chatId)).at(-1)?.content).toEqual(text('later'));
      expect((await rowOf(machine, chatId)).state).toBe('R0');
    });

    it('finishError records the error and refuses a malformed one', async () => {
      const machine = await openMachine(database);
      const { chatId } = await machine.create();
      await expect(
        machine.update(chatId, (chat) => chat.finishError({ message: '' } as never)),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await machine.update(chatId, (chat) => chat.finishError(anError));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('E0');
      expect(row.lastError).toEqual(anError);
    });
  });

  describe('reconcileInvalidState', () => {
    it('moves an invalid chat to error, unarchived, with the default error and cancelled client calls', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'Invalid');
      await machine.update(chatId, (chat) => chat.reconcileInvalidState());
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('E0');
      expect(row.archived).toBe(false);
      expect(row.lastError?.message).toMatch(/invalid state; send a new message or edit history/);
      expect((await resultsOf(database, chatId)).has('d1')).toBe(true);
    });

    it('keeps the queue (waiting with a queue lands in E1) and takes a custom error', async () => {
      const machine = await openMachine(database);
      const { chatId } = await chatIn(machine, database, 'R1');
      await database.query(`UPDATE chats SET status = 'waiting' WHERE id = $1`, [chatId]);
      await machine.update(chatId, (chat) => chat.reconcileInvalidState({ lastError: anError }));
      const { row, state } = await rowOf(machine, chatId);
      expect(state).toBe('E1');
      expect(row.lastError).toEqual(anError);
    });
  });
});
