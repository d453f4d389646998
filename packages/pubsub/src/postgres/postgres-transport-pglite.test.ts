import { ManualClock } from '@chatd/core/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PubSub } from '../pubsub/pubsub.js';
import { take } from '../test-support/read.js';
import { describeTransportContract } from '../testing/index.js';
import type { PGliteNotifier } from './drivers.js';
import { PostgresTransport } from './postgres-transport.js';

// One in-memory PGlite for the whole file: each costs about 2.5 s and 750 MB.
let pglite: PGlite;
beforeAll(async () => {
  pglite = await PGlite.create();
});
afterAll(async () => {
  await pglite?.close();
});

async function listeningChannels(): Promise<string[]> {
  const result = await pglite.query<{ channel: string }>(
    'SELECT pg_listening_channels() AS channel ORDER BY 1',
  );
  return result.rows.map((row) => row.channel);
}

describeTransportContract('PostgresTransport on PGlite', () => new PostgresTransport({ pglite }), {
  createPeer: () => new PostgresTransport({ pglite }),
});

describe('PostgresTransport on PGlite', () => {
  const open: PubSub[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((pubsub) => pubsub.close()));
  });

  function openPubSub(bufferSize = 64, notifier: PGliteNotifier = pglite): PubSub {
    const pubsub = new PubSub({
      transport: new PostgresTransport({ pglite: notifier }),
      bufferSize,
    });
    open.push(pubsub);
    return pubsub;
  }

  it('lets two PubSubs on one instance exchange messages in order', async () => {
    const a = openPubSub();
    const b = openPubSub();
    const toB = b.subscribe('a-to-b');
    const toA = a.subscribe('b-to-a');
    await Promise.all([toB.ready, toA.ready]);
    const count = 50;
    for (let index = 0; index < count; index++) {
      a.publish('a-to-b', { index });
      b.publish('b-to-a', { index });
    }
    const expected = Array.from({ length: count }, (_, index) => ({
      type: 'message',
      payload: { index },
    }));
    expect(await take(toB, count)).toEqual(expected);
    expect(await take(toA, count)).toEqual(expected);
  });

  it('LISTENs on the first subscriber and UNLISTENs after the last one leaves', async () => {
    const pubsub = openPubSub();
    const first = pubsub.subscribe('counted');
    await first.ready;
    expect(await listeningChannels()).toEqual(['counted']);
    const second = pubsub.subscribe('counted');
    await second.ready;
    first.cancel();
    pubsub.publish('counted', 'still here');
    expect(await take(second, 1)).toEqual([{ type: 'message', payload: 'still here' }]);
    expect(await listeningChannels()).toEqual(['counted']);
    second.cancel();
    await vi.waitFor(async () => expect(await listeningChannels()).toEqual([]));
  });

  it('keeps another user of the instance listening on the same channel', async () => {
    const received: string[] = [];
    const callback = (payload: string) => {
      received.push(payload);
    };
    await pglite.listen('shared', callback);
    const pubsub = openPubSub();
    const subscription = pubsub.subscribe('shared');
    await subscription.ready;
    subscription.cancel();
    await pubsub.close();
    await pglite.query("SELECT pg_notify('shared', 'for the store')");
    await vi.waitFor(() => expect(received).toEqual(['for the store']));
    await pglite.unlisten('shared', callback);
  });

  it('maps a channel name longer than 63 bytes to a short form, quoted safely', async () => {
    const pubsub = openPubSub();
    const channel = `chat:update:"; DROP TABLE x; --${'é'.repeat(60)}`;
    const subscription = pubsub.subscribe(channel);
    await subscription.ready;
    expect(await listeningChannels()).toEqual([
      expect.stringMatching(/^#[0-9a-f]{32}:chat:update:_/),
    ]);
    pubsub.publish(channel, 'arrived');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'arrived' }]);
  });

  it('refuses a payload of 8000 bytes or more before sending anything', async () => {
    let statements = 0;
    const counting: PGliteNotifier = {
      query: (query, params) => {
        statements += 1;
        return pglite.query(query, params);
      },
      listen: (channel, callback) => pglite.listen(channel, callback),
      unlisten: (channel, callback) => pglite.unlisten(channel, callback),
    };
    const transport = new PostgresTransport({ pglite: counting });
    const pubsub = new PubSub({ transport });
    open.push(pubsub);
    const subscription = pubsub.subscribe('big');
    await subscription.ready;
    expect(() => pubsub.publish('big', 'x'.repeat(7986))).toThrowError(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    );
    await expect(transport.publish('big', 'é'.repeat(4000))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(statements).toBe(0);
    pubsub.publish('big', 'x'.repeat(7985));
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'x'.repeat(7985) }]);
  });

  it('delivers a burst of 10,000 notifications complete and in order', async () => {
    const count = 10_000;
    const publisher = openPubSub();
    const receiver = openPubSub(count);
    const subscription = receiver.subscribe('burst');
    await subscription.ready;
    for (let index = 0; index < count; index++) publisher.publish('burst', index);
    const events = await take(subscription, count);
    expect(events.map((event) => (event.type === 'message' ? event.payload : 'resync'))).toEqual(
      Array.from({ length: count }, (_, index) => index),
    );
    expect(receiver.dropCount).toBe(0);
  });

  it('close unlistens, leaves no timers, and leaves the PGlite instance open', async () => {
    const clock = new ManualClock();
    const pubsub = new PubSub({ transport: new PostgresTransport({ pglite, clock }) });
    const subscription = pubsub.subscribe('closing');
    await subscription.ready;
    expect(clock.pendingTimerCount).toBe(0); // PGlite has no connection to keep alive
    pubsub.publish('closing', 'one');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'one' }]);
    await pubsub.close();
    expect(clock.pendingTimerCount).toBe(0);
    expect(await listeningChannels()).toEqual([]);
    expect(pglite.closed).toBe(false);
  });
});
