import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { BoundedQueue, fromSubscribable } from './bounded-queue.js';

async function readAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

describe('BoundedQueue', () => {
  describe('options', () => {
    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects capacity %s with INVALID_ARGUMENT',
      (capacity) => {
        expect(() => new BoundedQueue({ capacity })).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'capacity' }),
        );
      },
    );

    it('rejects missing options and a capacity given as a string with INVALID_ARGUMENT', () => {
      expect(() => new (BoundedQueue as new () => unknown)()).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options' }),
      );
      expect(() => new BoundedQueue({ capacity: '5' as unknown as number })).toThrow(
        expect.objectContaining({ argument: 'capacity', message: expect.stringContaining('"5"') }),
      );
    });

    it('rejects an unknown overflow policy', () => {
      expect(() => new BoundedQueue({ capacity: 1, overflow: 'drop-oldest' as 'error' })).toThrow(
        /overflow/,
      );
    });
  });

  describe('push', () => {
    it('delivers values in FIFO order, then ends after close', async () => {
      const queue = new BoundedQueue<number>({ capacity: 4 });
      expect([queue.push(1), queue.push(2), queue.push(3)]).toEqual([true, true, true]);
      queue.close();
      expect(await readAll(queue)).toEqual([1, 2, 3]);
      await expect(queue.ended).resolves.toBe('drained');
    });

    it('drops the newest value when full (drop-newest) and keeps what is buffered', async () => {
      const queue = new BoundedQueue<number>({ capacity: 2 });
      expect([queue.push(1), queue.push(2), queue.push(3)]).toEqual([true, true, false]);
      expect(queue.size).toBe(2);
      queue.close();
      expect(await readAll(queue)).toEqual([1, 2]);
    });

    it('hands a value straight to a waiting reader', async () => {
      const queue = new BoundedQueue<string>({ capacity: 0 });
      const reading = queue.next();
      expect(queue.push('a')).toBe(true);
      await expect(reading).resolves.toEqual({ done: false, value: 'a' });
    });

    it('with capacity 0 refuses a value nobody is waiting for', () => {
      const queue = new BoundedQueue<string>({ capacity: 0 });
      expect(queue.push('a')).toBe(false);
    });

    it('fails the queue on overflow under the error policy: buffered values, then the error', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1, overflow: 'error' });
      queue.push(1);
      expect(queue.push(2)).toBe(false);
      expect(queue.isOpen).toBe(false);
      await expect(queue.next()).resolves.toEqual({ done: false, value: 1 });
      await expect(queue.next()).rejects.toMatchObject({ code: 'QUEUE_OVERFLOW' });
      await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
      await expect(queue.ended).resolves.toBe('drained');
    });

    it('accepts nothing once closed', () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.close();
      expect(queue.push(1)).toBe(false);
    });
  });

  describe('pushWhenReady', () => {
    it('waits for room and is admitted when the reader takes a value', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.push(1);
      let accepted: boolean | undefined;
      const waiting = queue.pushWhenReady(2).then((value) => {
        accepted = value;
      });
      await Promise.resolve();
      expect(accepted).toBeUndefined();
      expect(queue.waitingPushCount).toBe(1);
      await expect(queue.next()).resolves.toEqual({ done: false, value: 1 });
      await waiting;
      expect(accepted).toBe(true);
      await expect(queue.next()).resolves.toEqual({ done: false, value: 2 });
    });

    it('keeps its place: a later lossy push is not accepted ahead of it', async () => {
      const queue = new BoundedQueue<string>({ capacity: 1 });
      queue.push('first');
      const waiting = queue.pushWhenReady('must-deliver');
      expect(queue.push('lossy')).toBe(false);
      await queue.next();
      await expect(waiting).resolves.toBe(true);
      expect(queue.push('later')).toBe(false); // room went to the waiting value
      queue.close();
      expect(await readAll(queue)).toEqual(['must-deliver']);
    });

    it('admits waiting pushes in the order they were made', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.push(0);
      const waits = [queue.pushWhenReady(1), queue.pushWhenReady(2), queue.pushWhenReady(3)];
      const values: number[] = [];
      for (let i = 0; i < 4; i += 1) values.push((await queue.next()).value as number);
      expect(values).toEqual([0, 1, 2, 3]);
      await expect(Promise.all(waits)).resolves.toEqual([true, true, true]);
    });

    it('resolves false when its signal aborts, and removes only itself', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.push(0);
      const controller = new AbortController();
      const aborted = queue.pushWhenReady(1, controller.signal);
      const kept = queue.pushWhenReady(2);
      controller.abort();
      await expect(aborted).resolves.toBe(false);
      expect(queue.waitingPushCount).toBe(1);
      await queue.next();
      await expect(kept).resolves.toBe(true);
      await expect(queue.next()).resolves.toEqual({ done: false, value: 2 });
    });

    it('still tries once when the signal has already aborted', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      await expect(queue.pushWhenReady(1, AbortSignal.abort())).resolves.toBe(true);
      await expect(queue.pushWhenReady(2, AbortSignal.abort())).resolves.toBe(false);
      expect(queue.waitingPushCount).toBe(0);
    });

    it('with capacity 0 resolves only when a reader takes the value', async () => {
      const queue = new BoundedQueue<string>({ capacity: 0 });
      let accepted = false;
      const handOff = queue.pushWhenReady('part').then((value) => {
        accepted = value;
      });
      await Promise.resolve();
      expect(accepted).toBe(false);
      await expect(queue.next()).resolves.toEqual({ done: false, value: 'part' });
      await handOff;
      expect(accepted).toBe(true);
    });

    it('resolves false for every waiting push when the queue closes or is cancelled', async () => {
      const closing = new BoundedQueue<number>({ capacity: 0 });
      const beforeClose = closing.pushWhenReady(1);
      closing.close();
      await expect(beforeClose).resolves.toBe(false);

      const cancelling = new BoundedQueue<number>({ capacity: 0 });
      const beforeCancel = cancelling.pushWhenReady(1);
      cancelling.cancel();
      await expect(beforeCancel).resolves.toBe(false);
    });

    it('removes its abort listener once settled', async () => {
      const queue = new BoundedQueue<number>({ capacity: 0 });
      const controller = new AbortController();
      const remove = vi.spyOn(controller.signal, 'removeEventListener');
      const handOff = queue.pushWhenReady(1, controller.signal);
      await queue.next();
      await handOff;
      expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    });
  });

  describe('reader side', () => {
    it('ends a waiting read when the queue closes', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      const reading = queue.next();
      queue.close();
      await expect(reading).resolves.toEqual({ done: true, value: undefined });
      await expect(queue.ended).resolves.toBe('drained');
    });

    it('rejects a waiting read when the queue fails', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      const reading = queue.next();
      queue.fail(new Error('upstream broke'));
      await expect(reading).rejects.toThrow('upstream broke');
    });

    it('delivers a failure to the first read after the buffer drains', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.fail(new Error('broke before anyone read'));
      await expect(queue.next()).rejects.toThrow('broke before anyone read');
      await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
    });

    it('cancel discards buffered values, ends waiting reads and calls onCancel once', async () => {
      const onCancel = vi.fn();
      const queue = new BoundedQueue<number>({ capacity: 2, onCancel });
      queue.push(1);
      queue.cancel();
      queue.cancel();
      expect(onCancel).toHaveBeenCalledTimes(1);
      expect(queue.size).toBe(0);
      await expect(queue.next()).resolves.toEqual({ done: true, value: undefined });
      await expect(queue.ended).resolves.toBe('cancelled');
    });

    it('breaking out of for-await cancels the queue', async () => {
      const onCancel = vi.fn();
      const queue = new BoundedQueue<number>({ capacity: 4, onCancel });
      queue.push(1);
      queue.push(2);
      for await (const value of queue) {
        expect(value).toBe(1);
        break;
      }
      expect(onCancel).toHaveBeenCalledTimes(1);
      expect(queue.push(3)).toBe(false);
    });

    it('does not call onCancel after the queue drained', async () => {
      const onCancel = vi.fn();
      const queue = new BoundedQueue<number>({ capacity: 1, onCancel });
      queue.close();
      await readAll(queue);
      queue.cancel();
      expect(onCancel).not.toHaveBeenCalled();
    });

    it('serves concurrent reads in order', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      const first = queue.next();
      const second = queue.next();
      queue.push(1);
      queue.push(2);
      await expect(first).resolves.toEqual({ done: false, value: 1 });
      await expect(second).resolves.toEqual({ done: false, value: 2 });
    });

    it('keeps FIFO order across many values (deque compaction)', async () => {
      const queue = new BoundedQueue<number>({ capacity: 5000 });
      const expected: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        for (let i = 0; i < 3000; i += 1) {
          const value = round * 3000 + i;
          queue.push(value);
          expected.push(value);
        }
        for (let i = 0; i < 2500; i += 1) await queue.next();
      }
      queue.close();
      const rest = await readAll(queue);
      expect(rest).toEqual(expected.slice(7500));
    });
  });
});

describe('fromSubscribable', () => {
  it('reads an RxJS Observable with for-await and ends when it completes', async () => {
    const subject = new Subject<number>();
    const queue = fromSubscribable(subject, { capacity: 8 });
    subject.next(1);
    subject.next(2);
    subject.complete();
    expect(await readAll(queue)).toEqual([1, 2]);
  });

  it('carries an Observable error to the reader', async () => {
    const subject = new Subject<number>();
    const queue = fromSubscribable(subject, { capacity: 8 });
    subject.next(1);
    subject.error(new Error('source failed'));
    await expect(readAll(queue)).rejects.toThrow('source failed');
  });

  it('unsubscribes at once when the reader cancels, even while idle', () => {
    const subject = new Subject<number>();
    const queue = fromSubscribable(subject, { capacity: 8 });
    expect(subject.observed).toBe(true);
    queue.cancel();
    expect(subject.observed).toBe(false);
  });

  it('fails with QUEUE_OVERFLOW and unsubscribes when the reader falls behind', async () => {
    const subject = new Subject<number>();
    const queue = fromSubscribable(subject, { capacity: 1 });
    subject.next(1);
    subject.next(2);
    expect(subject.observed).toBe(false);
    await expect(readAll(queue)).rejects.toMatchObject({ code: 'QUEUE_OVERFLOW' });
  });

  it('drops instead of failing under drop-newest', async () => {
    const subject = new Subject<number>();
    const queue = fromSubscribable(subject, { capacity: 1, overflow: 'drop-newest' });
    subject.next(1);
    subject.next(2);
    subject.complete();
    expect(await readAll(queue)).toEqual([1]);
  });
});
