import { getEventListeners } from 'node:events';
import { ManualClock } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { isSettled, readAll, take } from '../test-support/read.js';
import { Broker } from './broker.js';
import type { BrokerOptions } from './broker-options.js';

checkResourcesAfterEachTest();

describe('Broker', () => {
  describe('publish', () => {
    it('delivers events to each subscriber in publish order', async () => {
      const broker = new Broker<number>();
      const first = broker.subscribe();
      const second = broker.subscribe();
      for (let index = 0; index < 5; index++) broker.publish('updated', index);
      await broker.close();

      const expected = [0, 1, 2, 3, 4].map((payload) => ({ type: 'updated', payload }));
      expect(await readAll(first)).toEqual(expected);
      expect(await readAll(second)).toEqual(expected);
    });

    it('hands every subscriber the same event object', async () => {
      await using broker = new Broker<{ id: string }>();
      const first = broker.subscribe();
      const second = broker.subscribe();
      broker.publish('created', { id: 'm1' });

      const [fromFirst] = await take(first, 1);
      const [fromSecond] = await take(second, 1);
      expect(fromFirst).toBe(fromSecond);
    });

    it('publishes to nobody without error when there are no subscribers', async () => {
      await using broker = new Broker<string>();
      broker.publish('created', 'x');
      expect(broker.dropCount).toBe(0);
    });

    it('does not deliver events published before the subscription', async () => {
      const broker = new Broker<string>();
      broker.publish('created', 'early');
      const subscription = broker.subscribe();
      broker.publish('created', 'late');
      await broker.close();
      expect(await readAll(subscription)).toEqual([{ type: 'created', payload: 'late' }]);
    });

    it('counts one drop per subscriber that missed an event', async () => {
      await using broker = new Broker<string>({ bufferSize: 1 });
      using _a = broker.subscribe();
      using _b = broker.subscribe();
      using _c = broker.subscribe();
      broker.publish('updated', 'fills every buffer');
      broker.publish('updated', 'misses all three');
      expect(broker.dropCount).toBe(3);
      expect(broker.mustDeliverDropCount).toBe(0);
    });

    it('keeps what is buffered when a full subscriber misses an event', async () => {
      const broker = new Broker<string>({ bufferSize: 2 });
      const subscription = broker.subscribe();
      for (const payload of ['a', 'b', 'c', 'd']) broker.publish('updated', payload);
      await broker.close();
      expect((await readAll(subscription)).map((event) => event.payload)).toEqual(['a', 'b']);
    });

    it('counts drops per event type', async () => {
      await using broker = new Broker<string>({ bufferSize: 1 });
      using _a = broker.subscribe();
      using _b = broker.subscribe();
      broker.publish('created', 'fills');
      broker.publish('updated', 'dropped twice');
      broker.publish('deleted', 'dropped twice');
      broker.publish('deleted', 'dropped twice');

      expect(Object.fromEntries(broker.dropCountsByType())).toEqual({
        updated: { dropped: 2, mustDeliverDropped: 0 },
        deleted: { dropped: 4, mustDeliverDropped: 0 },
      });
    });

    it('returns drop counts per type as a snapshot', async () => {
      await using broker = new Broker<string>({ bufferSize: 1 });
      using _subscription = broker.subscribe();
      broker.publish('updated', 'fills');
      broker.publish('updated', 'dropped');
      const snapshot = broker.dropCountsByType();
      broker.publish('updated', 'dropped again');
      expect(snapshot.get('updated')).toEqual({ dropped: 1, mustDeliverDropped: 0 });
      expect(broker.dropCountsByType().get('updated')).toEqual({
        dropped: 2,
        mustDeliverDropped: 0,
      });
    });

    it('counts in `missed` only the events this subscriber lost', async () => {
      await using broker = new Broker<number>({ bufferSize: 1 });
      using slow = broker.subscribe();
      using roomy = broker.subscribe({ bufferSize: 10 });
      for (let index = 0; index < 4; index++) broker.publish('updated', index);
      expect(slow.missed).toBe(3);
      expect(roomy.missed).toBe(0);
    });

    it('gives each subscriber the buffer size it asked for', async () => {
      await using broker = new Broker<number>({ bufferSize: 2 });
      using small = broker.subscribe();
      using large = broker.subscribe({ bufferSize: 5 });
      for (let index = 0; index < 5; index++) broker.publish('updated', index);
      expect(small.missed).toBe(3);
      expect(large.missed).toBe(0);
    });

    it('buffers 64 events per subscriber by default', async () => {
      await using broker = new Broker<number>();
      using subscription = broker.subscribe();
      for (let index = 0; index < 65; index++) broker.publish('updated', index);
      expect(subscription.missed).toBe(1);
    });

    it('hands an event straight to a reader that is already waiting', async () => {
      await using broker = new Broker<string>({ bufferSize: 1 });
      using subscription = broker.subscribe();
      const next = take(subscription, 2);
      await Promise.resolve();
      broker.publish('updated', 'a');
      broker.publish('updated', 'b');
      expect((await next).map((event) => event.payload)).toEqual(['a', 'b']);
      expect(broker.dropCount).toBe(0);
    });
  });

  describe('subscriptions', () => {
    it('unregisters the subscriber before cancel() returns', async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe();
      expect(broker.subscriberCount).toBe(1);
      subscription.cancel();
      expect(broker.subscriberCount).toBe(0);
    });

    it("ends iteration on cancel() and resolves `ended` with 'cancelled'", async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe();
      broker.publish('updated', 'discarded');
      subscription.cancel();
      expect(await readAll(subscription)).toEqual([]);
      expect(await subscription.ended).toBe('cancelled');
    });

    it('ends a read that is waiting when cancelled', async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe();
      const reading = readAll(subscription);
      subscription.cancel();
      expect(await reading).toEqual([]);
    });

    it('treats cancel() as idempotent', async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe();
      subscription.cancel();
      subscription.cancel();
      expect(broker.subscriberCount).toBe(0);
      expect(await subscription.ended).toBe('cancelled');
    });

    it('ends the subscription at once when its signal aborts', async () => {
      await using broker = new Broker<string>();
      const controller = new AbortController();
      const subscription = broker.subscribe({ signal: controller.signal });
      controller.abort();
      expect(broker.subscriberCount).toBe(0);
      expect(await subscription.ended).toBe('cancelled');
    });

    it('ends only the subscription whose signal aborted', async () => {
      await using broker = new Broker<string>();
      const controller = new AbortController();
      using _aborted = broker.subscribe({ signal: controller.signal });
      using other = broker.subscribe();
      controller.abort();
      broker.publish('updated', 'still flowing');
      expect(broker.subscriberCount).toBe(1);
      expect(await take(other, 1)).toEqual([{ type: 'updated', payload: 'still flowing' }]);
    });

    it('gives an already-aborted signal an ended subscription', async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe({ signal: AbortSignal.abort() });
      expect(broker.subscriberCount).toBe(0);
      expect(await subscription.ended).toBe('cancelled');
    });

    it('removes its abort listener when cancelled', async () => {
      await using broker = new Broker<string>();
      const controller = new AbortController();
      const subscription = broker.subscribe({ signal: controller.signal });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      subscription.cancel();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('removes its abort listener once a closed subscription is drained', async () => {
      const broker = new Broker<string>();
      const controller = new AbortController();
      const subscription = broker.subscribe({ signal: controller.signal });
      broker.publish('updated', 'buffered');
      await broker.close();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      await readAll(subscription);
      expect(await subscription.ended).toBe('closed');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('cancels the subscription when a for-await loop breaks', async () => {
      await using broker = new Broker<string>();
      const subscription = broker.subscribe();
      broker.publish('updated', 'a');
      broker.publish('updated', 'b');
      for await (const _event of subscription) break;
      expect(broker.subscriberCount).toBe(0);
      expect(await subscription.ended).toBe('cancelled');
    });

    it('cancels the subscription when a `using` block ends', async () => {
      await using broker = new Broker<string>();
      {
        using _subscription = broker.subscribe();
        expect(broker.subscriberCount).toBe(1);
      }
      expect(broker.subscriberCount).toBe(0);
    });
  });

  describe('close', () => {
    it("keeps buffered events readable, then ends iteration with 'closed'", async () => {
      const broker = new Broker<string>();
      const subscription = broker.subscribe();
      broker.publish('updated', 'a');
      broker.publish('updated', 'b');
      await broker.close();
      expect((await readAll(subscription)).map((event) => event.payload)).toEqual(['a', 'b']);
      expect(await subscription.ended).toBe('closed');
    });

    it('resolves without waiting for readers', async () => {
      const broker = new Broker<string>();
      const subscription = broker.subscribe();
      broker.publish('updated', 'never read');
      await broker.close();
      expect(await isSettled(subscription.ended)).toBe(false);
      subscription.cancel();
      expect(await subscription.ended).toBe('cancelled');
    });

    it("ends an empty subscription with 'closed' at once", async () => {
      const broker = new Broker<string>();
      const subscription = broker.subscribe();
      await broker.close();
      expect(await subscription.ended).toBe('closed');
    });

    it('ends a read that is waiting', async () => {
      const broker = new Broker<string>();
      const subscription = broker.subscribe();
      const reading = readAll(subscription);
      await broker.close();
      expect(await reading).toEqual([]);
    });

    it('unregisters every subscriber', async () => {
      const broker = new Broker<string>();
      using _a = broker.subscribe();
      using _b = broker.subscribe();
      await broker.close();
      expect(broker.subscriberCount).toBe(0);
    });

    it('makes later publishes no-ops', async () => {
      const broker = new Broker<string>({ bufferSize: 1 });
      const subscription = broker.subscribe();
      await broker.close();
      broker.publish('updated', 'ignored');
      broker.publish('updated', 'ignored');
      await broker.publishMustDeliver('updated', 'ignored');
      expect(broker.dropCount).toBe(0);
      expect(broker.mustDeliverDropCount).toBe(0);
      expect(await readAll(subscription)).toEqual([]);
    });

    it('makes subscribe throw BROKER_CLOSED', async () => {
      const broker = new Broker<string>();
      await broker.close();
      expect(() => broker.subscribe()).toThrowError(
        expect.objectContaining({ code: 'BROKER_CLOSED', name: 'BrokerClosedError' }),
      );
    });

    it('is idempotent when called again after it resolved', async () => {
      const broker = new Broker<string>();
      await broker.close();
      await broker.close();
      expect(broker.subscriberCount).toBe(0);
    });

    it('returns one promise to concurrent callers', async () => {
      const broker = new Broker<string>();
      using _subscription = broker.subscribe();
      const first = broker.close();
      const second = broker.close();
      expect(second).toBe(first);
      await Promise.all([first, second]);
    });

    it('keeps the counters after close', async () => {
      const broker = new Broker<string>({ bufferSize: 1 });
      using _subscription = broker.subscribe();
      broker.publish('updated', 'fills');
      broker.publish('updated', 'dropped');
      await broker.close();
      expect(broker.dropCount).toBe(1);
      expect(broker.dropCountsByType().get('updated')?.dropped).toBe(1);
    });

    it('is called by `await using`', async () => {
      let subscription: ReturnType<Broker<string>['subscribe']>;
      {
        await using broker = new Broker<string>();
        subscription = broker.subscribe();
      }
      expect(await subscription.ended).toBe('closed');
    });
  });

  describe('options', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects bufferSize %s with INVALID_ARGUMENT',
      (bufferSize) => {
        expect(() => new Broker({ bufferSize })).toThrowError(
          expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'bufferSize' }),
        );
      },
    );

    it('rejects a misspelt option, naming it, instead of using the default', () => {
      expect(() => new Broker({ buffersize: 8 } as BrokerOptions)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options.buffersize' }),
      );
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects mustDeliverTimeoutMs %s with INVALID_ARGUMENT',
      (mustDeliverTimeoutMs) => {
        expect(() => new Broker({ mustDeliverTimeoutMs })).toThrowError(
          expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'mustDeliverTimeoutMs' }),
        );
      },
    );

    it.each([0, -1, 2.5])('rejects a subscriber bufferSize of %s', async (bufferSize) => {
      await using broker = new Broker<string>();
      expect(() => broker.subscribe({ bufferSize })).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'bufferSize' }),
      );
      expect(broker.subscriberCount).toBe(0);
    });

    it('waits 50 ms for must-deliver by default', async () => {
      const clock = new ManualClock();
      await using broker = new Broker<string>({ bufferSize: 1, clock });
      using _subscription = broker.subscribe();
      broker.publish('updated', 'fills');
      const start = clock.now();
      let finishedAt: number | undefined;
      const publishing = broker.publishMustDeliver('updated', 'waits').then(() => {
        finishedAt = clock.now();
      });
      await clock.advance(100);
      await publishing;
      expect(finishedAt! - start).toBe(50);
    });
  });
});
