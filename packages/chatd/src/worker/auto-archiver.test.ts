import { silentLogger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveChatdOptions } from '../chatd/options.js';
import { AutoArchiver, autoArchiveCutoff } from './auto-archiver.js';
import type { TaskRunner } from './task-types.js';
import { Worker } from './worker.js';

const DAY_MS = 86_400_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const idleTasks: TaskRunner = { run: async () => {} };

async function setup() {
  const testStore: TestStore = await createTestStore();
  cleanups.push(() => testStore.close());
  const { store } = testStore;
  // Forty days from now: every chat the test creates is forty days old by this clock.
  const clock = new ManualClock({ now: Date.now() + 40 * DAY_MS });
  const context = {
    store,
    workerId: 'w1',
    tasks: idleTasks,
    clock,
    logger: silentLogger,
    options: resolveChatdOptions({ autoArchiveDays: 30, acquireIntervalMs: 60_000 }),
  };
  const chat = async (parentChatId?: string) =>
    (
      await store.createChat({
        ownerId: 'ann',
        messages: [
          { role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'hi' }] } },
        ],
        ...(parentChatId === undefined ? {} : { parentChatId }),
      })
    ).chatId;
  /** Created running; an interrupt with nothing streamed leaves it waiting. */
  const idleChat = async (parentChatId?: string) => {
    const id = await chat(parentChatId);
    await store.update(id, (transitions) => transitions.interrupt());
    await store.update(id, (transitions) => transitions.finishInterruption());
    return id;
  };
  return { store, clock, context, chat, idleChat };
}

describe('auto-archive', () => {
  it('counts the cutoff from the start of the UTC day, so every pass of a day agrees', () => {
    const morning = Date.UTC(2026, 5, 10, 0, 5);
    const evening = Date.UTC(2026, 5, 10, 23, 55);
    const expected = new Date(Date.UTC(2026, 4, 11));
    expect(autoArchiveCutoff(morning, 30)).toEqual(expected);
    expect(autoArchiveCutoff(evening, 30)).toEqual(expected);
    expect(autoArchiveCutoff(Date.UTC(2026, 5, 11), 30)).toEqual(new Date(Date.UTC(2026, 4, 12)));
  });

  it('archives idle families and skips any family with a busy member', async () => {
    const { store, context, chat, idleChat } = await setup();
    const idleRoot = await idleChat();
    const idleChild = await idleChat(idleRoot);
    const busyRoot = await idleChat();
    await chat(busyRoot); // a running sub-chat keeps its family
    const running = await chat();

    const archiver = new AutoArchiver(context);
    expect(await archiver.archiveOnce()).toBe(2);
    expect((await store.getChat(idleRoot)).archived).toBe(true);
    expect((await store.getChat(idleChild)).archived).toBe(true);
    expect((await store.getChat(busyRoot)).archived).toBe(false);
    expect((await store.getChat(running)).archived).toBe(false);
    // A second pass finds nothing left to do.
    expect(await archiver.archiveOnce()).toBe(0);
    expect(archiver.archivedChats).toBe(2);
  });

  it('leaves chats alone that were active after the cutoff', async () => {
    const { store, context, idleChat } = await setup();
    const recent = await idleChat();
    const archiver = new AutoArchiver({
      ...context,
      options: resolveChatdOptions({ autoArchiveDays: 60 }),
    });
    expect(await archiver.archiveOnce()).toBe(0);
    expect((await store.getChat(recent)).archived).toBe(false);
  });

  it('runs in the worker at start and then every interval, and is off by default', async () => {
    const { store, clock, context, idleChat } = await setup();
    const first = await idleChat();
    const worker = new Worker({
      ...context,
      options: resolveChatdOptions({
        autoArchiveDays: 30,
        autoArchiveIntervalMs: 3_600_000,
        acquireIntervalMs: 60_000,
      }),
    });
    cleanups.push(() => worker.close());
    await worker.start();
    await vi.waitFor(async () => expect((await store.getChat(first)).archived).toBe(true));
    const second = await idleChat();
    await clock.advance(3_600_000);
    await vi.waitFor(async () => expect((await store.getChat(second)).archived).toBe(true));
    expect(worker.stats().autoArchivedChats).toBe(2);
    await worker.close();

    const third = await idleChat();
    const off = new Worker({
      ...context,
      options: resolveChatdOptions({ acquireIntervalMs: 60_000 }),
    });
    cleanups.push(() => off.close());
    await off.start();
    await clock.advance(3 * 3_600_000);
    expect((await store.getChat(third)).archived).toBe(false);
    expect(off.stats().autoArchivedChats).toBe(0);
  });
});
