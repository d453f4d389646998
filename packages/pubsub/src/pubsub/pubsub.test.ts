import type { JsonValue, Logger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { isSettled, readAll, take } from '../test-support/read.js';
import { ScriptedTransport } from '../test-support/scripted-transport.js';
import { InProcessTransport } from '../transport/in-process-transport.js';
import { PubSub, type PubSubOptions } from './pubsub.js';

checkResourcesAfterEachTest();

/** A logger that records `[level, fields, message]` for every line. */
function recordingLogger(): Logger & { lines: [string, unknown, unknown][] } {
  const lines: [string, unknown, unknown][] = [];
  const method =
    (level: string) =>
    (fields: unknown, message?: unknown): void => {
      lines.push([level, fields, message]);
    };
  const logger = {
    lines,
    child: () => logger,
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
  };
  return logger;
}

describe('PubSub', () => {
  describe('channels', () => {
    it('delivers a message to the subscribers of its channel only', async () => {
      await using pubsub = new PubSub();
      using updates = pubsub.subscribe('chat:update:1');
      using other = pubsub.subscribe('chat:update:2');
      pubsub.publish('chat:update:1', { snapshot_version: 3 });
      pubsub.publish('chat:update:2', { snapshot_version: 9 });

      expect(await take(updates, 1)).toEqual([
        { type: 'message', payload: { snapshot_version: 3 } },
      ]);
      expect(await take(other, 1)).toEqual([{ type: 'message', payload: { snapshot_version: 9 } }]);
    });

    it('hands subscribers a copy, not the published object', async () => {
      await using pubsub = new PubSub();
      using subscription = pubsub.subscribe('chat:ownership');
      const payload = { chat_id: 'c1', snapshot_version: 1 };
      pubsub.publish('chat:ownership', payload);
      const [event] = await take(subscription, 1);
      expect(event).toEqual({ type: 'message', payload });
      expect(event?.type === 'message' && event.payload).not.toBe(payload);
    });

    it('delivers messages in publish order', async () => {
      const pubsub = new PubSub();
      const subscription = pubsub.subscribe('ordered');
      for (let index = 0; index < 10; index++) pubsub.publish('ordered', index);
      await pubsub.close();
      expect(
        (await readAll(subscription)).map((event) => event.type === 'message' && event.payload),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('creates a channel on its first subscriber and drops it after the last leaves', async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      const first = pubsub.subscribe('chat:update:1');
      const second = pubsub.subscribe('chat:update:1');
      expect(pubsub.channelCount).toBe(1);
      expect(pubsub.subscriberCount).toBe(2);

      first.cancel();
      expect(pubsub.channelCount).toBe(1);
      second.cancel();
      expect(pubsub.channelCount).toBe(0);
      expect(pubsub.subscriberCount).toBe(0);
      expect(transport.calls).toEqual(['listen chat:update:1', 'unlisten chat:update:1']);
    });

    it('listens again when a dropped channel gets a new subscriber', async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      pubsub.subscribe('channel').cancel();
      using subscription = pubsub.subscribe('channel');
      await subscription.ready;
      pubsub.publish('channel', 'after re-listen');
      expect(await take(subscription, 1)).toEqual([
        { type: 'message', payload: 'after re-listen' },
      ]);
      expect(transport.calls.slice(0, 3)).toEqual([
        'listen channel',
        'unlisten channel',
        'listen channel',
      ]);
    });

    it('drops a channel whose only subscriber had an aborted signal', async () => {
      await using pubsub = new PubSub();
      const subscription = pubsub.subscribe('channel', { signal: AbortSignal.abort() });
      expect(await subscription.ended).toBe('cancelled');
      expect(pubsub.channelCount).toBe(0);
    });

    it('drops a channel when its subscriber aborts', async () => {
      await using pubsub = new PubSub();
      const controller = new AbortController();
      pubsub.subscribe('channel', { signal: controller.signal });
      controller.abort();
      expect(pubsub.channelCount).toBe(0);
    });

    it('resolves `ready` once the transport listens', async () => {
      await using pubsub = new PubSub({ transport: new ScriptedTransport() });
      using subscription = pubsub.subscribe('channel');
      await expect(subscription.ready).resolves.toBeUndefined();
    });

    it('sends a publish through the transport even with no local subscriber', async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      pubsub.publish('chat:update:1', { n: 1 });
      await vi.waitFor(() => expect(transport.published).toHaveLength(1));
      expect(transport.published[0]).toEqual({
        channel: 'chat:update:1',
        payload: '{"payload":{"n":1}}',
      });
    });

    it('delivers messages from other processes', async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      using subscription = pubsub.subscribe('channel');
      await subscription.ready;
      transport.deliver('channel', '{"payload":["from","elsewhere"]}');
      expect(await take(subscription, 1)).toEqual([
        { type: 'message', payload: ['from', 'elsewhere'] },
      ]);
    });

    it('localFirst: local subscribers have it before publish returns; its echo is skipped', async () => {
      const transport = new ScriptedTransport();
      transport.holdDeliveries = true;
      await using pubsub = new PubSub({ transport });
      using subscription = pubsub.subscribe('channel');
      await subscription.ready;
      const payload = { n: [1] };
      pubsub.publish('channel', payload, { localFirst: true });
      payload.n.push(2);
      // Still held by the transport, so this came straight from publish, as a copy.
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: { n: [1] } }]);
      // Other processes get it through the transport, tagged so this one skips it coming back.
      expect(transport.held).toHaveLength(1);
      expect(JSON.parse(transport.held[0]?.payload ?? '')).toMatchObject({ payload: { n: [1] } });
      transport.deliverHeld();
      pubsub.publish('channel', 'after');
      transport.deliverHeld();
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'after' }]);
    });

    it("localFirst: another process's localFirst message arrives through the transport", async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      using subscription = pubsub.subscribe('channel');
      await subscription.ready;
      transport.deliver('channel', '{"payload":1,"deliveredBy":"another-process"}');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 1 }]);
    });

    it('ignores and logs a malformed message', async () => {
      const transport = new ScriptedTransport();
      const logger = recordingLogger();
      await using pubsub = new PubSub({ transport, logger });
      using subscription = pubsub.subscribe('channel');
      await subscription.ready;
      transport.deliver('channel', 'not json');
      transport.deliver('channel', '{"no":"payload"}');
      transport.deliver('channel', '{"payload":1}');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 1 }]);
      expect(logger.lines.filter(([level]) => level === 'warn')).toHaveLength(2);
    });

    it('sums counters over channels, including dropped ones', async () => {
      await using pubsub = new PubSub({ bufferSize: 1 });
      const first = pubsub.subscribe('a');
      const second = pubsub.subscribe('b');
      for (const channel of ['a', 'a', 'b', 'b', 'b']) pubsub.publish(channel, 0);
      first.cancel();
      second.cancel();
      expect(pubsub.channelCount).toBe(0);
      expect(pubsub.dropCount).toBe(3);
    });
  });

  describe('validation', () => {
    it.each([
      ['an empty name', ''],
      ['a name over 200 characters', 'c'.repeat(201)],
      ['a non-string', 42 as unknown as string],
    ])('refuses %s with INVALID_CHANNEL', async (_case, channel) => {
      await using pubsub = new PubSub();
      const isInvalidChannel = expect.objectContaining({ code: 'INVALID_CHANNEL' });
      expect(() => pubsub.subscribe(channel)).toThrowError(isInvalidChannel);
      expect(() => pubsub.publish(channel, 1)).toThrowError(isInvalidChannel);
      await expect(pubsub.publishMustDeliver(channel, 1)).rejects.toThrowError(isInvalidChannel);
      expect(pubsub.channelCount).toBe(0);
    });

    it('accepts a 200-character channel name', async () => {
      await using pubsub = new PubSub();
      using subscription = pubsub.subscribe('c'.repeat(200));
      pubsub.publish('c'.repeat(200), true);
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: true }]);
    });

    it.each([
      ['a function', () => 1],
      ['undefined', undefined],
      ['a bigint', 10n],
      ['NaN', Number.NaN],
      ['a Date', new Date(0)],
      ['a Map', new Map()],
      ['an undefined field', { a: undefined }],
      ['a symbol deep inside', { list: [1, { symbol: Symbol('s') }] }],
    ])('refuses %s as payload with PAYLOAD_NOT_JSON before sending', async (_case, payload) => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      const notJson = expect.objectContaining({ code: 'PAYLOAD_NOT_JSON' });
      expect(() => pubsub.publish('channel', payload as JsonValue)).toThrowError(notJson);
      await expect(pubsub.publishMustDeliver('channel', payload as JsonValue)).rejects.toThrowError(
        notJson,
      );
      expect(transport.calls).toEqual([]);
    });

    it('refuses a cyclic payload with PAYLOAD_NOT_JSON', async () => {
      await using pubsub = new PubSub();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => pubsub.publish('channel', cyclic as JsonValue)).toThrowError(
        expect.objectContaining({ code: 'PAYLOAD_NOT_JSON', path: 'payload.self' }),
      );
    });

    it('refuses a message too large for the transport before sending', async () => {
      const transport = new ScriptedTransport({ maxPayloadBytes: 32 });
      await using pubsub = new PubSub({ transport });
      const tooLarge = expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', maxBytes: 32 });
      expect(() => pubsub.publish('channel', 'x'.repeat(40))).toThrowError(tooLarge);
      await expect(pubsub.publishMustDeliver('channel', 'x'.repeat(40))).rejects.toThrowError(
        tooLarge,
      );
      expect(transport.calls).toEqual([]);
    });

    it("reports the transport's limit as maxPayloadBytes", async () => {
      await using pubsub = new PubSub({
        transport: new ScriptedTransport({ maxPayloadBytes: 32 }),
      });
      expect(pubsub.maxPayloadBytes).toBe(32);
      await using byDefault = new PubSub();
      expect(byDefault.maxPayloadBytes).toBe(7999);
    });

    it('counts the message envelope and UTF-8 bytes against the limit', async () => {
      await using pubsub = new PubSub({
        transport: new InProcessTransport({ maxPayloadBytes: 20 }),
      });
      // '{"payload":"éé"}' is 16 characters but 18 bytes: fits. Three more é do not.
      expect(() => pubsub.publish('channel', 'éé')).not.toThrow();
      expect(() => pubsub.publish('channel', 'ééééé')).toThrowError(
        expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', bytes: 24 }),
      );
    });

    it.each([
      [{ bufferSize: 0 }, 'bufferSize'],
      [{ bufferSize: 2.5 }, 'bufferSize'],
      [{ mustDeliverTimeoutMs: -1 }, 'mustDeliverTimeoutMs'],
      [{ buffersize: 8 }, 'options.buffersize'],
      [{ transprt: undefined }, 'options.transprt'],
    ])('refuses options %o with INVALID_ARGUMENT', (options, argument) => {
      expect(() => new PubSub(options as PubSubOptions)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument }),
      );
    });

    it('refuses a bad subscriber bufferSize without creating the channel', async () => {
      await using pubsub = new PubSub();
      expect(() => pubsub.subscribe('channel', { bufferSize: -1 })).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'bufferSize' }),
      );
      expect(pubsub.channelCount).toBe(0);
    });

    it('refuses a transport that already serves another PubSub', async () => {
      const transport = new InProcessTransport();
      await using _first = new PubSub({ transport });
      expect(() => new PubSub({ transport })).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    });
  });

  describe('transport failures', () => {
    it('logs a failed publish instead of throwing', async () => {
      const transport = new ScriptedTransport();
      const logger = recordingLogger();
      await using pubsub = new PubSub({ transport, logger });
      transport.publishError = new Error('connection lost');
      pubsub.publish('channel', 1);
      await vi.waitFor(() =>
        expect(logger.lines).toContainEqual([
          'error',
          { channel: 'channel', err: transport.publishError },
          'pubsub: publish failed',
        ]),
      );
    });

    it("rejects publishMustDeliver with the transport's error", async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      using _subscription = pubsub.subscribe('channel');
      transport.publishError = new Error('connection lost');
      await expect(pubsub.publishMustDeliver('channel', 1)).rejects.toBe(transport.publishError);
    });

    it("ends the channel's subscriptions when the transport cannot listen", async () => {
      const transport = new ScriptedTransport();
      const logger = recordingLogger();
      await using pubsub = new PubSub({ transport, logger });
      const failure = new Error('cannot listen');
      transport.listenError = failure;
      const subscription = pubsub.subscribe('channel');

      await expect(subscription.ready).rejects.toBe(failure);
      expect(await subscription.ended).toBe('closed');
      expect(pubsub.channelCount).toBe(0);
      expect(logger.lines).toContainEqual([
        'error',
        { channel: 'channel', err: failure },
        'pubsub: listen failed',
      ]);
    });

    it('listens afresh for a subscriber that comes after a failed listen', async () => {
      const transport = new ScriptedTransport();
      await using pubsub = new PubSub({ transport });
      transport.listenError = new Error('cannot listen');
      const failed = pubsub.subscribe('channel');
      await failed.ready.catch(() => undefined);
      using retried = pubsub.subscribe('channel');
      await retried.ready;
      pubsub.publish('channel', 'works');
      expect(await take(retried, 1)).toEqual([{ type: 'message', payload: 'works' }]);
    });
  });

  describe('close', () => {
    it("keeps buffered messages readable, then ends subscriptions with 'closed'", async () => {
      const pubsub = new PubSub();
      const subscription = pubsub.subscribe('channel');
      pubsub.publish('channel', 'a');
      pubsub.publish('channel', 'b');
      await pubsub.close();
      expect(await readAll(subscription)).toEqual([
        { type: 'message', payload: 'a' },
        { type: 'message', payload: 'b' },
      ]);
      expect(await subscription.ended).toBe('closed');
    });

    it('releases every channel and closes the transport', async () => {
      const transport = new ScriptedTransport();
      const pubsub = new PubSub({ transport });
      using _a = pubsub.subscribe('a');
      using _b = pubsub.subscribe('b');
      await pubsub.close();
      expect(pubsub.channelCount).toBe(0);
      expect(pubsub.subscriberCount).toBe(0);
      expect(transport.calls.at(-1)).toBe('close');
      expect(transport.listening.size).toBe(0);
    });

    it('waits for transport calls in flight before closing the transport', async () => {
      const transport = new ScriptedTransport();
      let releaseListen!: () => void;
      transport.listen = (channel) => {
        transport.calls.push(`listen ${channel}`);
        return new Promise((resolve) => {
          releaseListen = resolve;
        });
      };
      const pubsub = new PubSub({ transport });
      using _subscription = pubsub.subscribe('channel');
      const closing = pubsub.close();
      expect(await isSettled(closing)).toBe(false);
      releaseListen();
      await closing;
      expect(transport.calls).toEqual(['listen channel', 'close']);
    });

    it('makes subscribe throw PUBSUB_CLOSED', async () => {
      const pubsub = new PubSub();
      await pubsub.close();
      expect(() => pubsub.subscribe('channel')).toThrowError(
        expect.objectContaining({ code: 'PUBSUB_CLOSED', name: 'PubSubClosedError' }),
      );
    });

    it('makes later publishes no-ops', async () => {
      const transport = new ScriptedTransport();
      const pubsub = new PubSub({ transport });
      await pubsub.close();
      pubsub.publish('channel', 1);
      await pubsub.publishMustDeliver('channel', 1);
      expect(transport.calls).toEqual(['close']);
    });

    it('returns one promise to concurrent callers and closes the transport once', async () => {
      const transport = new ScriptedTransport();
      const pubsub = new PubSub({ transport });
      const first = pubsub.close();
      expect(pubsub.close()).toBe(first);
      await first;
      await pubsub.close();
      expect(transport.calls).toEqual(['close']);
    });

    it('is called by `await using`', async () => {
      const transport = new ScriptedTransport();
      {
        await using _pubsub = new PubSub({ transport });
      }
      expect(transport.calls).toEqual(['close']);
    });

    it('leaves no timers behind with must-deliver waits pending', async () => {
      const clock = new ManualClock();
      const pubsub = new PubSub({ bufferSize: 1, clock });
      using _subscription = pubsub.subscribe('channel');
      pubsub.publish('channel', 'fills');
      const publishing = pubsub.publishMustDeliver('channel', 'waits');
      await clock.waitForTimers(1);
      await pubsub.close();
      await publishing;
      expect(clock.pendingTimerCount).toBe(0);
    });
  });
});
