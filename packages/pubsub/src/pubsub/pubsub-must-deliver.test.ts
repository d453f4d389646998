import { ManualClock } from '@chatd/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { isSettled, take } from '../test-support/read.js';
import { ScriptedTransport } from '../test-support/scripted-transport.js';
import { PubSub } from './pubsub.js';

let clock: ManualClock;
checkResourcesAfterEachTest();
beforeEach(() => {
  clock = new ManualClock();
});
afterEach(() => {
  expect(clock.pendingTimerCount).toBe(0);
});

describe('PubSub.publishMustDeliver', () => {
  it('resolves once a full local subscriber took the message', async () => {
    await using pubsub = new PubSub({ bufferSize: 1, clock });
    using subscription = pubsub.subscribe('channel');
    pubsub.publish('channel', 'fills');
    const publishing = pubsub.publishMustDeliver('channel', 'must arrive');
    expect(await isSettled(publishing)).toBe(false);

    await take(subscription, 1);
    await publishing;
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'must arrive' }]);
    expect(pubsub.mustDeliverDropCount).toBe(0);
  });

  it('resolves after mustDeliverTimeoutMs for a stalled subscriber and counts the drop', async () => {
    await using pubsub = new PubSub({ bufferSize: 1, mustDeliverTimeoutMs: 30, clock });
    using subscription = pubsub.subscribe('channel');
    pubsub.publish('channel', 'fills');
    const start = clock.now();
    let finishedAt: number | undefined;
    const publishing = pubsub.publishMustDeliver('channel', 'x').then(() => {
      finishedAt = clock.now();
    });
    await clock.advance(30);
    await publishing;
    expect(finishedAt! - start).toBe(30);
    expect(pubsub.mustDeliverDropCount).toBe(1);
    expect(pubsub.dropCount).toBe(0);
    expect(subscription.missed).toBe(1);
  });

  it('times out 10 stalled subscribers together after one timeout', async () => {
    await using pubsub = new PubSub({ bufferSize: 1, mustDeliverTimeoutMs: 50, clock });
    const subscriptions = Array.from({ length: 10 }, () => pubsub.subscribe('channel'));
    pubsub.publish('channel', 'fills');
    const publishing = pubsub.publishMustDeliver('channel', 'x');
    await clock.advance(50);
    await publishing;
    expect(clock.now() - Date.UTC(2026, 0, 1)).toBe(50);
    expect(pubsub.mustDeliverDropCount).toBe(10);
    for (const subscription of subscriptions) subscription.cancel();
  });

  it('waits for the message to come back through the transport', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    await using pubsub = new PubSub({ transport, clock });
    using subscription = pubsub.subscribe('channel');
    await subscription.ready;
    const publishing = pubsub.publishMustDeliver('channel', 'via transport');
    expect(await isSettled(publishing)).toBe(false);

    transport.deliverHeld();
    await publishing;
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'via transport' }]);
  });

  it('resolves once sent when this process has no subscriber on the channel', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    await using pubsub = new PubSub({ transport, clock });
    await pubsub.publishMustDeliver('channel', 'for other processes');
    expect(transport.published).toHaveLength(1);
  });

  it('stops waiting for a message lost in a reconnect', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    await using pubsub = new PubSub({ transport, clock });
    using subscription = pubsub.subscribe('channel');
    await subscription.ready;
    const publishing = pubsub.publishMustDeliver('channel', 'lost');
    expect(await isSettled(publishing)).toBe(false);
    transport.reconnect();
    expect(await isSettled(publishing)).toBe(true);
  });

  it('stops waiting when the channel is dropped before the message comes back', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    await using pubsub = new PubSub({ transport, clock });
    const subscription = pubsub.subscribe('channel');
    await subscription.ready;
    const publishing = pubsub.publishMustDeliver('channel', 'x');
    expect(await isSettled(publishing)).toBe(false);
    subscription.cancel();
    expect(await isSettled(publishing)).toBe(true);
  });

  it('stops waiting when the pubsub closes', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    const pubsub = new PubSub({ transport, clock });
    using subscription = pubsub.subscribe('channel');
    await subscription.ready;
    const publishing = pubsub.publishMustDeliver('channel', 'x');
    expect(await isSettled(publishing)).toBe(false);
    await pubsub.close();
    expect(await isSettled(publishing)).toBe(true);
  });

  it('stops waiting on abort; a full subscriber then misses the message when it arrives', async () => {
    const transport = new ScriptedTransport();
    transport.holdDeliveries = true;
    await using pubsub = new PubSub({ transport, bufferSize: 1, clock });
    using subscription = pubsub.subscribe('channel');
    await subscription.ready;
    transport.deliver('channel', '{"payload":"fills"}');
    const controller = new AbortController();
    const publishing = pubsub.publishMustDeliver('channel', 'x', { signal: controller.signal });
    expect(await isSettled(publishing)).toBe(false);
    controller.abort();
    await publishing;

    transport.deliverHeld();
    expect(clock.pendingTimerCount).toBe(0);
    expect(pubsub.mustDeliverDropCount).toBe(1);
    expect(subscription.missed).toBe(1);
  });

  it('stops the local fan-out wait on abort and counts the rest as drops', async () => {
    await using pubsub = new PubSub({ bufferSize: 1, clock });
    using subscription = pubsub.subscribe('channel');
    pubsub.publish('channel', 'fills');
    const controller = new AbortController();
    const publishing = pubsub.publishMustDeliver('channel', 'x', { signal: controller.signal });
    await clock.waitForTimers(1);
    controller.abort();
    await publishing;
    expect(pubsub.mustDeliverDropCount).toBe(1);
    expect(subscription.missed).toBe(1);
  });

  it('applies must-deliver to messages from other processes', async () => {
    const transport = new ScriptedTransport();
    await using pubsub = new PubSub({ transport, bufferSize: 1, clock });
    using subscription = pubsub.subscribe('channel');
    await subscription.ready;
    transport.deliver('channel', '{"payload":"fills"}');
    transport.deliver('channel', '{"payload":"waits","mustDeliver":"elsewhere:1"}');
    transport.deliver('channel', '{"payload":"lossy, missed"}');

    expect(await take(subscription, 2)).toEqual([
      { type: 'message', payload: 'fills' },
      { type: 'message', payload: 'waits' },
    ]);
    expect(pubsub.mustDeliverDropCount).toBe(0);
    expect(pubsub.dropCount).toBe(1);
  });
});
