import { Buffer } from 'node:buffer';
import { getEventListeners } from 'node:events';
import {
  type ChatMessageRole,
  type ChatStreamPart,
  type Clock,
  realClock,
  type TimerHandle,
} from '@chatd/core';
import { errorOf, ManualClock, newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EpisodeKey,
  type EpisodeSubscription,
  MessagePartBuffer,
  type MessagePartBufferOptions,
  type StoredPart,
} from '../index.js';

const key = (generationAttempt = 0, chatId = 'chat-1'): EpisodeKey => ({
  chatId,
  historyVersion: 1,
  generationAttempt,
});
const textDelta = (delta: string): ChatStreamPart => ({ type: 'text-delta', id: 't1', delta });
const envelopeBytes = (stored: StoredPart): number =>
  Buffer.byteLength(JSON.stringify({ seq: stored.seq, role: stored.role, part: stored.part }));

/** Every buffer a test makes is closed after it, and must leave no timer behind. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function setup(options: MessagePartBufferOptions = {}) {
  const clock = new ManualClock();
  const buffer = new MessagePartBuffer({ clock, ...options });
  cleanups.push(async () => {
    await buffer.close();
    expect(clock.pendingTimerCount).toBe(0);
  });
  return { clock, buffer };
}

async function collect(subscription: EpisodeSubscription): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  for await (const part of subscription) parts.push(part);
  return parts;
}

function reader(subscription: EpisodeSubscription): AsyncIterator<StoredPart> {
  return subscription[Symbol.asyncIterator]();
}

/** Lets a promise report whether it has settled, without awaiting it. */
function track(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

describe("MessagePartBuffer: the behaviours of Coder's buffer", () => {
  it('rejects creating the same episode twice with EPISODE_EXISTS', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    expect(errorOf(() => buffer.createEpisode(key()))).toMatchObject({ code: 'EPISODE_EXISTS' });
  });

  it('returns an added part with seq 1, the given role and content', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('hello'));
    expect(buffer.getParts(key())).toEqual([
      { seq: 1, role: 'assistant', part: textDelta('hello') },
    ]);
  });

  it('reports an unknown episode as EPISODE_NOT_FOUND to addPart and getParts', () => {
    const { buffer } = setup();
    expect(errorOf(() => buffer.addPart(key(), 'assistant', textDelta('x')))).toMatchObject({
      code: 'EPISODE_NOT_FOUND',
    });
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
  });

  it('rejects a part larger than maxEpisodeBytes with EPISODE_FULL and stores nothing', () => {
    const { buffer } = setup({ maxEpisodeBytes: 1 });
    buffer.createEpisode(key());
    expect(errorOf(() => buffer.addPart(key(), 'assistant', textDelta('hello')))).toMatchObject({
      code: 'EPISODE_FULL',
    });
    expect(buffer.getParts(key())).toEqual([]);
  });

  it('counts the JSON envelope: a limit equal to the first envelope takes it, then is full', () => {
    const first = { seq: 1, role: 'assistant' as const, part: textDelta('hello') };
    const { buffer } = setup({ maxEpisodeBytes: envelopeBytes(first) });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('hello'));
    expect(errorOf(() => buffer.addPart(key(), 'assistant', textDelta('!')))).toMatchObject({
      code: 'EPISODE_FULL',
    });
    expect(buffer.getParts(key())).toHaveLength(1);
  });

  it('closing a missing episode creates it closed and empty', () => {
    const { buffer } = setup();
    buffer.closeEpisode(key());
    expect(buffer.getParts(key())).toEqual([]);
    expect(errorOf(() => buffer.addPart(key(), 'assistant', textDelta('x')))).toMatchObject({
      code: 'EPISODE_CLOSED',
    });
  });

  it('closing an episode twice succeeds both times', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.closeEpisode(key());
    expect(() => buffer.closeEpisode(key())).not.toThrow();
  });

  it('replays stored parts to a new subscriber, then streams new ones', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    const parts = reader(buffer.subscribe(key()));
    expect((await parts.next()).value).toMatchObject({ seq: 1, part: textDelta('a') });
    buffer.addPart(key(), 'assistant', textDelta('b'));
    expect((await parts.next()).value).toMatchObject({ seq: 2, part: textDelta('b') });
  });

  it('replays a closed episode to a new subscriber, then ends', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.addPart(key(), 'assistant', textDelta('b'));
    buffer.closeEpisode(key());
    const received = await collect(buffer.subscribe(key()));
    expect(received.map((stored) => stored.seq)).toEqual([1, 2]);
  });

  it('a subscriber that arrives before creation waits, then receives live parts', async () => {
    const { buffer } = setup();
    const subscription = buffer.subscribe(key());
    const parts = reader(subscription);
    const first = parts.next();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('live'));
    expect((await first).value).toMatchObject({ seq: 1, part: textDelta('live') });
  });

  it('numbers parts 1, 2, 3', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const seqs = ['a', 'b', 'c'].map(
      (delta) => buffer.addPart(key(), 'assistant', textDelta(delta)).seq,
    );
    expect(seqs).toEqual([1, 2, 3]);
    expect(buffer.getParts(key()).map((stored) => stored.seq)).toEqual([1, 2, 3]);
  });

  it('retains an expired closed episode while it has a subscriber, collects it after', async () => {
    const { clock, buffer } = setup({
      closedEpisodeRetentionMs: 60_000,
      subscriberSendTimeoutMs: 120_000, // the subscriber must outlive the retention window
    });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.closeEpisode(key());
    const subscription = buffer.subscribe(key()); // never reads: stays attached
    await clock.advance(61_000);
    expect(buffer.getParts(key())).toHaveLength(1);
    subscription.cancel();
    expect(await subscription.ended).toBe('cancelled');
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
  });

  it('an expired episode retained for its subscriber does not hold back another', async () => {
    const { clock, buffer } = setup({
      closedEpisodeRetentionMs: 60_000,
      subscriberSendTimeoutMs: 120_000,
    });
    for (const attempt of [0, 1]) {
      buffer.createEpisode(key(attempt));
      buffer.addPart(key(attempt), 'assistant', textDelta('a'));
      buffer.closeEpisode(key(attempt));
    }
    buffer.subscribe(key(0)); // retains attempt 0
    await clock.advance(61_000);
    expect(errorOf(() => buffer.getParts(key(1)))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
    expect(buffer.getParts(key(0))).toHaveLength(1);
  });

  it('drops a subscriber that does not take a part within the send timeout', async () => {
    const { clock, buffer } = setup({ subscriberSendTimeoutMs: 1_000 });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    const subscription = buffer.subscribe(key());
    await clock.advance(999);
    expect(track(subscription.ended).settled).toBe(false);
    await clock.advance(1);
    expect(await subscription.ended).toBe('too-slow');
    expect(await reader(subscription).next()).toEqual({ done: true, value: undefined });
  });

  it('delivers a burst of 8 parts added before reading, complete and in order', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    for (let index = 1; index <= 8; index++) {
      buffer.addPart(key(), 'assistant', textDelta(`part ${index}`));
    }
    buffer.closeEpisode(key());
    const received = await collect(subscription);
    expect(received.map((stored) => stored.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(received.map((stored) => stored.part)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((index) => textDelta(`part ${index}`)),
    );
  });

  it('a subscription aborted before creation leaves the key free to create', async () => {
    const { buffer } = setup();
    const controller = new AbortController();
    const subscription = buffer.subscribe(key(), { signal: controller.signal });
    controller.abort();
    expect(await subscription.ended).toBe('cancelled');
    expect(() => buffer.createEpisode(key())).not.toThrow();
  });

  it('cancelling a subscription made before creation removes its placeholder', async () => {
    const { buffer } = setup();
    const subscription = buffer.subscribe(key());
    expect(buffer.episodeCount()).toBe(1);
    subscription.cancel();
    await subscription.ended;
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
    expect(buffer.episodeCount()).toBe(0);
  });

  it('close() ends pending subscriptions and later createEpisode fails with BUFFER_CLOSED', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    const pending = reader(subscription).next();
    await buffer.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await subscription.ended).toBe('buffer-closed');
    expect(errorOf(() => buffer.createEpisode(key(1)))).toMatchObject({ code: 'BUFFER_CLOSED' });
  });
});

describe('MessagePartBuffer: parts added through one key object', () => {
  it('go to the episode the key names now, when the object was changed in between', () => {
    const { buffer } = setup();
    const sameObject = { ...key(0) };
    buffer.createEpisode(key(0));
    buffer.createEpisode(key(1));
    buffer.addPart(sameObject, 'assistant', textDelta('a'));
    sameObject.generationAttempt = 1;
    buffer.addPart(sameObject, 'assistant', textDelta('b'));
    expect(buffer.getParts(key(0)).map((stored) => stored.part)).toEqual([textDelta('a')]);
    expect(buffer.getParts(key(1)).map((stored) => stored.part)).toEqual([textDelta('b')]);
  });

  it('go to a new episode of the same key once the old one was collected', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: 1_000 });
    const sameObject = key(0);
    buffer.createEpisode(sameObject);
    buffer.addPart(sameObject, 'assistant', textDelta('old'));
    buffer.closeEpisode(sameObject);
    await clock.advance(1_000);
    expect(errorOf(() => buffer.addPart(sameObject, 'assistant', textDelta('x')))).toMatchObject({
      code: 'EPISODE_NOT_FOUND',
    });
    buffer.createEpisode(sameObject);
    expect(buffer.addPart(sameObject, 'assistant', textDelta('new')).seq).toBe(1);
    expect(buffer.getParts(sameObject).map((stored) => stored.part)).toEqual([textDelta('new')]);
  });

  it('are refused once the episode is closed, and after the buffer closes', async () => {
    const { buffer } = setup();
    const sameObject = key(0);
    buffer.createEpisode(sameObject);
    buffer.addPart(sameObject, 'assistant', textDelta('a'));
    buffer.closeEpisode(sameObject);
    expect(errorOf(() => buffer.addPart(sameObject, 'assistant', textDelta('b')))).toMatchObject({
      code: 'EPISODE_CLOSED',
    });
    await buffer.close();
    expect(errorOf(() => buffer.addPart(sameObject, 'assistant', textDelta('c')))).toMatchObject({
      code: 'BUFFER_CLOSED',
    });
  });
});

describe('MessagePartBuffer: subscription end reasons', () => {
  it("ends with 'completed' once the episode is closed and everything was delivered", async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.closeEpisode(key());
    expect(await collect(subscription)).toHaveLength(1);
    expect(await subscription.ended).toBe('completed');
  });

  it("ends with 'cancelled' when cancel() is called", async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    const pending = reader(subscription).next();
    subscription.cancel();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await subscription.ended).toBe('cancelled');
  });

  it("ends with 'cancelled' when the consumer breaks out of for await", async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.addPart(key(), 'assistant', textDelta('b'));
    const subscription = buffer.subscribe(key());
    for await (const stored of subscription) {
      expect(stored.seq).toBe(1);
      break;
    }
    expect(await subscription.ended).toBe('cancelled');
  });

  it("ends with 'cancelled' when its signal aborts", async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const controller = new AbortController();
    const subscription = buffer.subscribe(key(), { signal: controller.signal });
    controller.abort();
    expect(await subscription.ended).toBe('cancelled');
  });

  it("ends with 'too-slow' when a part waits longer than the send timeout", async () => {
    const { clock, buffer } = setup({ subscriberSendTimeoutMs: 500 });
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    await clock.advance(500);
    expect(await subscription.ended).toBe('too-slow');
  });

  it("ends with 'buffer-closed' when the buffer closes", async () => {
    const { buffer } = setup();
    const subscription = buffer.subscribe(key());
    await buffer.close();
    expect(await subscription.ended).toBe('buffer-closed');
  });

  it('keeps the first reason when several end it', async () => {
    const { buffer } = setup();
    const subscription = buffer.subscribe(key());
    subscription.cancel();
    await buffer.close();
    expect(await subscription.ended).toBe('cancelled');
  });
});

describe('MessagePartBuffer: subscribers leave their episode on every end path', () => {
  // A subscriber still attached to a closed episode would keep it past its retention window,
  // so an episode that is collected on time proves its subscriber was detached.
  const retentionMs = 1_000;
  async function expectCollected(clock: ManualClock, buffer: MessagePartBuffer): Promise<void> {
    buffer.closeEpisode(key());
    await clock.advance(retentionMs);
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
    expect(buffer.episodeCount()).toBe(0);
  }

  it('after completing', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    buffer.closeEpisode(key());
    expect(await subscription.ended).toBe('completed');
    await expectCollected(clock, buffer);
  });

  it('after cancel()', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    subscription.cancel();
    await expectCollected(clock, buffer);
  });

  it('after its signal aborts, removing its abort listener', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    buffer.createEpisode(key());
    const controller = new AbortController();
    buffer.subscribe(key(), { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expectCollected(clock, buffer);
  });

  it('after being too slow, removing its abort listener', async () => {
    const { clock, buffer } = setup({
      closedEpisodeRetentionMs: retentionMs * 10,
      subscriberSendTimeoutMs: 100,
    });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    const controller = new AbortController();
    const subscription = buffer.subscribe(key(), { signal: controller.signal });
    await clock.advance(100);
    expect(await subscription.ended).toBe('too-slow');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    buffer.closeEpisode(key());
    await clock.advance(retentionMs * 10);
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
  });

  it('after the buffer closes, removing its abort listener', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const controller = new AbortController();
    buffer.subscribe(key(), { signal: controller.signal });
    await buffer.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(buffer.episodeCount()).toBe(0);
  });

  it('removing the placeholder of a subscriber that ended before creation', async () => {
    const { buffer } = setup();
    const controller = new AbortController();
    const cancelled = buffer.subscribe(key(0));
    const aborted = buffer.subscribe(key(1), { signal: controller.signal });
    expect(buffer.episodeCount()).toBe(2);
    cancelled.cancel();
    controller.abort();
    await Promise.all([cancelled.ended, aborted.ended]);
    expect(buffer.episodeCount()).toBe(0);
  });

  it('keeping the placeholder while another early subscriber remains', async () => {
    const { buffer } = setup();
    const first = buffer.subscribe(key());
    const second = buffer.subscribe(key());
    first.cancel();
    await first.ended;
    expect(buffer.episodeCount()).toBe(1);
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    expect((await reader(second).next()).value).toMatchObject({ seq: 1 });
  });
});

describe('MessagePartBuffer: signals', () => {
  it('ends at once, leaving no placeholder, when the signal aborted before subscribing', async () => {
    const { buffer } = setup();
    const subscription = buffer.subscribe(key(), { signal: AbortSignal.abort() });
    expect(await subscription.ended).toBe('cancelled');
    expect(buffer.episodeCount()).toBe(0);
    expect(await reader(subscription).next()).toEqual({ done: true, value: undefined });
  });

  it('ends a subscription mid-stream when the signal aborts after the episode was created', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const controller = new AbortController();
    const subscription = buffer.subscribe(key(), { signal: controller.signal });
    const parts = reader(subscription);
    buffer.addPart(key(), 'assistant', textDelta('a'));
    expect((await parts.next()).value).toMatchObject({ seq: 1 });
    const pending = parts.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await subscription.ended).toBe('cancelled');
    // Aborting a subscriber never stops the producer.
    expect(buffer.addPart(key(), 'assistant', textDelta('b')).seq).toBe(2);
  });
});

describe('MessagePartBuffer: send timeout', () => {
  it('never evicts a subscriber that reads slowly but within the timeout', async () => {
    const { clock, buffer } = setup({ subscriberSendTimeoutMs: 1_000 });
    buffer.createEpisode(key());
    for (let index = 0; index < 5; index++) buffer.addPart(key(), 'assistant', textDelta('x'));
    buffer.closeEpisode(key());
    const subscription = buffer.subscribe(key());
    const parts = reader(subscription);
    const seqs: number[] = [];
    // 5 parts, each taken 900 ms after it was offered: 4.5 s in all, far past one timeout.
    for (let index = 0; index < 5; index++) {
      await clock.advance(900);
      const result = await parts.next();
      seqs.push((result.value as StoredPart).seq);
    }
    expect(await parts.next()).toEqual({ done: true, value: undefined });
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(await subscription.ended).toBe('completed');
  });

  it('starts the timeout when a part is ready, even if iteration never started', async () => {
    const { clock, buffer } = setup({ subscriberSendTimeoutMs: 1_000 });
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    await clock.advance(5_000); // idle with nothing to send: no timeout runs
    expect(track(subscription.ended).settled).toBe(false);
    expect(clock.pendingTimerCount).toBe(0);
    buffer.addPart(key(), 'assistant', textDelta('a'));
    await clock.advance(1_000);
    expect(await subscription.ended).toBe('too-slow');
  });

  it('drops only the slow subscriber; the others keep receiving', async () => {
    const { clock, buffer } = setup({ subscriberSendTimeoutMs: 1_000 });
    buffer.createEpisode(key());
    const slow = buffer.subscribe(key());
    const fast = reader(buffer.subscribe(key()));
    buffer.addPart(key(), 'assistant', textDelta('a'));
    expect((await fast.next()).value).toMatchObject({ seq: 1 });
    await clock.advance(1_000);
    expect(await slow.ended).toBe('too-slow');
    buffer.addPart(key(), 'assistant', textDelta('b'));
    expect((await fast.next()).value).toMatchObject({ seq: 2 });
  });
});

describe('MessagePartBuffer: afterSeq', () => {
  it('skips the parts the consumer already has', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    for (const delta of ['a', 'b', 'c']) buffer.addPart(key(), 'assistant', textDelta(delta));
    buffer.closeEpisode(key());
    const received = await collect(buffer.subscribe(key(), { afterSeq: 2 }));
    expect(received.map((stored) => stored.seq)).toEqual([3]);
  });

  it('beyond the last stored seq, delivers only parts added later', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    const subscription = buffer.subscribe(key(), { afterSeq: 2 });
    for (const delta of ['b', 'c']) buffer.addPart(key(), 'assistant', textDelta(delta));
    buffer.closeEpisode(key());
    expect((await collect(subscription)).map((stored) => stored.seq)).toEqual([3]);
  });

  it('completes at once on a closed episode the consumer already has in full', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.closeEpisode(key());
    const subscription = buffer.subscribe(key(), { afterSeq: 1 });
    expect(await collect(subscription)).toEqual([]);
    expect(await subscription.ended).toBe('completed');
  });

  it.each([-1, 1.5, Number.NaN, '1'])('rejects afterSeq %s with INVALID_ARGUMENT', (bad) => {
    const { buffer } = setup();
    expect(errorOf(() => buffer.subscribe(key(), { afterSeq: bad as number }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(buffer.episodeCount()).toBe(0);
  });
});

describe('MessagePartBuffer: maxTotalBytes', () => {
  const part = textDelta('0123456789');
  const partBytes = envelopeBytes({ seq: 1, role: 'assistant', part });

  it('rejects a part that would take all episodes past the cap with BUFFER_FULL', () => {
    const { buffer } = setup({ maxTotalBytes: partBytes * 2 });
    buffer.createEpisode(key(0));
    buffer.createEpisode(key(1));
    buffer.addPart(key(0), 'assistant', part);
    buffer.addPart(key(1), 'assistant', part);
    buffer.createEpisode(key(2));
    expect(errorOf(() => buffer.addPart(key(2), 'assistant', part))).toMatchObject({
      code: 'BUFFER_FULL',
      retryable: true,
    });
    expect(buffer.getParts(key(2))).toEqual([]);
  });

  it('frees an episode’s bytes when it is collected', async () => {
    const { clock, buffer } = setup({ maxTotalBytes: partBytes, closedEpisodeRetentionMs: 1_000 });
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', part);
    expect(buffer.bytes).toBe(partBytes);
    buffer.closeEpisode(key(0));
    buffer.createEpisode(key(1));
    expect(errorOf(() => buffer.addPart(key(1), 'assistant', part))).toMatchObject({
      code: 'BUFFER_FULL',
    });
    await clock.advance(1_000); // the collection timer drops episode 0
    expect(buffer.episodeCount()).toBe(1);
    expect(buffer.bytes).toBe(0);
    expect(buffer.addPart(key(1), 'assistant', part).seq).toBe(1);
  });

  it('collects expired episodes before refusing a part', async () => {
    const { clock, buffer } = setup({ maxTotalBytes: partBytes, closedEpisodeRetentionMs: 1_000 });
    buffer.closeEpisode(key(9)); // at 0 ms: starts the timer, which fires at 1000 and 2000 ms
    await clock.advance(500);
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', part);
    buffer.closeEpisode(key(0)); // at 500 ms: expires at 1500 ms, collected by the timer at 2000
    buffer.createEpisode(key(1));
    await clock.advance(1_000);
    expect(clock.pendingTimerCount).toBe(1);
    expect(buffer.addPart(key(1), 'assistant', part).seq).toBe(1);
  });

  it('is independent of maxEpisodeBytes', () => {
    const { buffer } = setup({ maxEpisodeBytes: partBytes, maxTotalBytes: partBytes * 10 });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', part);
    expect(errorOf(() => buffer.addPart(key(), 'assistant', part))).toMatchObject({
      code: 'EPISODE_FULL',
    });
  });
});

describe('MessagePartBuffer: retention', () => {
  const retentionMs = 1_000;
  /** Whether `getParts`, which collects expired episodes first, still finds the episode. */
  function present(buffer: MessagePartBuffer, attempt: number): boolean {
    try {
      buffer.getParts(key(attempt));
      return true;
    } catch (error) {
      expect(error).toMatchObject({ code: 'EPISODE_NOT_FOUND' });
      return false;
    }
  }
  const presentOf = (buffer: MessagePartBuffer): boolean[] =>
    [0, 1, 2].map((attempt) => present(buffer, attempt));

  it('collects closed episodes one by one, in the order they closed', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    for (const attempt of [0, 1, 2]) buffer.createEpisode(key(attempt));
    // Closed in an order that is neither key order nor creation order.
    buffer.closeEpisode(key(2)); // at 0 ms: expires at 1000
    await clock.advance(300);
    buffer.closeEpisode(key(0)); // at 300 ms: expires at 1300
    await clock.advance(300);
    buffer.closeEpisode(key(1)); // at 600 ms: expires at 1600
    await clock.advance(399);
    expect(presentOf(buffer)).toEqual([true, true, true]);
    await clock.advance(1); // 1000 ms
    expect(presentOf(buffer)).toEqual([true, true, false]);
    await clock.advance(299);
    expect(presentOf(buffer)).toEqual([true, true, false]);
    await clock.advance(1); // 1300 ms
    expect(presentOf(buffer)).toEqual([false, true, false]);
    await clock.advance(299);
    expect(presentOf(buffer)).toEqual([false, true, false]);
    await clock.advance(1); // 1600 ms
    expect(presentOf(buffer)).toEqual([false, false, false]);
    expect(buffer.episodeCount()).toBe(0);
  });

  it('collects an episode that closed behind a retained one when it expires', async () => {
    const { clock, buffer } = setup({
      closedEpisodeRetentionMs: retentionMs,
      subscriberSendTimeoutMs: 60_000,
    });
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', textDelta('a'));
    buffer.closeEpisode(key(0));
    const subscription = buffer.subscribe(key(0)); // does not read: retains attempt 0
    await clock.advance(500);
    buffer.closeEpisode(key(1)); // at 500 ms: expires at 1500
    await clock.advance(1_000);
    expect(presentOf(buffer)).toEqual([true, false, false]);
    subscription.cancel();
    await subscription.ended;
    expect(presentOf(buffer)).toEqual([false, false, false]);
  });

  it('closing a closed episode again does not extend its retention', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    buffer.closeEpisode(key(0)); // at 0 ms
    await clock.advance(600);
    buffer.closeEpisode(key(0)); // a no-op: still expires at 1000
    await clock.advance(400);
    expect(present(buffer, 0)).toBe(false);
  });

  it('a key created again after collection is a new episode with its own retention', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: retentionMs });
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', textDelta('old'));
    buffer.closeEpisode(key(0)); // at 0 ms
    await clock.advance(retentionMs);
    expect(present(buffer, 0)).toBe(false);
    buffer.createEpisode(key(0));
    expect(buffer.getParts(key(0))).toEqual([]);
    buffer.addPart(key(0), 'assistant', textDelta('new'));
    await clock.advance(300);
    buffer.closeEpisode(key(0)); // at 1300 ms: expires at 2300
    await clock.advance(999);
    expect(buffer.getParts(key(0))).toEqual([
      { seq: 1, role: 'assistant', part: textDelta('new') },
    ]);
    await clock.advance(1);
    expect(present(buffer, 0)).toBe(false);
  });
});

describe('MessagePartBuffer: collection timer', () => {
  it('holds no timer while no closed episode waits for collection', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: 1_000 });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    expect(clock.pendingTimerCount).toBe(0);
    buffer.closeEpisode(key());
    expect(clock.pendingTimerCount).toBe(1);
    await clock.advance(1_000);
    expect(buffer.episodeCount()).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('keeps running while an expired episode is retained, and stops after collecting it', async () => {
    const { clock, buffer } = setup({
      closedEpisodeRetentionMs: 1_000,
      subscriberSendTimeoutMs: 60_000,
    });
    buffer.createEpisode(key());
    buffer.addPart(key(), 'assistant', textDelta('a'));
    buffer.closeEpisode(key());
    const subscription = buffer.subscribe(key()); // does not read: retains the episode
    await clock.advance(3_000);
    expect(buffer.episodeCount()).toBe(1);
    // The subscriber's send timeout and the collection timer, which re-examines the episode.
    expect(clock.pendingTimerCount).toBe(2);
    subscription.cancel();
    await subscription.ended;
    await clock.advance(1_000);
    expect(buffer.episodeCount()).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('stops when createEpisode or getParts collect the last closed episode', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: 1_000 });
    buffer.closeEpisode(key(0)); // at 0 ms: starts the timer, which fires at 1000 and 2000 ms
    await clock.advance(500);
    buffer.closeEpisode(key(1)); // at 500 ms: expires at 1500 ms
    await clock.advance(1_000); // the timer collected episode 0 at 1000 ms
    expect(buffer.episodeCount()).toBe(1);
    expect(clock.pendingTimerCount).toBe(1);
    buffer.createEpisode(key(2)); // collects episode 1: nothing is left to collect
    expect(buffer.episodeCount()).toBe(1);
    expect(clock.pendingTimerCount).toBe(0);
  });
});

describe('MessagePartBuffer: stored parts', () => {
  it('returns the stored, frozen part from addPart, and subscribers receive that object', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const subscription = buffer.subscribe(key());
    const part = textDelta('a');
    const stored = buffer.addPart(key(), 'assistant', part);
    expect(stored).toEqual({ seq: 1, role: 'assistant', part });
    expect(Object.isFrozen(stored)).toBe(true);
    expect(stored.part).toBe(part); // stored as given, not copied
    expect((await reader(subscription).next()).value).toBe(stored);
  });

  it('getParts returns a detached array of fresh envelopes that share the part objects', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const part = textDelta('a');
    buffer.addPart(key(), 'assistant', part);
    const first = buffer.getParts(key());
    first.push({ seq: 99, role: 'user', part: textDelta('x') });
    (first[0] as { seq: number }).seq = 42;
    const second = buffer.getParts(key());
    expect(second).toEqual([{ seq: 1, role: 'assistant', part }]);
    expect(second[0]?.part).toBe(part);
  });

  it('rejects an unknown role with INVALID_ARGUMENT, without using a seq', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    for (const role of ['robot', undefined]) {
      expect(() =>
        buffer.addPart(key(), role as unknown as ChatMessageRole, textDelta('a')),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'role' }));
    }
    expect(buffer.addPart(key(), 'tool', textDelta('a')).seq).toBe(1);
  });

  it('rejects a part that cannot be serialised, without using a seq', () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    const cyclic: Record<string, unknown> = { ...textDelta('a') };
    cyclic.self = cyclic;
    const withBigInt = { ...textDelta('a'), size: 1n };
    for (const bad of [cyclic, withBigInt]) {
      expect(
        errorOf(() => buffer.addPart(key(), 'assistant', bad as unknown as ChatStreamPart)),
      ).toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(buffer.addPart(key(), 'assistant', textDelta('a')).seq).toBe(1);
  });
});

describe('MessagePartBuffer: arguments and options', () => {
  it.each([
    ['maxEpisodeBytes', 0],
    ['maxEpisodeBytes', -1],
    ['maxEpisodeBytes', 1.5],
    ['maxTotalBytes', 0],
    ['maxTotalBytes', Number.NaN],
    ['closedEpisodeRetentionMs', 0],
    ['closedEpisodeRetentionMs', 2 ** 31],
    ['subscriberSendTimeoutMs', -5],
    ['subscriberSendTimeoutMs', Number.POSITIVE_INFINITY],
    ['subscriberSendTimeoutMs', '10'],
  ])('rejects %s = %s with INVALID_ARGUMENT naming it', (name, value) => {
    expect(() => new MessagePartBuffer({ [name]: value } as MessagePartBufferOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: name }),
    );
  });

  it('rejects a misspelt option, naming it, instead of using the default', () => {
    expect(
      () => new MessagePartBuffer({ maxEpisodebytes: 10 } as unknown as MessagePartBufferOptions),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options.maxEpisodebytes' }),
    );
  });

  const badKeys: [string, unknown][] = [
    ['key', null],
    ['key.chatId', { chatId: '', historyVersion: 1, generationAttempt: 0 }],
    ['key.chatId', { chatId: 7, historyVersion: 1, generationAttempt: 0 }],
    ['key.historyVersion', { chatId: 'c', historyVersion: -1, generationAttempt: 0 }],
    ['key.historyVersion', { chatId: 'c', historyVersion: 2 ** 53, generationAttempt: 0 }],
    ['key.generationAttempt', { chatId: 'c', historyVersion: 1, generationAttempt: 0.5 }],
    ['key.generationAttempt', { chatId: 'c', historyVersion: 1 }],
  ];
  it.each(badKeys)('rejects a key with a bad %s in every method', (argument, bad) => {
    const { buffer } = setup();
    const badKey = bad as EpisodeKey;
    const calls = [
      () => buffer.createEpisode(badKey),
      () => buffer.addPart(badKey, 'assistant', textDelta('a')),
      () => buffer.closeEpisode(badKey),
      () => buffer.getParts(badKey),
      () => buffer.subscribe(badKey),
    ];
    for (const call of calls) {
      expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument }));
    }
    expect(buffer.episodeCount()).toBe(0);
  });

  it('keeps chat ids containing the key separator apart', () => {
    const { buffer } = setup();
    buffer.createEpisode({ chatId: '1:2', historyVersion: 3, generationAttempt: 4 });
    expect(() =>
      buffer.createEpisode({ chatId: '2', historyVersion: 3, generationAttempt: 4 }),
    ).not.toThrow();
    expect(() =>
      buffer.createEpisode({ chatId: '4:1:2', historyVersion: 3, generationAttempt: 0 }),
    ).not.toThrow();
  });
});

describe('MessagePartBuffer: errors', () => {
  it('names the episode in its errors and carries a copy of the key', () => {
    const { buffer } = setup();
    const episodeKey = { chatId: 'chat-7', historyVersion: 3, generationAttempt: 2 };
    expect(errorOf(() => buffer.getParts(episodeKey))).toMatchObject({
      name: 'EpisodeNotFoundError',
      code: 'EPISODE_NOT_FOUND',
      key: episodeKey,
      retryable: false,
      message: 'Episode (chat "chat-7", history version 3, attempt 2) not found',
    });
  });
});

describe('MessagePartBuffer: close', () => {
  it('makes every later call throw BUFFER_CLOSED', async () => {
    const { buffer } = setup();
    await buffer.close();
    expect(errorOf(() => buffer.createEpisode(key()))).toMatchObject({ code: 'BUFFER_CLOSED' });
    expect(errorOf(() => buffer.addPart(key(), 'assistant', textDelta('a')))).toMatchObject({
      code: 'BUFFER_CLOSED',
    });
    expect(errorOf(() => buffer.closeEpisode(key()))).toMatchObject({ code: 'BUFFER_CLOSED' });
    expect(errorOf(() => buffer.getParts(key()))).toMatchObject({ code: 'BUFFER_CLOSED' });
    expect(errorOf(() => buffer.subscribe(key()))).toMatchObject({ code: 'BUFFER_CLOSED' });
  });

  it('is idempotent and releases every episode', async () => {
    const { buffer } = setup();
    buffer.createEpisode(key());
    buffer.closeEpisode(key(1));
    const first = buffer.close();
    expect(buffer.close()).toBe(first);
    await first;
    expect(buffer.episodeCount()).toBe(0);
  });

  it('is called by await using', async () => {
    const clock = new ManualClock();
    let subscription: EpisodeSubscription;
    {
      await using buffer = new MessagePartBuffer({ clock });
      subscription = buffer.subscribe(key());
    }
    expect(await subscription.ended).toBe('buffer-closed');
  });

  it('leaves every promise settled and no timer pending (manual clock)', async () => {
    const { clock, buffer } = setup({ closedEpisodeRetentionMs: 1_000 });
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', textDelta('a'));
    buffer.closeEpisode(key(2)); // collection timer
    const waiting = buffer.subscribe(key(0)); // has a part it does not take: send timer
    const reading = buffer.subscribe(key(0));
    const readingParts = reader(reading);
    await readingParts.next();
    const pendingRead = readingParts.next(); // waits for a part
    const early = buffer.subscribe(key(1)); // placeholder
    expect(clock.pendingTimerCount).toBe(2);

    const promises = [waiting.ended, reading.ended, early.ended, pendingRead].map(track);
    await buffer.close();
    expect(promises.map((promise) => promise.settled)).toEqual([true, true, true, true]);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('leaves nothing running on the real clock', async () => {
    const before = snapshotResources();
    const clock = new TrackingClock();
    const buffer = new MessagePartBuffer({ clock, closedEpisodeRetentionMs: 60_000 });
    buffer.createEpisode(key(0));
    buffer.addPart(key(0), 'assistant', textDelta('a'));
    buffer.closeEpisode(key(1));
    const waiting = buffer.subscribe(key(0));
    const reading = reader(buffer.subscribe(key(0)));
    await reading.next();
    const pendingRead = track(reading.next());
    expect(clock.activeTimers).toBe(2);
    // The check below can fail: the tracked timers are ref'd, so they show up while they run.
    expect(await newResourcesSince(before)).not.toEqual([]);

    await buffer.close();
    expect(await waiting.ended).toBe('buffer-closed');
    expect(pendingRead.settled).toBe(true);
    expect(clock.activeTimers).toBe(0);
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

/**
 * The real clock, except that timers stay ref'd (`unref()` does nothing) so that a leaked one
 * shows up in `process.getActiveResourcesInfo()`, and live timers are counted.
 */
class TrackingClock implements Clock {
  activeTimers = 0;

  now(): number {
    return realClock.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#track((release) => {
      const handle = realClock.setTimeout(() => {
        release();
        callback();
      }, delayMs);
      return () => handle.cancel();
    });
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    return this.#track(() => {
      const handle = realClock.setInterval(callback, intervalMs);
      return () => handle.cancel();
    });
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return realClock.sleep(delayMs, signal);
  }

  #track(start: (release: () => void) => () => void): TimerHandle {
    let live = true;
    const release = () => {
      if (live) this.activeTimers -= 1;
      live = false;
    };
    this.activeTimers += 1;
    const cancel = start(release);
    const handle: TimerHandle = {
      cancel: () => {
        release();
        cancel();
      },
      unref: () => handle,
    };
    return handle;
  }
}
