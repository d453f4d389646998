import { newResourcesSince, snapshotResources } from '@chatd/core/testing';
import { bufferCount, bufferTime, filter, lastValueFrom, map, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ScriptedTransport } from '../test-support/scripted-transport.js';
import type { ChannelEvent, ChannelMessageEvent } from './pubsub.js';
import { PubSub } from './pubsub.js';

const isMessage = (event: ChannelEvent): event is ChannelMessageEvent => event.type === 'message';

describe('ChannelSubscription.events$ with RxJS operators', () => {
  it('filters, maps and batches messages; when take completes, the subscription is released', async () => {
    const transport = new ScriptedTransport();
    await using pubsub = new PubSub({ transport });
    const subscription = pubsub.subscribe('chat:update:1');
    await subscription.ready;
    const batches = lastValueFrom(
      subscription.events$.pipe(
        filter(isMessage),
        map((event) => (event.payload as { snapshotVersion: number }).snapshotVersion),
        bufferCount(2),
        take(2),
        toArray(),
      ),
    );
    for (const snapshotVersion of [1, 2, 3, 4, 5]) {
      pubsub.publish('chat:update:1', { snapshotVersion });
    }

    expect(await batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // take(2) unsubscribed: the subscriber is gone and the channel with it.
    expect(await subscription.ended).toBe('cancelled');
    expect(pubsub.subscriberCount).toBe(0);
    expect(pubsub.channelCount).toBe(0);
    expect(transport.calls.filter((call) => !call.startsWith('publish'))).toEqual([
      'listen chat:update:1',
      'unlisten chat:update:1',
    ]);
  });

  it("unsubscribing a chain releases the subscription and the operators' timers", async () => {
    const before = snapshotResources();
    await using pubsub = new PubSub();
    const subscription = pubsub.subscribe('chat:update:1');
    const batches: unknown[][] = [];
    const observer = subscription.events$
      .pipe(
        map((event) => (event.type === 'message' ? event.payload : 'resync')),
        bufferTime(60_000),
      )
      .subscribe((batch) => batches.push(batch));
    pubsub.publish('chat:update:1', 'pending in the window');
    expect(pubsub.subscriberCount).toBe(1);

    observer.unsubscribe();
    expect(pubsub.subscriberCount).toBe(0);
    expect(pubsub.channelCount).toBe(0);
    expect(await subscription.ended).toBe('cancelled');
    expect(batches).toEqual([]);
    // bufferTime's interval timer went with the unsubscribe.
    expect(await newResourcesSince(before)).toEqual([]);
  });
});
