import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { CHAT_SELECT, type ChatRow, readChatRow } from '../schema/rows.js';
import { describeEachDatabase } from '../test-support/databases.js';

const content = JSON.stringify({ version: 1, parts: [{ type: 'text', text: 'hi' }] });

describeEachDatabase('version-counter triggers', (database) => {
  async function insertChat(): Promise<string> {
    const id = randomUUID();
    await database.query('INSERT INTO chats (id, owner_id) VALUES ($1, $2)', [id, 'owner-1']);
    return id;
  }

  async function bump(chatId: string): Promise<number> {
    const [row] = await database.query<{ v: string | number }>(
      'UPDATE chats SET snapshot_version = snapshot_version + 1 WHERE id = $1 RETURNING snapshot_version AS v',
      [chatId],
    );
    return Number(row?.v);
  }

  async function readChat(chatId: string): Promise<ChatRow> {
    const [row] = await database.query(`SELECT ${CHAT_SELECT} FROM chats c WHERE c.id = $1`, [
      chatId,
    ]);
    if (row === undefined) throw new Error('chat vanished');
    return readChatRow(row);
  }

  /** Inserts a message; returns its id and the revision the database gave it. */
  async function insertMessage(chatId: string, role = 'user') {
    const [row] = await database.query<{ id: string | number; revision: string | number }>(
      `INSERT INTO chat_messages (chat_id, role, content) VALUES ($1, $2, $3::jsonb)
       RETURNING id, revision`,
      [chatId, role, content],
    );
    return { id: Number(row?.id), revision: Number(row?.revision) };
  }

  /** Runs an UPDATE … RETURNING revision on one message; returns the revision. */
  async function updateMessage(id: number, set: string): Promise<number> {
    const [row] = await database.query<{ revision: string | number }>(
      `UPDATE chat_messages SET ${set} WHERE id = $1 RETURNING revision`,
      [id],
    );
    return Number(row?.revision);
  }

  it('keeps only leases and draft rows out of the write-ahead log (unlogged)', async () => {
    const rows = await database.query<{ relname: string }>(
      `SELECT relname FROM pg_class
       WHERE relpersistence = 'u' AND relkind = 'r' AND relnamespace = 'public'::regnamespace
       ORDER BY relname`,
    );
    expect(rows.map((row) => row.relname)).toEqual(['chat_draft_batches', 'chat_heartbeats']);
  });

  it('starts a chat at snapshot 1 with history, queue and retry versions 0', async () => {
    const chat = await readChat(await insertChat());
    expect(chat).toMatchObject({
      snapshotVersion: 1,
      historyVersion: 0,
      queueVersion: 0,
      retryStateVersion: 0,
      generationAttempt: 0,
    });
  });

  it('stamps inserted messages with the snapshot and moves history to it', async () => {
    const chatId = await insertChat();
    await database.query('UPDATE chats SET generation_attempt = 3 WHERE id = $1', [chatId]);
    const snapshot = await bump(chatId);
    const message = await insertMessage(chatId);
    expect(message.revision).toBe(snapshot);
    const chat = await readChat(chatId);
    expect(chat.historyVersion).toBe(snapshot);
    expect(chat.generationAttempt).toBe(0);
  });

  it('refuses an explicit revision on insert', async () => {
    const chatId = await insertChat();
    await expect(
      database.query(
        `INSERT INTO chat_messages (chat_id, role, content, revision) VALUES ($1, 'user', $2::jsonb, 7)`,
        [chatId, content],
      ),
    ).rejects.toThrow(/revision is assigned by the database/);
  });

  it('refuses changing revision or chat_id on update', async () => {
    const chatId = await insertChat();
    const otherChatId = await insertChat();
    const { id } = await insertMessage(chatId);
    await expect(updateMessage(id, 'revision = 99')).rejects.toThrow(
      /revision is assigned by the database/,
    );
    await expect(updateMessage(id, `chat_id = '${otherChatId}'`)).rejects.toThrow(
      /chat_id cannot change/,
    );
  });

  it('re-stamps a meaningfully updated message and advances history', async () => {
    const chatId = await insertChat();
    const { id } = await insertMessage(chatId);
    const snapshot = await bump(chatId);
    expect(await updateMessage(id, 'deleted = true')).toBe(snapshot);
    expect((await readChat(chatId)).historyVersion).toBe(snapshot);
  });

  it('leaves revision and history alone on a no-op update', async () => {
    const chatId = await insertChat();
    const message = await insertMessage(chatId);
    const before = await readChat(chatId);
    await bump(chatId);
    expect(await updateMessage(message.id, 'deleted = false')).toBe(message.revision);
    expect((await readChat(chatId)).historyVersion).toBe(before.historyVersion);
  });

  it('moves the queue version on queued insert, reorder, and delete but not a no-op', async () => {
    const chatId = await insertChat();
    const setPosition = (id: number) =>
      database.query('UPDATE chat_queued_messages SET position = -5 WHERE id = $1', [id]);
    let snapshot = await bump(chatId);
    const [queued] = await database.query<{ id: string | number }>(
      `INSERT INTO chat_queued_messages (chat_id, content, created_by) VALUES ($1, $2::jsonb, 'user-1')
       RETURNING id`,
      [chatId, content],
    );
    expect((await readChat(chatId)).queueVersion).toBe(snapshot);
    const id = Number(queued?.id);
    snapshot = await bump(chatId);
    await setPosition(id);
    expect((await readChat(chatId)).queueVersion).toBe(snapshot);
    const unchanged = snapshot;
    await bump(chatId);
    await setPosition(id);
    expect((await readChat(chatId)).queueVersion).toBe(unchanged);
    snapshot = await bump(chatId);
    await database.query('DELETE FROM chat_queued_messages WHERE id = $1', [id]);
    expect((await readChat(chatId)).queueVersion).toBe(snapshot);
  });

  it('versions retry state changes and clears it when the attempt changes', async () => {
    const chatId = await insertChat();
    const snapshot = await bump(chatId);
    await database.query(`UPDATE chats SET retry_state = '{"attempt": 1}' WHERE id = $1`, [chatId]);
    expect(await readChat(chatId)).toMatchObject({
      retryState: { attempt: 1 },
      retryStateVersion: snapshot,
    });
    const next = await bump(chatId);
    await database.query(
      'UPDATE chats SET generation_attempt = generation_attempt + 1 WHERE id = $1',
      [chatId],
    );
    expect(await readChat(chatId)).toMatchObject({ retryState: null, retryStateVersion: next });
  });

  it('clears retry state when history changes (through the attempt reset)', async () => {
    const chatId = await insertChat();
    await database.query(
      `UPDATE chats SET generation_attempt = 2, retry_state = '{"attempt": 2}' WHERE id = $1`,
      [chatId],
    );
    await bump(chatId);
    await insertMessage(chatId, 'assistant');
    expect(await readChat(chatId)).toMatchObject({ retryState: null, generationAttempt: 0 });
  });

  it('keeps the retry version when retry state is rewritten unchanged', async () => {
    const chatId = await insertChat();
    const setRetryState = () =>
      database.query(`UPDATE chats SET retry_state = '{"attempt": 1}' WHERE id = $1`, [chatId]);
    const snapshot = await bump(chatId);
    await setRetryState();
    await bump(chatId);
    await setRetryState();
    expect((await readChat(chatId)).retryStateVersion).toBe(snapshot);
  });

  it('refuses writing retry_state_version directly', async () => {
    const chatId = await insertChat();
    await expect(
      database.query('UPDATE chats SET retry_state_version = 5 WHERE id = $1', [chatId]),
    ).rejects.toThrow(/retry_state_version is assigned by the database/);
    await expect(
      database.query(`INSERT INTO chats (id, owner_id, retry_state_version) VALUES ($1, 'o', 3)`, [
        randomUUID(),
      ]),
    ).rejects.toThrow(/retry_state_version is assigned by the database/);
  });

  it('cascades a chat delete to messages, queue and heartbeats', async () => {
    const chatId = await insertChat();
    await insertMessage(chatId);
    await database.query(
      `INSERT INTO chat_queued_messages (chat_id, content, created_by) VALUES ($1, $2::jsonb, 'u')`,
      [chatId, content],
    );
    await database.query('INSERT INTO chat_heartbeats (chat_id, runner_id) VALUES ($1, $2)', [
      chatId,
      'r1',
    ]);
    await database.query('DELETE FROM chats WHERE id = $1', [chatId]);
    const [counts] = await database.query<Record<string, string | number>>(
      `SELECT (SELECT count(*) FROM chat_messages) AS m, (SELECT count(*) FROM chat_queued_messages) AS q,
              (SELECT count(*) FROM chat_heartbeats) AS h`,
    );
    expect([Number(counts?.m), Number(counts?.q), Number(counts?.h)]).toEqual([0, 0, 0]);
  });
});
