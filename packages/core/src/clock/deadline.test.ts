import { describe, expect, it } from 'vitest';
import { ManualClock, newResourcesSince, snapshotResources } from '../testing/index.js';
import { realClock } from './clock.js';
import { withDeadline } from './deadline.js';

const timedOut = () => new Error('timed out');

describe('withDeadline', () => {
  it('settles like the work when it finishes in time', async () => {
    const clock = new ManualClock();
    await expect(
      withDeadline({ clock, timeoutMs: 100, onTimeout: timedOut }, async () => 'done'),
    ).resolves.toBe('done');
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('rejects at the deadline even when the work ignores its signal, and aborts that signal', async () => {
    const clock = new ManualClock();
    let seen: AbortSignal | undefined;
    const result = withDeadline({ clock, timeoutMs: 100, onTimeout: timedOut }, (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    const rejected = expect(result).rejects.toThrow('timed out');
    await clock.advance(100);
    await rejected;
    expect(seen?.aborted).toBe(true);
  });

  it("rejects with the caller's reason when its signal aborts, before or during the work", async () => {
    const clock = new ManualClock();
    const already = AbortSignal.abort(new Error('gone'));
    await expect(
      withDeadline({ clock, timeoutMs: 100, signal: already, onTimeout: timedOut }, async () => 1),
    ).rejects.toThrow('gone');
    const controller = new AbortController();
    const result = withDeadline(
      { clock, timeoutMs: 100, signal: controller.signal, onTimeout: timedOut },
      () => new Promise<never>(() => {}),
    );
    controller.abort(new Error('stopped'));
    await expect(result).rejects.toThrow('stopped');
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('sets no deadline for Infinity and refuses NaN, naming timeoutMs', async () => {
    const clock = new ManualClock();
    let finish: (value: string) => void = () => {};
    const result = withDeadline(
      { clock, timeoutMs: Number.POSITIVE_INFINITY, onTimeout: timedOut },
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    await clock.advance(365 * 24 * 60 * 60 * 1000);
    finish('late but fine');
    await expect(result).resolves.toBe('late but fine');
    let ran = false;
    await expect(
      withDeadline({ clock, timeoutMs: Number.NaN, onTimeout: timedOut }, async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'timeoutMs' });
    expect(ran).toBe(false);
  });

  it('leaves no timer behind on the real clock', async () => {
    const before = snapshotResources();
    await withDeadline({ clock: realClock, timeoutMs: 60_000, onTimeout: timedOut }, async () => 1);
    expect(await newResourcesSince(before)).toEqual([]);
  });
});
