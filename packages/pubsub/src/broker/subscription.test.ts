import { firstValueFrom, lastValueFrom, take as takeValues, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { checkResourcesAfterEachTest } from '../test-support/leak-check.js';
import { take } from '../test-support/read.js';
import { Broker } from './broker.js';

checkResourcesAfterEachTest();

describe('Subscription.events$', () => {
  it('emits the same events as iteration would, in order', async () => {
    const broker = new Broker<number>();
    const subscription = broker.subscribe();
    const received = lastValueFrom(subscription.events$.pipe(toArray()));
    for (let index = 0; index < 3; index++) broker.publish('updated', index);
    await broker.close();
    expect(await received).toEqual([0, 1, 2].map((payload) => ({ type: 'updated', payload })));
  });

  it('emits events buffered before the first observer subscribed', async () => {
    const broker = new Broker<string>();
    const subscription = broker.subscribe();
    broker.publish('updated', 'buffered');
    expect(await firstValueFrom(subscription.events$)).toEqual({
      type: 'updated',
      payload: 'buffered',
    });
    await broker.close();
  });

  it('multicasts every event to every observer', async () => {
    const broker = new Broker<string>();
    const subscription = broker.subscribe();
    const first = lastValueFrom(subscription.events$.pipe(toArray()));
    const second = lastValueFrom(subscription.events$.pipe(toArray()));
    broker.publish('updated', 'a');
    broker.publish('updated', 'b');
    await broker.close();
    expect(await first).toEqual(await second);
    expect((await first).map((event) => event.payload)).toEqual(['a', 'b']);
  });

  it("completes after the buffered events once the broker closes, with `ended` 'closed'", async () => {
    const broker = new Broker<string>();
    const subscription = broker.subscribe();
    broker.publish('updated', 'a');
    await broker.close();
    expect(await lastValueFrom(subscription.events$.pipe(toArray()))).toHaveLength(1);
    expect(await subscription.ended).toBe('closed');
  });

  it('completes its observers synchronously when the subscription is cancelled', async () => {
    await using broker = new Broker<string>();
    const subscription = broker.subscribe();
    let completed = false;
    subscription.events$.subscribe({
      complete: () => {
        completed = true;
      },
    });
    subscription.cancel();
    expect(completed).toBe(true);
  });

  it('completes at once for an observer that subscribes after the subscription ended', async () => {
    await using broker = new Broker<string>();
    const subscription = broker.subscribe();
    subscription.cancel();
    expect(await lastValueFrom(subscription.events$.pipe(toArray()))).toEqual([]);
  });

  it('cancels the subscription when its last observer unsubscribes', async () => {
    await using broker = new Broker<string>();
    const subscription = broker.subscribe();
    const first = subscription.events$.subscribe();
    const second = subscription.events$.subscribe();
    first.unsubscribe();
    expect(broker.subscriberCount).toBe(1);
    second.unsubscribe();
    expect(broker.subscriberCount).toBe(0);
    expect(await subscription.ended).toBe('cancelled');
  });

  it('cancels the subscription when an operator like take(n) has what it needs', async () => {
    await using broker = new Broker<string>();
    const subscription = broker.subscribe();
    const firstTwo = lastValueFrom(subscription.events$.pipe(takeValues(2), toArray()));
    for (const payload of ['a', 'b', 'c']) broker.publish('updated', payload);
    expect((await firstTwo).map((event) => event.payload)).toEqual(['a', 'b']);
    expect(broker.subscriberCount).toBe(0);
  });

  it('is an Observable, not the Subject behind it', async () => {
    await using broker = new Broker<string>();
    using subscription = broker.subscribe();
    expect('next' in subscription.events$).toBe(false);
    expect(subscription.events$).toBe(subscription.events$);
  });
});

describe('Subscription iteration', () => {
  it('returns the same iterator each time, so a second loop continues the first', async () => {
    await using broker = new Broker<string>();
    using subscription = broker.subscribe();
    broker.publish('updated', 'a');
    broker.publish('updated', 'b');
    expect(await take(subscription, 1)).toEqual([{ type: 'updated', payload: 'a' }]);
    expect(await take(subscription, 1)).toEqual([{ type: 'updated', payload: 'b' }]);
  });
});
