import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { createTestStore, type TestStore } from '@chatd/message-store/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Chatd, createChatd } from '../chatd/chatd.js';
import { staticModels } from '../models/static-models.js';
import { type ScriptedCall, scriptedModel, textAnswer } from '../test-support/mock-model.js';
import { deferred, heldAnswer, isStatus, read } from '../test-support/streams.js';
import type { ChatStreamEventWithCursor } from './subscriber-events.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function engine(): Promise<{ chatd: Chatd; testStore: TestStore; script: ScriptedCall[] }> {
  const testStore = await createTestStore();
  open.push(() => testStore.close());
  const script: ScriptedCall[] = [];
  const chatd = createChatd({
    store: testStore.store,
    models: staticModels(
      { mock: { model: scriptedModel(script) } },
      { defaultModelConfigId: 'mock' },
    ),
    options: { acquireIntervalMs: 50 },
  });
  open.push(() => chatd.close());
  await chatd.start();
  return { chatd, testStore, script };
}

function describeEvents(events: ChatStreamEventWithCursor[]): string[] {
  return events.map((event) => {
    switch (event.type) {
      case 'message':
        return `message ${event.message.role}`;
      case 'message-part':
        return `part ${event.seq} ${event.part.type === 'text-delta' ? event.part.delta : event.part.type}`;
      case 'status':
        return `status ${event.status}`;
      default:
        return event.type;
    }
  });
}

describe('chatd.subscribe on one replica', () => {
  it('sends the chat as it is, every part of the reply in order as the model produces it, then the committed answer', async () => {
    const { chatd, script } = await engine();
    const release = deferred();
    script.push(heldAnswer(['Hel', 'lo ', 'the', 're!'], 2, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'Say hello', title: 't' });
    const events: ChatStreamEventWithCursor[] = [];
    const stream = chatd.subscribe(chat.id);
    const reading = read(stream, events, isStatus('waiting'));
    // The first two deltas arrive while the model is still generating.
    await vi.waitFor(() => expect(describeEvents(events)).toContain('part 4 lo '), {
      timeout: 20_000,
    });
    release.resolve();
    await reading;
    // The first read may come before or after the first attempt is recorded: one preview-reset
    // (the attempt's) or two (the chat's as created, then the attempt's).
    const described = describeEvents(events).filter(
      (event, index, all) => !(event === 'preview-reset' && all[index + 1] === 'preview-reset'),
    );
    expect(described.slice(0, 13)).toEqual([
      'message user',
      'queue-update',
      'status running',
      'preview-reset',
      'part 1 start-step',
      'part 2 text-start',
      'part 3 Hel',
      'part 4 lo ',
      'part 5 the',
      'part 6 re!',
      'part 7 text-end',
      'part 8 finish-step',
      'message assistant',
    ]);
    // The step's commit also ends the turn, in one change: the message, then the status.
    expect(described.slice(13)).toEqual(['status waiting']);
    expect(
      events.find((event) => event.type === 'message' && event.message.role === 'assistant'),
    ).toMatchObject({
      message: { content: { parts: [{ type: 'text', text: 'Hello there!' }] } },
    });
  });

  it('resumed by cursor mid-episode, the two streams together equal one uninterrupted stream', async () => {
    const { chatd, script } = await engine();
    const release = deferred();
    script.push(heldAnswer(['a', 'b', 'c', 'd', 'e', 'f'], 3, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'letters', title: 't' });
    const whole: ChatStreamEventWithCursor[] = [];
    const uninterrupted = read(chatd.subscribe(chat.id), whole, isStatus('waiting'));

    const first: ChatStreamEventWithCursor[] = [];
    const stop = new AbortController();
    await read(
      chatd.subscribe(chat.id, { signal: stop.signal }),
      first,
      (event) => event.type === 'message-part' && event.seq === 4,
    );
    stop.abort();
    const cursor = first.at(-1)?.cursor as string;
    release.resolve();
    const rest: ChatStreamEventWithCursor[] = [];
    await read(chatd.subscribe(chat.id, { cursor }), rest, isStatus('waiting'));
    await uninterrupted;

    const strip = (events: ChatStreamEventWithCursor[]) =>
      describeEvents(events).filter((event) => event !== 'preview-reset' || true);
    expect(rest[0]).toMatchObject({ type: 'message-part', seq: 5 });
    expect(strip([...first, ...rest]).slice(0, 16)).toEqual(strip(whole).slice(0, 16));
    expect(
      strip([...first, ...rest])
        .slice(16)
        .sort(),
    ).toEqual(strip(whole).slice(16).sort());
  });

  it('1,000 subscribers of one chat each receive every part, from one database read per snapshot version', async () => {
    const { chatd, script, testStore } = await engine();
    const release = deferred();
    script.push(heldAnswer(['one ', 'two ', 'three'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'count', title: 't' });
    const { store } = testStore;
    const firstVersion = (await store.getChat(chat.id)).snapshotVersion;
    const getChatSince = store.getChatSince.bind(store);
    let reads = 0;
    store.getChatSince = (chatId, afterRevision) => {
      reads += 1;
      return getChatSince(chatId, afterRevision);
    };
    const streams = Array.from({ length: 1000 }, () => {
      const events: ChatStreamEventWithCursor[] = [];
      return { events, done: read(chatd.subscribe(chat.id), events, isStatus('waiting')) };
    });
    await vi.waitFor(
      () =>
        expect(streams.every(({ events }) => events.some((e) => e.type === 'message-part'))).toBe(
          true,
        ),
      { timeout: 30_000 },
    );
    release.resolve();
    await Promise.all(streams.map(({ done }) => done));
    const expected = describeEvents(streams[0]?.events ?? []);
    expect(expected.filter((event) => event.startsWith('part'))).toHaveLength(7);
    for (const { events } of streams) {
      expect(describeEvents(events).filter((event) => event.startsWith('part'))).toEqual(
        expected.filter((event) => event.startsWith('part')),
      );
    }
    // One read for the state at subscribing, then at most one per snapshot version since.
    store.getChatSince = getChatSince;
    const lastVersion = (await store.getChat(chat.id)).snapshotVersion;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(lastVersion - firstVersion + 1);
  });

  /** Counts the store's reads of the chat from now on; returns the count and the restore. */
  function countReads(store: TestStore['store']) {
    const getChatSince = store.getChatSince.bind(store);
    const counter = { reads: 0, restore: () => {} };
    store.getChatSince = (chatId, afterRevision) => {
      counter.reads += 1;
      return getChatSince(chatId, afterRevision);
    };
    counter.restore = () => {
      store.getChatSince = getChatSince;
    };
    return counter;
  }

  it("a step committed here reaches this replica's streams without reading the chat again", async () => {
    const { chatd, script, testStore } = await engine();
    const release = deferred();
    script.push(heldAnswer(['no ', 'read'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'go', title: 't' });
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(chatd.subscribe(chat.id), events, isStatus('waiting'));
    await vi.waitFor(() => expect(events.some((e) => e.type === 'message-part')).toBe(true), {
      timeout: 20_000,
    });
    const counter = countReads(testStore.store);
    release.resolve();
    await reading;
    counter.restore();
    // The commit (message and turn's end in one transaction) came from the engine itself.
    expect(counter.reads).toBe(0);
    expect(describeEvents(events).slice(-2)).toEqual(['message assistant', 'status waiting']);
    const committed = events.find(
      (event) => event.type === 'message' && event.message.role === 'assistant',
    );
    const [stored] = (await chatd.listMessages(chat.id)).messages.filter(
      (message) => message.role === 'assistant',
    );
    // As a read would have shown it: id, content, creation time.
    expect(committed).toMatchObject({ message: stored });
  });

  it('a turn that ends with a queued message is read again: the commit also started the next message', async () => {
    const { chatd, script, testStore } = await engine();
    const release = deferred();
    script.push(heldAnswer(['first'], 1, release.promise));
    script.push({ parts: textAnswer('second') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'one', title: 't' });
    const events: ChatStreamEventWithCursor[] = [];
    const reading = read(
      chatd.subscribe(chat.id),
      events,
      (event) =>
        event.type === 'message' &&
        event.message.role === 'assistant' &&
        JSON.stringify(event.message.content).includes('second'),
    );
    await vi.waitFor(() => expect(events.some((e) => e.type === 'message-part')).toBe(true), {
      timeout: 20_000,
    });
    await chatd.sendMessage(chat.id, { content: 'two', busy: 'queue' });
    const counter = countReads(testStore.store);
    release.resolve();
    await reading;
    counter.restore();
    expect(counter.reads).toBeGreaterThan(0);
    const messages = describeEvents(events).filter((event) => event.startsWith('message'));
    expect(messages).toEqual([
      'message user',
      'message assistant',
      'message user',
      'message assistant',
    ]);
  });

  it('a subscriber that stops reading holds nothing up and catches up in order when it reads again', async () => {
    const { chatd, script } = await engine();
    const release = deferred();
    script.push(heldAnswer(['x', 'y', 'z'], 1, release.promise));
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'go', title: 't' });
    const iterator = chatd.subscribe(chat.id)[Symbol.asyncIterator]();
    const seen: ChatStreamEventWithCursor[] = [];
    while (!(seen.at(-1)?.type === 'message-part')) seen.push((await iterator.next()).value);
    // Not reading from here: the turn still runs to its end.
    release.resolve();
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 20_000,
    });
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) break;
      seen.push(value);
      if (value.type === 'status' && value.status === 'waiting') break;
    }
    await iterator.return?.();
    const described = describeEvents(seen);
    // It missed the rest of the episode (the answer is committed now) and gets the answer.
    expect(described).toContain('message assistant');
    expect(described.at(-1) === 'status waiting' || described.includes('status waiting')).toBe(
      true,
    );
    const seqs = seen.filter((event) => event.type === 'message-part').map((event) => event.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  });

  it('afterMessageId leaves out the messages the client has, but not the status, queue and preview reset (a reconnect)', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('first answer') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 't' });
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 20_000,
    });
    const { messages } = await chatd.listMessages(chat.id);
    const userMessage = messages.find((message) => message.role === 'user');
    const events: ChatStreamEventWithCursor[] = [];
    await read(
      chatd.subscribe(chat.id, { afterMessageId: userMessage?.id as number }),
      events,
      (event) => event.type === 'preview-reset',
    );
    expect(describeEvents(events)).toEqual([
      'message assistant',
      'queue-update',
      'status waiting',
      'preview-reset',
    ]);
  });

  it('an edit sends history-reset and the rewritten history, then the new turn', async () => {
    const { chatd, script } = await engine();
    script.push({ parts: textAnswer('first answer') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 't' });
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 20_000,
    });
    const events: ChatStreamEventWithCursor[] = [];
    const stream = chatd.subscribe(chat.id);
    const reading = read(
      stream,
      events,
      (event) =>
        event.type === 'message' &&
        event.message.role === 'assistant' &&
        events.some((e) => e.type === 'history-reset'),
    );
    await vi.waitFor(() =>
      expect(events.some((event) => event.type === 'preview-reset')).toBe(true),
    );
    const { messages } = await chatd.listMessages(chat.id);
    const userMessage = messages.find((message) => message.role === 'user');
    script.push({ parts: textAnswer('second answer') });
    await chatd.editMessage(chat.id, userMessage?.id as number, { content: 'hello again' });
    await reading;
    const afterReset = events.slice(events.findIndex((event) => event.type === 'history-reset'));
    expect(describeEvents(afterReset).slice(0, 2)).toEqual(['history-reset', 'message user']);
    // The edit replaced the message: the old one and the answer to it are gone.
    expect(afterReset[1]).toMatchObject({
      message: { content: { parts: [{ type: 'text', text: 'hello again' }] } },
    });
    const ids = afterReset.flatMap((event) => (event.type === 'message' ? [event.message.id] : []));
    expect(ids).not.toContain(userMessage?.id);
    expect(afterReset.at(-1)).toMatchObject({
      message: { content: { parts: [{ type: 'text', text: 'second answer' }] } },
    });
  });

  it('refuses a malformed cursor at once and fails iteration of an unknown chat with CHAT_NOT_FOUND', async () => {
    const { chatd } = await engine();
    expect(() =>
      chatd.subscribe('00000000-0000-4000-8000-000000000009', { cursor: 'nope' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'cursor' }));
    const iterator = chatd
      .subscribe('00000000-0000-4000-8000-000000000009')
      [Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    const malformed = chatd.subscribe('not a chat id')[Symbol.asyncIterator]();
    await expect(malformed.next()).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });

  it('answers next() calls made together in order, and a reader that breaks out releases the feed', async () => {
    const { chatd, script, testStore } = await engine();
    script.push({ parts: textAnswer('one two') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 't' });
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 20_000,
    });
    const channelsBefore = testStore.store.pubsub.channelCount;
    const sequential: ChatStreamEventWithCursor[] = [];
    for await (const event of chatd.subscribe(chat.id)) {
      sequential.push(event);
      if (isStatus('waiting')(event)) break;
    }
    expect(testStore.store.pubsub.channelCount).toBe(channelsBefore);
    const iterator = chatd.subscribe(chat.id)[Symbol.asyncIterator]();
    const together = await Promise.all(sequential.map(() => iterator.next()));
    expect(together.map((result) => result.value)).toEqual(sequential);
    expect(testStore.store.pubsub.channelCount).toBeGreaterThan(channelsBefore);
    await expect(iterator.return?.()).resolves.toEqual({ value: undefined, done: true });
    expect(testStore.store.pubsub.channelCount).toBe(channelsBefore);
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('leaves no timer, listener or channel behind once its subscribers and chatd are gone', async () => {
    const { chatd, script, testStore } = await engine();
    script.push({ parts: textAnswer('bye') });
    const chat = await chatd.createChat({ ownerId: 'ann', content: 'hi', title: 't' });
    await vi.waitFor(async () => expect((await chatd.getChat(chat.id)).status).toBe('waiting'), {
      timeout: 20_000,
    });
    await vi.waitFor(() => expect(chatd.stats().liveRunners).toBe(0));
    const channelsBefore = testStore.store.pubsub.channelCount;
    const before = snapshotResources();
    const stop = new AbortController();
    const events: ChatStreamEventWithCursor[] = [];
    const readers = Array.from({ length: 3 }, () =>
      read(chatd.subscribe(chat.id, { signal: stop.signal }), events, () => false),
    );
    await vi.waitFor(() => expect(events.some(isStatus('waiting'))).toBe(true), {
      timeout: 20_000,
    });
    stop.abort();
    await Promise.all(readers);
    expect(testStore.store.pubsub.channelCount).toBe(channelsBefore);
    // A stream still open when chatd closes ends.
    const late = read(chatd.subscribe(chat.id), [], () => false);
    await vi.waitFor(() =>
      expect(testStore.store.pubsub.channelCount).toBeGreaterThan(channelsBefore),
    );
    await chatd.close();
    await late;
    expect(testStore.store.pubsub.channelCount).toBeLessThanOrEqual(channelsBefore);
    expect(await newResourcesSince(before)).toEqual([]);
  });
});
