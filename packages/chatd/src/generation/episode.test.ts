import type { ChatStreamPart } from '@chatd/core';
import { readDraftAnnouncement } from '@chatd/message-store';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { type EpisodeKey, MessagePartBuffer } from '@chatd/messagepartbuffer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineContext } from '../tasks/engine-context.js';
import { openEpisode } from './episode.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const delta = (text: string): ChatStreamPart => ({ type: 'text-delta', id: 't', delta: text });

/** A store with a chat running its first generation attempt, a buffer, and that attempt's key. */
async function running({ remoteFollowers = true } = {}): Promise<{
  testStore: TestStore;
  context: EngineContext;
  key: EpisodeKey;
}> {
  // As on a replica that others follow: the first part of an idle episode is written at once.
  const testStore = await createTestStore({ drafts: { remoteFollowers } });
  cleanups.push(() => testStore.close());
  const buffer = new MessagePartBuffer();
  cleanups.push(() => buffer.close());
  const { store } = testStore;
  const { chatId } = await store.createChat({
    ownerId: 'ann',
    lastModelConfigId: 'mock',
    messages: [
      {
        role: 'user',
        content: { version: 1, parts: [{ type: 'text', text: 'hi' }] },
        createdBy: 'ann',
      },
    ],
  });
  const generationAttempt = await store.update(chatId, async (chat) => {
    await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
    return chat.recordGenerationAttempt();
  });
  const { historyVersion } = await store.getChat(chatId);
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  // The episode uses the store, the buffer and the logger of the engine.
  const context = { store, buffer, logger } as unknown as EngineContext;
  return { testStore, context, key: { chatId, historyVersion, generationAttempt } };
}

const seqs = async (testStore: TestStore, key: EpisodeKey) =>
  (await testStore.store.readDraft(key)).map((envelope) => envelope.seq);

describe('openEpisode', () => {
  it('puts each part in the buffer and the drafts, numbered by the buffer', async () => {
    const { testStore, context, key } = await running();
    const episode = openEpisode(context, key);
    episode.publish('assistant', { type: 'start-step' });
    episode.publish('assistant', { type: 'text-start', id: 't' });
    episode.publish('assistant', delta('a'));
    // The end of a step waits for the window like a delta: settle() announces it before the commit.
    episode.publish('assistant', { type: 'finish-step' });
    await vi.waitFor(async () => expect(await seqs(testStore, key)).toEqual([1, 2, 3, 4]));
    expect(context.buffer.getParts(key).map((stored) => stored.seq)).toEqual([1, 2, 3, 4]);
    episode.close();
  });

  it('settle() resolves once every part so far is announced, for followers to have them all before the commit', async () => {
    const { testStore, context, key } = await running();
    const announcements = testStore.store.pubsub.subscribe(`chat:draft:${key.chatId}`);
    await announcements.ready;
    const episode = openEpisode(context, key);
    episode.publish('assistant', { type: 'start-step' }); // written at once
    episode.publish('assistant', delta('a'));
    episode.publish('assistant', delta('b'));
    await episode.settle(new AbortController().signal);
    // The write in flight (seq 1) is announced with the rest rather than waited for.
    for await (const event of announcements) {
      if (event.type !== 'message') continue;
      const envelopes = readDraftAnnouncement(event.payload)?.envelopes ?? [];
      expect(envelopes.map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
      break;
    }
    // The commit that follows supersedes the drafts: the last parts are announced, not written.
    episode.close({ committed: true });
    await vi.waitFor(() => expect(testStore.store.drafts.batchesWritten).toBe(1));
    expect(await seqs(testStore, key)).toEqual([1]);
  });

  it('settle() writes nothing without remote followers (the commit supersedes the drafts)', async () => {
    const { testStore, context, key } = await running({ remoteFollowers: false });
    const episode = openEpisode(context, key);
    episode.publish('assistant', { type: 'start-step' });
    episode.publish('assistant', delta('a'));
    await episode.settle(new AbortController().signal);
    expect(testStore.store.drafts.batchesWritten).toBe(0);
    episode.close({ committed: true });
  });

  it('close() flushes the parts not yet written as drafts', async () => {
    const { testStore, context, key } = await running();
    const episode = openEpisode(context, key);
    episode.publish('assistant', { type: 'start-step' });
    episode.publish('assistant', delta('a'));
    episode.publish('assistant', delta('b'));
    episode.close();
    await vi.waitFor(async () => expect(await seqs(testStore, key)).toEqual([1, 2, 3]));
    expect(testStore.store.drafts.episodeCount).toBe(0);
  });

  it('close({ committed: true }) drops the parts not yet written as drafts; the buffer keeps them', async () => {
    const { testStore, context, key } = await running();
    const episode = openEpisode(context, key);
    // The first part of an idle episode is written at once; the next ones wait for the window.
    episode.publish('assistant', { type: 'start-step' });
    episode.publish('assistant', delta('a'));
    episode.publish('assistant', delta('b'));
    episode.close({ committed: true });
    // Forgotten at once: no timer or state is left that could write the rest later.
    expect(testStore.store.drafts.episodeCount).toBe(0);
    await testStore.store.drafts.flushAll();
    await vi.waitFor(async () => expect(await seqs(testStore, key)).toEqual([1]));
    expect(context.buffer.getParts(key).map((stored) => stored.seq)).toEqual([1, 2, 3]);
    expect(() => context.buffer.addPart(key, 'assistant', delta('c'))).toThrow(
      expect.objectContaining({ code: 'EPISODE_CLOSED' }),
    );
  });
});
