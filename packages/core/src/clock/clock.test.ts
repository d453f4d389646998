import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../testing/manual-clock.js';
import { realClock } from './clock.js';

describe('realClock', () => {
  const handles: { cancel(): void }[] = [];
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.cancel();
  });

  it('reports wall time', () => {
    const before = Date.now();
    const now = realClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('fires a timeout once', async () => {
    let fired = 0;
    await new Promise<void>((resolve) => {
      handles.push(
        realClock.setTimeout(() => {
          fired += 1;
          resolve();
        }, 1),
      );
    });
    expect(fired).toBe(1);
  });

  it('unref() lets a timer stop holding the process, and cancel() releases it', () => {
    // getActiveResourcesInfo() lists only timers that keep the event loop alive.
    const activeTimers = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = activeTimers();
    const handle = realClock.setInterval(() => {}, 60_000);
    handles.push(handle);
    expect(activeTimers()).toBe(before + 1);
    expect(handle.unref()).toBe(handle);
    expect(activeTimers()).toBe(before);
    handle.cancel();
    expect(activeTimers()).toBe(before);
  });

  it('sleep rejects with the abort reason and releases its timer', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const controller = new AbortController();
    const sleeping = realClock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it('sleep rejects at once when the signal has already aborted', async () => {
    const reason = new Error('already');
    await expect(realClock.sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('realClock beyond the longest Node timer (2^31 - 1 ms)', () => {
  const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Fake timers that record every delay handed to setTimeout, as Node would receive it. */
  const fakeTimers = () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const delays: number[] = [];
    const setTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      callback: () => void,
      delayMs: number,
    ) => {
      delays.push(delayMs);
      return setTimeout(callback, delayMs);
    }) as typeof globalThis.setTimeout);
    return delays;
  };

  it('waits the whole delay instead of firing after 1 ms', () => {
    const delays = fakeTimers();
    let fired = 0;
    realClock.setTimeout(() => {
      fired += 1;
    }, THIRTY_DAYS_MS);
    vi.advanceTimersByTime(THIRTY_DAYS_MS - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(THIRTY_DAYS_MS);
    expect(fired).toBe(1);
    // Node never saw a delay it would have cut to 1 ms.
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('repeats a long interval on every period, and cancel() stops it between steps', () => {
    fakeTimers();
    let fired = 0;
    const handle = realClock.setInterval(() => {
      fired += 1;
    }, THIRTY_DAYS_MS);
    vi.advanceTimersByTime(2 * THIRTY_DAYS_MS);
    expect(fired).toBe(2);
    vi.advanceTimersByTime(THIRTY_DAYS_MS / 2);
    handle.cancel();
    vi.advanceTimersByTime(THIRTY_DAYS_MS);
    expect(fired).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never fires an Infinity timeout; a long sleep resolves at its end', async () => {
    fakeTimers();
    let fired = false;
    const handle = realClock.setTimeout(() => {
      fired = true;
    }, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(10 * THIRTY_DAYS_MS);
    expect(fired).toBe(false);
    handle.cancel();
    const slept = realClock.sleep(THIRTY_DAYS_MS);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS_MS);
    await expect(slept).resolves.toBeUndefined();
  });

  it('refuses NaN with INVALID_ARGUMENT instead of firing at once, like the manual clock', async () => {
    for (const schedule of [
      () => realClock.setTimeout(() => {}, Number.NaN),
      () => realClock.setInterval(() => {}, Number.NaN),
      () => new ManualClock().setTimeout(() => {}, Number.NaN),
    ]) {
      expect(schedule).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'delayMs' }),
      );
    }
    await expect(realClock.sleep(Number.NaN)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('ManualClock', () => {
  it('starts at a fixed time unless told otherwise', () => {
    expect(new ManualClock().now()).toBe(Date.UTC(2026, 0, 1));
    expect(new ManualClock({ now: 5 }).now()).toBe(5);
  });

  it('fires timers in due order, moving now() to each due time', async () => {
    const clock = new ManualClock({ now: 0 });
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30);
    await clock.advance(25);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    expect(clock.now()).toBe(25);
    expect(clock.pendingTimerCount).toBe(1);
  });

  it('fires timers scheduled with the same due time in scheduling order', async () => {
    const clock = new ManualClock({ now: 0 });
    const fired: number[] = [];
    for (const id of [1, 2, 3]) clock.setTimeout(() => fired.push(id), 5);
    await clock.advance(5);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('runs an interval on every period until cancelled', async () => {
    const clock = new ManualClock({ now: 0 });
    let ticks = 0;
    const handle = clock.setInterval(() => {
      ticks += 1;
    }, 10);
    await clock.advance(35);
    expect(ticks).toBe(3);
    handle.cancel();
    await clock.advance(100);
    expect(ticks).toBe(3);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('lets async code that sleeps in a loop run through an advance', async () => {
    const clock = new ManualClock({ now: 0 });
    const seen: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i += 1) {
        await clock.sleep(10);
        seen.push(clock.now());
      }
    })();
    await clock.advance(30);
    await loop;
    expect(seen).toEqual([10, 20, 30]);
  });

  it('sleep rejects on abort and cancels its timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    expect(clock.pendingTimerCount).toBe(1);
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('waitForTimers resolves once the code under test has scheduled its timers', async () => {
    const clock = new ManualClock();
    let ready = false;
    const waiting = clock.waitForTimers(2).then(() => {
      ready = true;
    });
    clock.setTimeout(() => {}, 1);
    await Promise.resolve();
    expect(ready).toBe(false);
    clock.setTimeout(() => {}, 1);
    await waiting;
    expect(ready).toBe(true);
  });

  it('rejects negative advances and non-positive intervals with INVALID_ARGUMENT', async () => {
    const clock = new ManualClock();
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => clock.setInterval(() => {}, 0)).toThrow(/intervalMs/);
  });
});
