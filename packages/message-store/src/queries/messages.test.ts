import { PubSub } from '@chatd/pubsub';
import { PGlite } from '@electric-sql/pglite';
import { expect, it } from 'vitest';
import { openStore } from '../store/open-store.js';
import { describeEachDatabase, type TestDatabase } from '../test-support/databases.js';
import { seedChat, seedMessage, textContent } from '../test-support/fixtures.js';
import { countPgliteStatements } from '../testing/count-statements.js';
import type { NewMessage } from '../validation/inputs.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

const userMessage = (content: unknown): NewMessage =>
  ({ role: 'user', content, createdBy: 'user-1' }) as NewMessage;

/** How many chats and messages exist: a refused createChat must leave both at zero. */
async function rowCounts(database: TestDatabase): Promise<[number, number]> {
  const [row] = await database.query<{ c: unknown; m: unknown }>(
    'SELECT (SELECT count(*) FROM chats) AS c, (SELECT count(*) FROM chat_messages) AS m',
  );
  return [Number(row?.c), Number(row?.m)];
}

/*
 * Content is validated by the store's input schemas before any database work; these tests
 * protect that through `createChat`, the first write every chat goes through.
 */
describeEachDatabase('content validation', (database) => {
  it('accepts valid content', async () => {
    const { store } = await database.open({ limits: { maxContentBytes: 1024 } });
    const { chatId, messageIds } = await store.createChat({
      ownerId: 'alice',
      messages: [userMessage(textContent('hi'))],
    });
    expect((await store.getMessage(chatId, messageIds[0] as number)).content).toEqual(
      textContent('hi'),
    );
  });

  it('refuses invalid parts with VALIDATION_FAILED', async () => {
    const { store } = await database.open({ limits: { maxContentBytes: 1024 } });
    for (const content of [
      { version: 1, parts: [{ type: 'text' }] },
      { version: 1, parts: [{ type: 'no-such-part', text: 'x' }] },
      { version: 2, parts: [] },
      'text',
    ]) {
      await expect(
        store.createChat({ ownerId: 'alice', messages: [userMessage(content)] }),
        JSON.stringify(content),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await rowCounts(database)).toEqual([0, 0]);
  });

  it('refuses content over the byte limit with CONTENT_TOO_LARGE', async () => {
    const { store } = await database.open({ limits: { maxContentBytes: 1024 } });
    // Multi-byte characters: 400 characters but 1200 bytes.
    await expect(
      store.createChat({ ownerId: 'alice', messages: [userMessage(textContent('€'.repeat(400)))] }),
    ).rejects.toMatchObject({ code: 'CONTENT_TOO_LARGE', maxBytes: 1024 });
    expect(await rowCounts(database)).toEqual([0, 0]);
  });

  /** createChat with one assistant message calling a tool with `input`. */
  const callWithInput = (input: unknown) => ({
    ownerId: 'alice',
    messages: [
      {
        role: 'assistant',
        content: {
          version: 1,
          parts: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'tool', input }],
        },
      } as unknown as NewMessage,
    ],
  });

  // Was "refuses non-JSON values and malformed JSON text with VALIDATION_FAILED": the store no
  // longer takes JSON text anywhere (the removed parseJsonText had no caller), so only the
  // non-JSON value half remains; it protected the values inside content.
  it('refuses non-JSON values with VALIDATION_FAILED', async () => {
    const { store } = await database.open({ limits: { maxContentBytes: 1024 } });
    for (const input of [{ a: undefined }, { f: () => 1 }, { n: Number.NaN }, { d: new Date(0) }]) {
      const key = Object.keys(input)[0] as string;
      await expect(store.createChat(callWithInput(input)), key).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [
          expect.objectContaining({ path: ['messages', 0, 'content', 'parts', 0, 'input', key] }),
        ],
      });
    }
    expect(await rowCounts(database)).toEqual([0, 0]);
  });

  it('refuses a bigint or a cycle in content with VALIDATION_FAILED', async () => {
    const { store } = await database.open({ limits: { maxContentBytes: 1024 } });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const input of [{ b: 1n }, cycle]) {
      await expect(store.createChat(callWithInput(input))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
  });
});

describeEachDatabase('message queries', (database) => {
  it('gets a message of a chat', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const message = await seedMessage(database, chatId, { text: 'hi' });
    expect(await store.getMessage(chatId, message.id)).toMatchObject({
      id: message.id,
      content: textContent('hi'),
      deleted: false,
    });
  });

  it('answers MESSAGE_NOT_FOUND for a message of another chat', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const other = await seedChat(database);
    const message = await seedMessage(database, chatId);
    await expect(store.getMessage(other, message.id)).rejects.toMatchObject({
      code: 'MESSAGE_NOT_FOUND',
    });
  });

  it('pages newest first, going back with before, and reports hasMore', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const ids: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push((await seedMessage(database, chatId)).id);
    }
    const first = await store.listMessages(chatId, { limit: 2 });
    expect(first.messages.map((message) => message.id)).toEqual([ids[4], ids[3]]);
    expect(first.hasMore).toBe(true);
    const last = await store.listMessages(chatId, { limit: 3, before: ids[2] as number });
    expect(last.messages.map((message) => message.id)).toEqual([ids[1], ids[0]]);
    expect(last.hasMore).toBe(false);
  });

  it('pages oldest first when reading forward with after only', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const ids: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      ids.push((await seedMessage(database, chatId)).id);
    }
    const page = await store.listMessages(chatId, { after: ids[0] as number, limit: 2 });
    expect(page.messages.map((message) => message.id)).toEqual([ids[1], ids[2]]);
    expect(page.hasMore).toBe(true);
    const between = await store.listMessages(chatId, {
      after: ids[0] as number,
      before: ids[3] as number,
    });
    expect(between.messages.map((message) => message.id)).toEqual([ids[2], ids[1]]);
  });

  it('leaves deleted and model-only messages out of the transcript', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const kept = await seedMessage(database, chatId);
    await seedMessage(database, chatId, { visibility: 'model' });
    const deleted = await seedMessage(database, chatId);
    await database.query('UPDATE chat_messages SET deleted = true WHERE id = $1', [deleted.id]);
    const page = await store.listMessages(chatId);
    expect(page.messages.map((message) => message.id)).toEqual([kept.id]);
  });

  it('refuses a page size outside 1..200 with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    for (const limit of [0, 201, 2.5]) {
      await expect(store.listMessages(chatId, { limit }), String(limit)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'options.limit',
      });
    }
    expect((await store.listMessages(chatId, { limit: 200 })).messages).toEqual([]);
  });

  it('refuses unknown page options with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    // A misspelt option would otherwise be ignored silently (here: the newest page, not older).
    const options = { befor: 10 } as unknown as Parameters<typeof store.listMessages>[1];
    await expect(store.listMessages(chatId, options)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.befor',
    });
  });

  it('answers CHAT_NOT_FOUND for the messages of an unknown chat', async () => {
    const { store } = await database.open();
    await expect(store.listMessages(MISSING)).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    await expect(store.getPromptHistory(MISSING)).rejects.toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });

  it('builds the prompt history from non-deleted, model-visible messages, oldest first', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const system = await seedMessage(database, chatId, { role: 'system', visibility: 'model' });
    await seedMessage(database, chatId, { visibility: 'user' });
    const user = await seedMessage(database, chatId);
    const deleted = await seedMessage(database, chatId, { role: 'assistant' });
    await database.query('UPDATE chat_messages SET deleted = true WHERE id = $1', [deleted.id]);
    const history = await store.getPromptHistory(chatId);
    expect(history.map((message) => message.id)).toEqual([system.id, user.id]);
  });

  it('returns the chat with its messages by revision, soft-deleted ones included', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const old = await seedMessage(database, chatId);
    await database.query('UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1', [
      chatId,
    ]);
    const fresh = await seedMessage(database, chatId);
    await seedMessage(database, chatId, { visibility: 'model' });
    await database.query('UPDATE chat_messages SET deleted = true WHERE id = $1', [old.id]);
    const { chat, messages } = await store.getChatSince(chatId, old.revision);
    expect(chat).toEqual(await store.getChat(chatId));
    expect(messages.map((row) => [row.id, row.deleted])).toEqual([
      [old.id, true],
      [fresh.id, false],
    ]);
    const none = await store.getChatSince(chatId, chat.snapshotVersion);
    expect(none).toEqual({ chat, messages: [] });
  });

  it('lists the queue by position, then id', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const queued: number[] = [];
    for (const text of ['a', 'b', 'c']) {
      const [row] = await database.query<{ id: string | number }>(
        `INSERT INTO chat_queued_messages (chat_id, content, created_by)
         VALUES ($1, $2::jsonb, 'u') RETURNING id`,
        [chatId, JSON.stringify(textContent(text))],
      );
      queued.push(Number(row?.id));
    }
    const [first, second, last] = queued as [number, number, number];
    await database.query(
      'UPDATE chat_queued_messages SET position = (SELECT min(position) - 1 FROM chat_queued_messages) WHERE id = $1',
      [last],
    );
    const order = (await store.listQueuedMessages(chatId)).map((row) => row.id);
    expect(order).toEqual([last, first, second]);
  });

  it('inserts many messages in order with the snapshot as revision', async () => {
    const { store } = await database.open();
    const { chatId } = await store.createChat({
      ownerId: 'alice',
      messages: [userMessage(textContent('go'))],
    });
    // One generation step committing 1500 messages: one INSERT, ids in input order.
    const { messageIds } = await store.update(chatId, async (chat) => {
      await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
      return chat.commitStep({
        messages: Array.from({ length: 1500 }, (_, index) => ({
          role: 'assistant' as const,
          content: textContent(`m${index}`),
          usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 1, contextLimit: 1000 },
          costMicros: 42,
        })),
      });
    });
    expect(messageIds).toHaveLength(1500);
    expect(messageIds.every((id, index) => index === 0 || id > (messageIds[index - 1] ?? 0))).toBe(
      true,
    );
    const history = await store.getPromptHistory(chatId);
    expect(history.slice(1).map((message) => message.id)).toEqual(messageIds);
    const { snapshotVersion } = await store.getChat(chatId);
    expect(await store.getMessage(chatId, messageIds[1499] as number)).toMatchObject({
      content: textContent('m1499'),
      revision: snapshotVersion,
      inputTokens: 10,
      outputTokens: 2,
      cacheReadTokens: 1,
      contextLimit: 1000,
      costMicros: 42,
    });
  });

  it('reads content written by a newer version without losing unknown parts', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(database);
    const future = { version: 2, parts: [{ type: 'hologram', beam: 1 }], extra: true };
    await database.query(
      'INSERT INTO chat_messages (chat_id, role, content) VALUES ($1, $2, $3::jsonb)',
      [chatId, 'assistant', JSON.stringify(future)],
    );
    const [row] = await store.getPromptHistory(chatId);
    expect(row?.content).toEqual(future);
  });
});

it("reads a chat's messages or queue in one statement, finding some, none, or no chat", async () => {
  const pglite = new PGlite();
  const pubsub = new PubSub();
  const store = await openStore({ pglite }, { pubsub });
  try {
    const { log, restore } = countPgliteStatements(pglite);
    const { chatId } = await store.createChat({
      ownerId: 'alice',
      messages: [userMessage(textContent('hi'))],
    });
    const reads: Array<[string, (id: string) => Promise<unknown>, number]> = [
      ['getPromptHistory', (id) => store.getPromptHistory(id), 1],
      ['listMessages', async (id) => (await store.listMessages(id)).messages, 1],
      ['getChatSince', async (id) => (await store.getChatSince(id, 0)).messages, 1],
      ['getChatSince, none newer', async (id) => (await store.getChatSince(id, 99)).messages, 0],
      ['listQueuedMessages, empty', (id) => store.listQueuedMessages(id), 0],
    ];
    // The first call of a named statement on an instance also prepares it: not counted here.
    for (const [, read] of reads) await read(chatId);
    for (const [name, read, found] of reads) {
      expect(
        await log.during(async () => expect(await read(chatId)).toHaveLength(found)),
        name,
      ).toHaveLength(1);
      const missing = log.during(() =>
        expect(read(MISSING)).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' }),
      );
      expect(await missing, `${name} of a missing chat`).toHaveLength(1);
    }
    restore();
  } finally {
    await store.close();
    await pubsub.close();
    await pglite.close();
  }
});
