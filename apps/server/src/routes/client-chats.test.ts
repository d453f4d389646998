import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { silentLogger } from '@chatd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedDatabase, openDatabase } from '../database.js';
import { newDataDir } from '../test-support/test-server.js';
import { ClientChats } from './client-chats.js';

describe('the client chat ids of useChat', () => {
  let dataDir: string;
  let opened: OpenedDatabase;
  const userId = randomUUID();

  beforeAll(async () => {
    dataDir = await newDataDir('chatd-client-chats-');
    opened = await openDatabase(
      { databaseUrl: undefined, dataDir, leaseStaleAfterMs: 30_000 },
      silentLogger,
    );
    await opened.db.query('INSERT INTO server_users (id, name, is_admin) VALUES ($1, $2, false)', [
      userId,
      'ann',
    ]);
  });
  afterAll(async () => {
    await opened?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const newChat = async () =>
    (
      await opened.store.createChat({
        ownerId: userId,
        lastModelConfigId: 'demo',
        messages: [
          { role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'hi' }] } },
        ],
      })
    ).chatId;

  it('maps an id to the first chat added for it: a concurrent request that lost learns the winner', async () => {
    const clientChats = new ClientChats(opened.db);
    const [winner, loser] = [await newChat(), await newChat()];
    expect(await clientChats.find(userId, 'c1')).toBeUndefined();
    expect(await clientChats.add(userId, 'c1', winner)).toBe(winner);
    // The second request found the id unmapped too, created its own chat and maps it second.
    expect(await clientChats.add(userId, 'c1', loser)).toBe(winner);
    expect(await clientChats.find(userId, 'c1')).toBe(winner);
  });
});
