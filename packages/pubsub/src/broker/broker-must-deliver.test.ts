import { ManualClock } from '@chatd/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { isSettled, readAll, take } from '../test-support/read.js';
import { Broker, type BrokerEvent } from './broker.js';
import type { Subscription } from './subscription.js';

let clock: ManualClock;
const stalled: Subscription<BrokerEvent<string>>[] = [];
checkResourcesAfterEachTest();
beforeEach(() => {
  clock = new ManualClock();
});
afterEach(() => {
  // Subscriptions with unread events after close stay open until cancelled: release them.
  for (const subscription of stalled.splice(0)) subscription.cancel();
  expect(clock.pendingTimerCount).toBe(0);
});

/** A broker whose subscribers' single-event buffers are already full. */
function brokerWithStalledSubscribers(count: number, mustDeliverTimeoutMs = 50) {
  const broker = new Broker<string>({ bufferSize: 1, mustDeliverTimeoutMs, clock });
  const subscriptions = Array.from({ length: count }, () => broker.subscribe());
  stalled.push(...subscriptions);
  broker.publish('updated', 'fills every buffer');
  return { broker, subscriptions };
}

describe('Broker.publishMustDeliver', () => {
  it('delivers at once to subscribers with room, without a timer', async () => {
    await using broker = new Broker<string>({ clock });
    using subscription = broker.subscribe();
    const publishing = broker.publishMustDeliver('created', 'x');
    expect(clock.pendingTimerCount).toBe(0);
    await publishing;
    expect(await take(subscription, 1)).toEqual([{ type: 'created', payload: 'x' }]);
  });

  it('waits for a full subscriber and delivers once its reader frees room', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(1);
    const [subscription] = subscriptions as [ReturnType<typeof broker.subscribe>];
    const publishing = broker.publishMustDeliver('finished', 'must arrive');
    expect(await isSettled(publishing)).toBe(false);

    expect(await take(subscription, 1)).toEqual([
      { type: 'updated', payload: 'fills every buffer' },
    ]);
    await publishing;
    expect(await take(subscription, 1)).toEqual([{ type: 'finished', payload: 'must arrive' }]);
    expect(broker.mustDeliverDropCount).toBe(0);
    await broker.close();
  });

  it('drops the event for a subscriber still full at the timeout', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(1, 20);
    const publishing = broker.publishMustDeliver('finished', 'times out');
    await clock.advance(20);
    await publishing;

    expect(broker.mustDeliverDropCount).toBe(1);
    expect(broker.dropCount).toBe(0);
    expect(subscriptions[0]?.missed).toBe(1);
    expect(broker.dropCountsByType().get('finished')).toEqual({
      dropped: 0,
      mustDeliverDropped: 1,
    });
    await broker.close();
  });

  it('times out 10 stalled subscribers together after one timeout, not ten', async () => {
    const { broker } = brokerWithStalledSubscribers(10, 50);
    const start = clock.now();
    let finishedAt: number | undefined;
    const publishing = broker.publishMustDeliver('finished', 'x').then(() => {
      finishedAt = clock.now();
    });
    // One shared deadline, not a timer per subscriber.
    expect(clock.pendingTimerCount).toBe(1);

    await clock.advance(49);
    expect(finishedAt).toBeUndefined();
    await clock.advance(1);
    await publishing;
    expect(finishedAt! - start).toBe(50);
    expect(broker.mustDeliverDropCount).toBe(10);
    await broker.close();
  });

  it('delivers to the subscribers that freed room and drops only the stalled ones', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(3);
    const [reader, stalledA, stalledB] = subscriptions as [
      ReturnType<typeof broker.subscribe>,
      ReturnType<typeof broker.subscribe>,
      ReturnType<typeof broker.subscribe>,
    ];
    const publishing = broker.publishMustDeliver('finished', 'x');
    await take(reader, 1);
    await clock.advance(50);
    await publishing;

    expect(broker.mustDeliverDropCount).toBe(2);
    expect([reader.missed, stalledA.missed, stalledB.missed]).toEqual([0, 1, 1]);
    expect(await take(reader, 1)).toEqual([{ type: 'finished', payload: 'x' }]);
    await broker.close();
  });

  it('keeps its place: a later lossy event cannot overtake a waiting one', async () => {
    const broker = new Broker<string>({ bufferSize: 1, clock });
    const subscription = broker.subscribe();
    broker.publish('updated', 'a');
    const publishing = broker.publishMustDeliver('finished', 'b');
    // The buffer frees up when the reader takes `a`; `b` gets that room, so `c` is missed.
    expect(await take(subscription, 1)).toEqual([{ type: 'updated', payload: 'a' }]);
    broker.publish('updated', 'c');
    await publishing;
    expect(await take(subscription, 1)).toEqual([{ type: 'finished', payload: 'b' }]);
    broker.publish('updated', 'd');
    await broker.close();

    expect((await readAll(subscription)).map((event) => event.payload)).toEqual(['d']);
    expect(subscription.missed).toBe(1);
    expect(broker.dropCount).toBe(1);
  });

  it('misses lossy events published while a must-deliver event waits for room', async () => {
    const broker = new Broker<string>({ bufferSize: 2, clock });
    const subscription = broker.subscribe();
    broker.publish('updated', 'a');
    broker.publish('updated', 'b');
    const waiting = broker.publishMustDeliver('finished', 'c');
    broker.publish('updated', 'lost while c waits');
    const read = await take(subscription, 1);
    await waiting;
    read.push(...(await take(subscription, 1)));
    broker.publish('updated', 'e');
    await broker.close();
    read.push(...(await readAll(subscription)));

    expect(read.map((event) => event.payload)).toEqual(['a', 'b', 'c', 'e']);
    expect(subscription.missed).toBe(1);
  });

  it('delivers waiting must-deliver events in publish order', async () => {
    const broker = new Broker<string>({ bufferSize: 1, clock });
    const subscription = broker.subscribe();
    broker.publish('updated', 'a');
    const first = broker.publishMustDeliver('finished', 'b');
    const second = broker.publishMustDeliver('finished', 'c');
    expect((await take(subscription, 3)).map((event) => event.payload)).toEqual(['a', 'b', 'c']);
    await Promise.all([first, second]);
    await broker.close();
  });

  it('stops waiting when its signal aborts and counts the rest as must-deliver drops', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(3);
    const controller = new AbortController();
    const publishing = broker.publishMustDeliver('finished', 'x', { signal: controller.signal });
    await take(subscriptions[0]!, 1);
    controller.abort();
    await publishing;

    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    expect(broker.mustDeliverDropCount).toBe(2);
    expect(subscriptions.map((subscription) => subscription.missed)).toEqual([0, 1, 1]);
    await broker.close();
  });

  it('with an already-aborted signal, delivers where there is room and drops the rest', async () => {
    const broker = new Broker<string>({ bufferSize: 1, clock });
    using stalled = broker.subscribe();
    broker.publish('updated', 'fills');
    using roomy = broker.subscribe();
    await broker.publishMustDeliver('finished', 'x', { signal: AbortSignal.abort() });

    expect(clock.pendingTimerCount).toBe(0);
    expect(stalled.missed).toBe(1);
    expect(await take(roomy, 1)).toEqual([{ type: 'finished', payload: 'x' }]);
    expect(broker.mustDeliverDropCount).toBe(1);
    await broker.close();
  });

  it('does not hold back subscribe, cancel or other publishes while it waits', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(1);
    const publishing = broker.publishMustDeliver('finished', 'waits');

    using late = broker.subscribe();
    broker.publish('updated', 'for the late subscriber');
    expect(await take(late, 1)).toEqual([{ type: 'updated', payload: 'for the late subscriber' }]);
    subscriptions[0]?.cancel();
    expect(broker.subscriberCount).toBe(1);
    await publishing;
    await broker.close();
  });

  it('does not count a subscriber that cancels while waited on as a drop', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(1);
    const publishing = broker.publishMustDeliver('finished', 'x');
    subscriptions[0]?.cancel();
    await publishing;
    expect(broker.mustDeliverDropCount).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
    await broker.close();
  });

  it('releases its timer once every subscriber took the event', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(2);
    const publishing = broker.publishMustDeliver('finished', 'x');
    expect(clock.pendingTimerCount).toBe(1);
    await Promise.all(subscriptions.map((subscription) => take(subscription, 1)));
    await publishing;
    expect(clock.pendingTimerCount).toBe(0);
    await broker.close();
  });

  it('ends pending waits when the broker closes, counting them as drops', async () => {
    const { broker, subscriptions } = brokerWithStalledSubscribers(2);
    const publishing = broker.publishMustDeliver('finished', 'x');
    await broker.close();

    expect(await isSettled(publishing)).toBe(true);
    expect(clock.pendingTimerCount).toBe(0);
    expect(broker.mustDeliverDropCount).toBe(2);
    // What was buffered before the close is still readable; the waiting event is not.
    expect((await readAll(subscriptions[0]!)).map((event) => event.payload)).toEqual([
      'fills every buffer',
    ]);
    subscriptions[1]?.cancel();
  });
});
