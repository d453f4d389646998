import { ManualClock } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { readAll, take } from '../test-support/read.js';
import { ScriptedTransport } from '../test-support/scripted-transport.js';
import { PubSub } from './pubsub.js';

checkResourcesAfterEachTest();

const RESYNC = { type: 'resync' };
const message = (payload: unknown) => ({ type: 'message', payload });

describe('PubSub resync', () => {
  it('tells every subscriber of a channel to resync after the transport reconnects', async () => {
    const transport = new ScriptedTransport();
    await using pubsub = new PubSub({ transport });
    using first = pubsub.subscribe('chat:update:1');
    using second = pubsub.subscribe('chat:update:1');
    await first.ready;
    transport.reconnect();
    expect(await take(first, 1)).toEqual([RESYNC]);
    expect(await take(second, 1)).toEqual([RESYNC]);
  });

  it('sends resync only to channels the reconnect concerns', async () => {
    const transport = new ScriptedTransport();
    const pubsub = new PubSub({ transport });
    const affected = pubsub.subscribe('a');
    await affected.ready;
    transport.reconnect();
    const later = pubsub.subscribe('b');
    pubsub.publish('b', 'no resync here');
    await pubsub.close();
    expect(await readAll(affected)).toEqual([RESYNC]);
    expect(await readAll(later)).toEqual([message('no resync here')]);
  });

  it('queues the resync behind messages already buffered', async () => {
    const transport = new ScriptedTransport();
    const pubsub = new PubSub({ transport });
    const subscription = pubsub.subscribe('channel');
    await subscription.ready;
    pubsub.publish('channel', 'before');
    transport.reconnect();
    pubsub.publish('channel', 'after');
    await pubsub.close();
    expect(await readAll(subscription)).toEqual([message('before'), RESYNC, message('after')]);
  });

  it('tells a subscriber that missed a message to resync once it has room', async () => {
    const pubsub = new PubSub({ bufferSize: 2 });
    const subscription = pubsub.subscribe('channel');
    for (const payload of ['a', 'b', 'missed', 'missed too']) pubsub.publish('channel', payload);
    expect(subscription.missed).toBe(2);

    const read = await take(subscription, 2);
    pubsub.publish('channel', 'after the resync');
    await pubsub.close();
    read.push(...(await readAll(subscription)));
    // One resync covers every message missed before it.
    expect(read).toEqual([message('a'), message('b'), RESYNC, message('after the resync')]);
  });

  it('tells a subscriber to resync after a must-deliver message timed out for it', async () => {
    const clock = new ManualClock();
    const pubsub = new PubSub({ bufferSize: 1, mustDeliverTimeoutMs: 10, clock });
    const subscription = pubsub.subscribe('channel');
    pubsub.publish('channel', 'fills');
    const publishing = pubsub.publishMustDeliver('channel', 'timed out');
    await clock.advance(10);
    await publishing;
    // Still full: the resync waits for room, which reading makes.
    const read = await take(subscription, 1);
    await pubsub.close();
    read.push(...(await readAll(subscription)));
    expect(read).toEqual([message('fills'), RESYNC]);
  });

  it('drops a pending resync when the pubsub closes: the subscription ends anyway', async () => {
    const pubsub = new PubSub({ bufferSize: 1 });
    const subscription = pubsub.subscribe('channel');
    pubsub.publish('channel', 'fills');
    pubsub.publish('channel', 'missed');
    await pubsub.close();
    expect(await readAll(subscription)).toEqual([message('fills')]);
    expect(subscription.missed).toBe(1);
  });

  it('keeps at most one resync pending per subscriber', async () => {
    const transport = new ScriptedTransport();
    const pubsub = new PubSub({ transport, bufferSize: 1 });
    const subscription = pubsub.subscribe('channel');
    await subscription.ready;
    pubsub.publish('channel', 'fills');
    transport.reconnect();
    pubsub.publish('channel', 'missed');
    transport.reconnect();

    const read = await take(subscription, 2);
    await pubsub.close();
    read.push(...(await readAll(subscription)));
    expect(read).toEqual([message('fills'), RESYNC]);
  });

  it('does not resync a subscriber that missed nothing', async () => {
    const pubsub = new PubSub({ bufferSize: 1 });
    const slow = pubsub.subscribe('channel');
    const roomy = pubsub.subscribe('channel', { bufferSize: 4 });
    pubsub.publish('channel', 'a');
    pubsub.publish('channel', 'b');
    await pubsub.close();
    expect(await readAll(roomy)).toEqual([message('a'), message('b')]);
    expect(await readAll(slow)).toEqual([message('a')]);
  });
});
