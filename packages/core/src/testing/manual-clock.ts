import { type Clock, checkDelay, sleepOn, type TimerHandle } from '../clock/clock.js';
import { InvalidArgumentError } from '../errors/core-errors.js';

/** Options for {@link ManualClock}. */
export interface ManualClockOptions {
  /**
   * The starting time, in milliseconds since the Unix epoch.
   * @default Date.UTC(2026, 0, 1)
   */
  now?: number;
}

interface ScheduledTimer {
  id: number;
  dueAt: number;
  intervalMs: number | undefined;
  callback: () => void;
}

/** Lets queued promise callbacks and the async code they resume run to completion. */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A {@link Clock} that only moves when the test says so.
 *
 * `advance(ms)` fires every timer due within `ms` in due order, moving `now()` to each timer's
 * due time and letting promise callbacks settle after each one, so code that awaits a sleep and
 * then schedules the next timer behaves as with real time. `waitForTimers(n)` lets a test wait
 * until the code under test has scheduled its timers before moving time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const buffer = new MessagePartBuffer({ clock, subscriberSendTimeoutMs: 1000 });
 * // ... subscribe without reading
 * await clock.advance(1000); // the subscriber is evicted
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, ScheduledTimer>();
  #timerWaiters: { count: number; resolve: () => void }[] = [];

  constructor({ now = Date.UTC(2026, 0, 1) }: ManualClockOptions = {}) {
    this.#now = now;
  }

  /** The current manual time. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at `now() + delayMs`. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#schedule(callback, delayMs, undefined);
  }

  /** Schedules `callback` every `intervalMs`, first at `now() + intervalMs`. */
  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    if (!(intervalMs > 0)) throw new InvalidArgumentError('intervalMs', 'must be positive');
    return this.#schedule(callback, intervalMs, intervalMs);
  }

  /** Resolves once the clock has been advanced by `delayMs`. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** How many timers are scheduled and not yet fired or cancelled. */
  get pendingTimerCount(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Resolves after the last callback's
   * promise reactions have settled.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new InvalidArgumentError('ms', 'must be zero or positive');
    const target = this.#now + ms;
    await settleMicrotasks();
    for (;;) {
      const next = this.#earliestDue(target);
      if (next === undefined) break;
      this.#now = next.dueAt;
      if (next.intervalMs === undefined) this.#timers.delete(next.id);
      else next.dueAt += next.intervalMs;
      next.callback();
      await settleMicrotasks();
    }
    this.#now = target;
  }

  /** Resolves once at least `count` timers are pending (at once if they already are). */
  waitForTimers(count = 1): Promise<void> {
    if (this.#timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#timerWaiters.push({ count, resolve }));
  }

  #schedule(callback: () => void, delayMs: number, intervalMs: number | undefined): TimerHandle {
    const timer: ScheduledTimer = {
      id: this.#nextId++,
      dueAt: this.#now + Math.max(0, checkDelay(delayMs)),
      intervalMs,
      callback,
    };
    this.#timers.set(timer.id, timer);
    this.#notifyTimerWaiters();
    const handle: TimerHandle = {
      cancel: () => {
        this.#timers.delete(timer.id);
      },
      unref: () => handle,
    };
    return handle;
  }

  #earliestDue(target: number): ScheduledTimer | undefined {
    let earliest: ScheduledTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.dueAt > target) continue;
      if (earliest === undefined || timer.dueAt < earliest.dueAt) earliest = timer;
    }
    return earliest;
  }

  #notifyTimerWaiters(): void {
    const size = this.#timers.size;
    const ready = this.#timerWaiters.filter((waiter) => waiter.count <= size);
    if (ready.length === 0) return;
    this.#timerWaiters = this.#timerWaiters.filter((waiter) => waiter.count > size);
    for (const waiter of ready) waiter.resolve();
  }
}
