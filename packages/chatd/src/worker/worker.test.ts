import { type Logger, realClock } from '@chatd/core';
import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { CHAT_OWNERSHIP_CHANNEL, type ChatUpdatePayload } from '@chatd/message-store';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ChatdOptions, resolveChatdOptions } from '../chatd/options.js';
import { TaskExit } from '../tasks/task-exit.js';
import { RunnerManager, shouldLogLoopError } from './runner-manager.js';
import type { TaskInput, TaskKind, TaskRunner } from './task-types.js';
import { Worker } from './worker.js';

interface Started {
  kind: TaskKind;
  input: TaskInput;
  signal: AbortSignal;
  finish: () => void;
  fail: (error: unknown) => void;
}

/** A task runner whose tasks run until the test finishes or fails them, or they are cancelled. */
function fakeTasks() {
  const started: Started[] = [];
  const tasks: TaskRunner = {
    run: (kind, input, signal) =>
      new Promise<void>((resolve, reject) => {
        const entry: Started = { kind, input, signal, finish: resolve, fail: reject };
        started.push(entry);
        if (signal.aborted) reject(new TaskExit('cancelled'));
        signal.addEventListener('abort', () => reject(new TaskExit('cancelled')), { once: true });
      }),
  };
  return { tasks, started };
}

function captureLogger() {
  const lines: Array<{ level: string; message: string; fields: unknown }> = [];
  const logger: Logger = {
    debug: (fields: unknown, message?: string) =>
      lines.push({ level: 'debug', message: String(message ?? fields), fields }),
    info: (fields: unknown, message?: string) =>
      lines.push({ level: 'info', message: String(message ?? fields), fields }),
    warn: (fields: unknown, message?: string) =>
      lines.push({ level: 'warn', message: String(message ?? fields), fields }),
    error: (fields: unknown, message?: string) =>
      lines.push({ level: 'error', message: String(message ?? fields), fields }),
    child: () => logger,
  } as Logger;
  return { logger, lines };
}

const text = (value: string) => ({
  version: 1 as const,
  parts: [{ type: 'text' as const, text: value }],
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: ChatdOptions = {},
  lease?: { heartbeatIntervalMs: number; staleAfterMs: number },
) {
  const testStore: TestStore = await createTestStore(lease === undefined ? {} : { lease });
  cleanups.push(() => testStore.close());
  const { tasks, started } = fakeTasks();
  const { logger, lines } = captureLogger();
  const worker = (workerId = 'w1') => {
    const created = new Worker({
      store: testStore.store,
      workerId,
      tasks,
      clock: realClock,
      logger,
      options: resolveChatdOptions({
        acquireIntervalMs: 50,
        taskRetryInitialDelayMs: 5,
        ...options,
      }),
    });
    cleanups.push(() => created.close());
    return created;
  };
  const createChat = async () =>
    (
      await testStore.store.createChat({
        ownerId: 'ann',
        messages: [{ role: 'user', content: text('hi') }],
      })
    ).chatId;
  return { store: testStore.store, started, lines, worker, createChat };
}

const wait = (check: () => void | Promise<void>) =>
  vi.waitFor(check, { timeout: 30_000, interval: 10 });

describe('Worker', () => {
  it('acquires a new running chat at once (ownership hint) and starts its generation task', async () => {
    const { store, started, worker, createChat } = await setup({ acquireIntervalMs: 60_000 });
    await worker().start();
    const chatId = await createChat();
    await wait(() => expect(started.map((task) => task.kind)).toEqual(['generation']));
    expect((await store.getChat(chatId)).workerId).toBe('w1');
  });

  it('never acquires waiting or archived chats; one wake drains several runnable chats', async () => {
    const { store, started, worker, createChat } = await setup();
    const idle = await createChat();
    await store.update(idle, (chat) => chat.interrupt());
    await store.update(idle, (chat) => chat.finishInterruption());
    const chats = await Promise.all([createChat(), createChat(), createChat()]);
    await worker().start();
    await wait(() =>
      expect(new Set(started.map((task) => task.input.chatId))).toEqual(new Set(chats)),
    );
    expect((await store.getChat(idle)).workerId).toBeNull();
  });

  it('two workers racing: exactly one owns each chat', async () => {
    const { store, started, worker, createChat } = await setup();
    const chats = await Promise.all(Array.from({ length: 8 }, () => createChat()));
    await Promise.all([worker('w1').start(), worker('w2').start()]);
    await wait(() => expect(started).toHaveLength(8));
    expect(new Set(started.map((task) => task.input.chatId)).size).toBe(8);
    for (const chatId of chats)
      expect(['w1', 'w2']).toContain((await store.getChat(chatId)).workerId);
  });

  it('skips a freshly owned chat, and re-acquires it with a new runner once its lease is stale', async () => {
    const { store, started, worker, createChat } = await setup(
      {},
      { heartbeatIntervalMs: 100, staleAfterMs: 400 },
    );
    const chatId = await createChat();
    await store.update(chatId, (chat) => chat.acquire({ workerId: 'gone', runnerId: 'r0' }));
    await worker('w1').start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(started).toHaveLength(0);
    await wait(() => expect(started).toHaveLength(1));
    expect(started[0]?.input).toMatchObject({ chatId, workerId: 'w1' });
    expect(started[0]?.input.runnerId).not.toBe('r0');
  });

  it('close hands every chat over: heartbeats deleted, one ownership hint each, nothing left running', async () => {
    const { store, started, worker, createChat } = await setup();
    const before = snapshotResources();
    const chats = await Promise.all([createChat(), createChat()]);
    const first = worker('w1');
    await first.start();
    await wait(() => expect(started).toHaveLength(2));
    const hints = store.pubsub.subscribe(CHAT_OWNERSHIP_CHANNEL);
    await hints.ready;
    await first.close();
    expect(started.every((task) => task.signal.aborted)).toBe(true);
    const received: string[] = [];
    for await (const event of hints) {
      if (event.type === 'message') received.push((event.payload as { chatId: string }).chatId);
      if (received.length === 2) break;
    }
    expect(new Set(received)).toEqual(new Set(chats));
    // The chats stay assigned to w1 but without a live heartbeat, so anyone may acquire them.
    expect(
      (await store.getAcquisitionCandidates(10)).map((candidate) => candidate.chatId).sort(),
    ).toEqual([...chats].sort());
    hints.cancel();
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('Runner', () => {
  async function owned(options: ChatdOptions = {}) {
    const context = await setup(options);
    const chatId = await context.createChat();
    await context.worker().start();
    await wait(() => expect(context.started).toHaveLength(1));
    return { ...context, chatId };
  }

  it('a new history version cancels the running generation and starts one for the new version', async () => {
    const { store, started, chatId } = await owned();
    await store.update(chatId, (chat) =>
      chat.sendMessage({
        role: 'user',
        content: text('more'),
        createdBy: 'ann',
        busy: 'interrupt',
      }),
    );
    await wait(() => expect(started.map((task) => task.kind)).toEqual(['generation', 'interrupt']));
    expect(started[0]?.signal.aborted).toBe(true);
  });

  it('a status change to interrupting cancels generation and starts the interrupt on the same history', async () => {
    const { store, started, chatId } = await owned();
    await store.update(chatId, (chat) => chat.interrupt());
    await wait(() => expect(started.map((task) => task.kind)).toEqual(['generation', 'interrupt']));
    expect(started[1]?.input.historyVersion).toBe(started[0]?.input.historyVersion);
    expect(started[0]?.signal.aborted).toBe(true);
  });

  it('an update that changes nothing the runner decides on starts no task', async () => {
    const { store, started, chatId } = await owned();
    await store.update(chatId, (chat) => chat.recordGenerationAttempt());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(1);
  });

  it('another owner taking the chat over cancels the task and starts nothing', async () => {
    const { store, started, chatId } = await owned();
    await store.update(chatId, (chat) => chat.acquire({ workerId: 'w2', runnerId: 'other' }));
    await wait(() => expect(started[0]?.signal.aborted).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(1);
  });

  it('retries a failed task with backoff, logging kind, delay and error; an expected exit is not retried', async () => {
    const { started, lines } = await owned();
    started[0]?.fail(new Error('database blip'));
    await wait(() => expect(started).toHaveLength(2));
    expect(
      lines.find((line) => line.message.includes('task failed; retrying'))?.fields,
    ).toMatchObject({
      delayMs: 5,
      failures: 1,
    });
    started[1]?.fail(new TaskExit('fence'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(2);
  });

  it('cancels an attempt that exceeds taskTimeoutMs and retries it with the same input', async () => {
    const { started } = await owned({ taskTimeoutMs: 100 });
    await wait(() => expect(started.length).toBeGreaterThanOrEqual(2));
    expect(started[0]?.signal.aborted).toBe(true);
    expect(started[0]?.signal.reason).toMatchObject({ name: 'TaskTimeoutError' });
    expect(started[1]?.input).toEqual(started[0]?.input);
  });
});

function managerFor(
  store: TestStore['store'],
  tasks: TaskRunner,
  logger: Logger,
  options: ChatdOptions = {},
): RunnerManager {
  const manager = new RunnerManager({
    store,
    workerId: 'w1',
    tasks,
    clock: realClock,
    logger,
    options: resolveChatdOptions(options),
  });
  cleanups.push(() => manager.close());
  return manager;
}

describe('RunnerManager', () => {
  it('ignores a second spawn of a live key, logging it', async () => {
    const { store, createChat } = await setup();
    const chatId = await createChat();
    await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: 'r1' }));
    const { tasks, started } = fakeTasks();
    const { logger, lines: managerLines } = captureLogger();
    const manager = managerFor(store, tasks, logger);
    expect(manager.spawn(chatId, 'r1')).toBe(true);
    expect(manager.spawn(chatId, 'r1')).toBe(false);
    await wait(() => expect(started).toHaveLength(1));
    expect(managerLines.some((line) => line.message.includes('duplicate runner spawn'))).toBe(true);
    expect(manager.stats().liveRunners).toBe(1);
  });

  it('a full hint queue drops the newest hint and counts it', async () => {
    const { store, createChat } = await setup();
    const chatId = await createChat();
    await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: 'r1' }));
    const { tasks } = fakeTasks();
    const manager = managerFor(store, tasks, captureLogger().logger, { hintQueueSize: 2 });
    manager.spawn(chatId, 'r1');
    const hint: ChatUpdatePayload = {
      chatId,
      snapshotVersion: 1,
      workerId: 'w1',
      runnerId: 'r1',
      historyVersion: 1,
      queueVersion: 1,
      retryStateVersion: 1,
      generationAttempt: 0,
      status: 'running',
      archived: false,
    };
    // The runner is still bootstrapping (reading the chat), so nothing drains the queue yet.
    for (let index = 0; index < 5; index += 1)
      manager.routeHint({ ...hint, snapshotVersion: 100 + index });
    expect(manager.stats().droppedHints).toBe(3);
  });

  it('the database sync cleans up the runners of a deleted chat', async () => {
    const { store, createChat } = await setup();
    const chatId = await createChat();
    await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: 'r1' }));
    const { tasks, started } = fakeTasks();
    const manager = managerFor(store, tasks, captureLogger().logger);
    manager.spawn(chatId, 'r1');
    await wait(() => expect(started).toHaveLength(1));
    await store.deleteChat(chatId);
    await manager.sync();
    await wait(() => expect(manager.idle).toBe(true));
    expect(started[0]?.signal.aborted).toBe(true);
  });

  it('the database sync leaves alone a runner spawned while its read was running', async () => {
    const { store, createChat } = await setup();
    const [first, second] = [await createChat(), await createChat()];
    for (const [chatId, runnerId] of [
      [first, 'r1'],
      [second, 'r2'],
    ] as const) {
      await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId }));
    }
    const { tasks, started } = fakeTasks();
    const manager = managerFor(store, tasks, captureLogger().logger);
    manager.spawn(first, 'r1');
    await wait(() => expect(started).toHaveLength(1));
    // The second runner starts while the sync reads the chats of the runners it knew.
    const read = store.getRunnerSyncRows.bind(store);
    store.getRunnerSyncRows = async (chatIds) => {
      const rows = await read(chatIds);
      manager.spawn(second, 'r2');
      return rows;
    };
    await manager.sync();
    store.getRunnerSyncRows = read;
    await wait(() => expect(started).toHaveLength(2));
    expect(manager.stats().liveRunners).toBe(2);
    expect(started.map((task) => task.signal.aborted)).toEqual([false, false]);
  });

  it('shutdown racing many cleanups finishes, and never starts queued work', async () => {
    const { store, createChat } = await setup();
    const chats = await Promise.all(Array.from({ length: 10 }, () => createChat()));
    const { tasks, started } = fakeTasks();
    const manager = managerFor(store, tasks, captureLogger().logger);
    for (const [index, chatId] of chats.entries()) {
      await store.update(chatId, (chat) => chat.acquire({ workerId: 'w1', runnerId: `r${index}` }));
      manager.spawn(chatId, `r${index}`);
    }
    await wait(() => expect(started).toHaveLength(10));
    const closing = manager.close();
    await Promise.all([...chats.keys()].map(async () => manager.sync()));
    await closing;
    expect(manager.idle).toBe(true);
    expect(manager.spawn(chats[0] as string, 'late')).toBe(false);
  });
});

describe('shouldLogLoopError', () => {
  it('hides cancellation during shutdown but not real errors, nor a timeout inside an AggregateError', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(shouldLogLoopError(abort, true)).toBe(false);
    expect(shouldLogLoopError(abort, false)).toBe(true);
    expect(shouldLogLoopError(new Error('disk full'), true)).toBe(true);
    expect(
      shouldLogLoopError(new AggregateError([abort, new Error('query timed out')]), true),
    ).toBe(true);
    expect(shouldLogLoopError(new AggregateError([abort, abort]), true)).toBe(false);
  });
});
