import { ChatdError } from '@chatd/core';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chatMessages, chatQueuedMessages, chats } from '../schema/tables.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { seedChat, seedMessage, textContent } from '../test-support/fixtures.js';
import { parseJsonText, validateContent, validateJsonValue } from './content.js';
import { insertMessages } from './insert-messages.js';
import { toChatMessage } from './message-rows.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const MISSING = '00000000-0000-4000-8000-000000000000';
const limits = { maxContentBytes: 1024 };

describe('content validation', () => {
  it('accepts valid content', () => {
    expect(validateContent(textContent('hi'), limits)).toEqual(textContent('hi'));
  });

  it('refuses invalid parts with VALIDATION_FAILED', () => {
    for (const content of [
      { version: 1, parts: [{ type: 'text' }] },
      { version: 1, parts: [{ type: 'no-such-part', text: 'x' }] },
      { version: 2, parts: [] },
      'text',
    ]) {
      expect(
        ChatdError.isInstance(
          thrown(() => validateContent(content, limits)),
          'VALIDATION_FAILED',
        ),
      ).toBe(true);
    }
  });

  it('refuses content over the byte limit with CONTENT_TOO_LARGE', () => {
    // Multi-byte characters: 400 characters but 1200 bytes.
    const error = thrown(() => validateContent(textContent('€'.repeat(400)), limits));
    expect(error).toMatchObject({ code: 'CONTENT_TOO_LARGE', maxBytes: 1024 });
  });

  it('refuses non-JSON values and malformed JSON text with VALIDATION_FAILED', () => {
    expect(
      thrown(() => validateJsonValue({ a: undefined, b: 1n }, 'labels', limits)),
    ).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(thrown(() => parseJsonText('{"a":', 'tool output'))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(parseJsonText('{"a":1}', 'tool output')).toEqual({ a: 1 });
  });
});

describeEachDatabase('message queries', (database) => {
  it('gets a message of a chat', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    const message = await seedMessage(store.context.db, chatId, { text: 'hi' });
    expect(await store.getMessage(chatId, message.id)).toMatchObject({
      id: message.id,
      content: textContent('hi'),
      deleted: false,
    });
  });

  it('answers MESSAGE_NOT_FOUND for a message of another chat', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    const other = await seedChat(store.context.db);
    const message = await seedMessage(store.context.db, chatId);
    expect(await rejection(store.getMessage(other, message.id))).toMatchObject({
      code: 'MESSAGE_NOT_FOUND',
    });
  });

  it('pages newest first, going back with before, and reports hasMore', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    const ids: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push((await seedMessage(store.context.db, chatId)).id);
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
    const chatId = await seedChat(store.context.db);
    const ids: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      ids.push((await seedMessage(store.context.db, chatId)).id);
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
    const db = store.context.db;
    const chatId = await seedChat(db);
    const kept = await seedMessage(db, chatId);
    await seedMessage(db, chatId, { visibility: 'model' });
    const deleted = await seedMessage(db, chatId);
    await db.update(chatMessages).set({ deleted: true }).where(eq(chatMessages.id, deleted.id));
    const page = await store.listMessages(chatId);
    expect(page.messages.map((message) => message.id)).toEqual([kept.id]);
  });

  it('refuses a page size outside 1..200 with INVALID_ARGUMENT', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    for (const limit of [0, 201, 2.5]) {
      expect(await rejection(store.listMessages(chatId, { limit }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'limit',
      });
    }
    expect((await store.listMessages(chatId, { limit: 200 })).messages).toEqual([]);
  });

  it('answers CHAT_NOT_FOUND for the messages of an unknown chat', async () => {
    const { store } = await database.open();
    expect(await rejection(store.listMessages(MISSING))).toMatchObject({ code: 'CHAT_NOT_FOUND' });
    expect(await rejection(store.getPromptHistory(MISSING))).toMatchObject({
      code: 'CHAT_NOT_FOUND',
    });
  });

  it('builds the prompt history from non-deleted, model-visible messages, oldest first', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await seedChat(db);
    const system = await seedMessage(db, chatId, { role: 'system', visibility: 'model' });
    await seedMessage(db, chatId, { visibility: 'user' });
    const user = await seedMessage(db, chatId);
    const deleted = await seedMessage(db, chatId, { role: 'assistant' });
    await db.update(chatMessages).set({ deleted: true }).where(eq(chatMessages.id, deleted.id));
    const history = await store.getPromptHistory(chatId);
    expect(history.map((message) => message.id)).toEqual([system.id, user.id]);
  });

  it('returns messages by revision, soft-deleted ones included', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await seedChat(db);
    const old = await seedMessage(db, chatId);
    await db
      .update(chats)
      .set({ snapshotVersion: sql`${chats.snapshotVersion} + 1` })
      .where(eq(chats.id, chatId));
    const fresh = await seedMessage(db, chatId);
    await seedMessage(db, chatId, { visibility: 'model' });
    await db.update(chatMessages).set({ deleted: true }).where(eq(chatMessages.id, old.id));
    const rows = await store.getMessagesByRevision(chatId, old.revision);
    expect(rows.map((row) => [row.id, row.deleted])).toEqual([
      [old.id, true],
      [fresh.id, false],
    ]);
  });

  it('lists the queue by position, then id', async () => {
    const { store } = await database.open();
    const db = store.context.db;
    const chatId = await seedChat(db);
    const queued = await db
      .insert(chatQueuedMessages)
      .values(
        ['a', 'b', 'c'].map((text) => ({ chatId, content: textContent(text), createdBy: 'u' })),
      )
      .returning();
    const last = queued[2]?.id as number;
    await db
      .update(chatQueuedMessages)
      .set({ position: sql`(SELECT min(position) - 1 FROM chat_queued_messages)` })
      .where(eq(chatQueuedMessages.id, last));
    const order = (await store.listQueuedMessages(chatId)).map((row) => row.id);
    expect(order).toEqual([last, queued[0]?.id, queued[1]?.id]);
  });

  it('inserts many messages in order with the snapshot as revision', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    const rows = await store.context.db.transaction(async (tx) =>
      insertMessages(
        tx,
        Array.from({ length: 1500 }, (_, index) => ({
          chatId,
          role: 'assistant' as const,
          content: textContent(`m${index}`),
          usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 1, contextLimit: 1000 },
          costMicros: 42,
        })),
      ),
    );
    expect(rows).toHaveLength(1500);
    expect(rows.every((row, index) => index === 0 || row.id > (rows[index - 1]?.id ?? 0))).toBe(
      true,
    );
    expect(toChatMessage(rows[1499] as (typeof rows)[number])).toMatchObject({
      content: textContent('m1499'),
      revision: 1,
      usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 1, contextLimit: 1000 },
    });
  });

  it('reads content written by a newer version without losing unknown parts', async () => {
    const { store } = await database.open();
    const chatId = await seedChat(store.context.db);
    const future = { version: 2, parts: [{ type: 'hologram', beam: 1 }], extra: true };
    await database.query(
      'INSERT INTO chat_messages (chat_id, role, content) VALUES ($1, $2, $3::jsonb)',
      [chatId, 'assistant', JSON.stringify(future)],
    );
    const [row] = await store.getPromptHistory(chatId);
    expect(row?.content).toEqual(future);
  });
});
