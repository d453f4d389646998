import { randomUUID } from 'node:crypto';
import { type JsonValue, silentLogger } from '@chatd/core';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { MessagePartBuffer } from '@chatd/messagepartbuffer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FeedPart } from './chat-feed.js';
import { partSources } from './part-sources.js';

const open: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** A feed's copy of an episode: parts in seq order, duplicates dropped, gaps refused. */
function sink() {
  const parts: FeedPart[] = [];
  return {
    parts,
    afterSeq: () => parts.length,
    accept(part: FeedPart) {
      if (part.seq <= parts.length) return true;
      if (part.seq !== parts.length + 1) return false;
      parts.push(part);
      return true;
    },
  };
}

const delta = (seq: number): FeedPart => ({
  seq,
  role: 'assistant',
  part: { type: 'text-delta', id: 't', delta: `w${seq} ` },
});

/**
 * A store and buffer for one test, and an episode of a chat generated on another replica:
 * `follow()` starts following its drafts (after the test has spied on the store), and
 * `announce` publishes what the generating replica would for a batch of seqs.
 */
async function episodeElsewhere() {
  const testStore: TestStore = await createTestStore();
  open.push(() => testStore.close());
  const { store } = testStore;
  const buffer = new MessagePartBuffer();
  open.push(() => buffer.close());
  const key = { chatId: randomUUID(), historyVersion: 1, generationAttempt: 1 };
  const feed = sink();
  return {
    store,
    seqs: () => feed.parts.map((part) => part.seq),
    follow() {
      const source = partSources(store, buffer, silentLogger)(key, false, feed);
      open.push(() => source.stop());
    },
    announce(firstSeq: number, lastSeq: number, { inline }: { inline: boolean }) {
      const envelopes = Array.from({ length: lastSeq - firstSeq + 1 }, (_, index) =>
        delta(firstSeq + index),
      );
      store.pubsub.publish(`chat:draft:${key.chatId}`, {
        historyVersion: key.historyVersion,
        generationAttempt: key.generationAttempt,
        firstSeq,
        lastSeq,
        ...(inline ? { envelopes } : {}),
      } as unknown as JsonValue);
    },
  };
}

describe('following another replica through its drafts', () => {
  it('keeps inline parts that arrive during a read and hands them on once it fills the gap', async () => {
    const { store, seqs, follow, announce } = await episodeElsewhere();
    // The rows as a read finds them: none at first; seq 3-4 while the batch that did not fit
    // its announcement is stored; none again once the commit that ends the episode deleted them.
    let releaseRead!: () => void;
    const readHeld = new Promise<void>((resolve) => {
      releaseRead = resolve;
    });
    const reads: number[] = [];
    vi.spyOn(store, 'readDraft').mockImplementation(async (_key, options) => {
      reads.push(options?.afterSeq ?? 0);
      if (reads.length === 2) {
        await readHeld;
        return [delta(3), delta(4)];
      }
      return [];
    });
    follow();
    await vi.waitFor(() => expect(reads).toEqual([0]));
    announce(1, 2, { inline: true });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2]));
    // Too big to come inline: read from the rows; the last batch is announced meanwhile.
    announce(3, 4, { inline: false });
    await vi.waitFor(() => expect(reads).toEqual([0, 2]));
    announce(5, 6, { inline: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seqs()).toEqual([1, 2]);
    releaseRead();
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]));
  });

  it('takes an inline batch that continues the episode at once, with no read', async () => {
    const { store, seqs, follow, announce } = await episodeElsewhere();
    const readDraft = vi.spyOn(store, 'readDraft');
    follow();
    await vi.waitFor(() => expect(readDraft).toHaveBeenCalledTimes(1));
    announce(1, 2, { inline: true });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2]));
    expect(readDraft).toHaveBeenCalledTimes(1);
  });
});
