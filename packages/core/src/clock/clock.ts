import { InvalidArgumentError } from '../errors/core-errors.js';
import { describeValue } from '../options/option-checks.js';

/**
 * A scheduled callback returned by {@link Clock.setTimeout} and {@link Clock.setInterval}.
 */
export interface TimerHandle {
  /** Stops the timer. Idempotent; safe after it fired. */
  cancel(): void;
  /**
   * Lets the process exit while this timer is pending (Node's `unref`). Libraries call it on
   * every timer they keep running in the background. Returns the same handle.
   */
  unref(): TimerHandle;
}

/**
 * The source of time for everything in chatd that waits: timeouts, retention, heartbeats,
 * backoff.
 *
 * Components take `clock?: Clock` and default to {@link realClock}; tests pass a `ManualClock`
 * from `@chatd/core/testing` and move time explicitly. Build every timeout on the clock, never on
 * `AbortSignal.timeout` or bare `setTimeout`, or tests cannot drive it.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Calls `callback` once after `delayMs` milliseconds: any length (`Infinity` never fires); a
   * negative delay fires as soon as possible.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for `NaN`.
   */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /**
   * Calls `callback` every `intervalMs` milliseconds until cancelled (any length, as for
   * {@link Clock.setTimeout}).
   */
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
  /**
   * Resolves after `delayMs` milliseconds. Rejects with `signal.reason` as soon as `signal`
   * aborts (at once if it already has), and releases the timer.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The longest delay Node's timers honour: a longer one (or `Infinity`) fires after 1 ms, with a
 * warning. The real clock reaches further by chaining timers of at most this long.
 */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

/**
 * A Node timer that fires once after `delayMs` (or every `delayMs` when `repeat`), however long:
 * past {@link MAX_NODE_DELAY_MS} it waits in steps, so a timeout of weeks (a human-approval
 * window, say) waits weeks, and `Infinity` never fires. A negative delay fires at once, as in
 * Node; `NaN` is refused, as it can only come from a miscalculation.
 */
function nodeTimer(callback: () => void, delayMs: number, repeat: boolean): TimerHandle {
  const periodMs = Math.max(0, checkDelay(delayMs));
  let timer: ReturnType<typeof globalThis.setTimeout> | undefined;
  let holdsProcess = true;
  const arm = (remainingMs: number) => {
    const stepMs = Math.min(remainingMs, MAX_NODE_DELAY_MS);
    timer = globalThis.setTimeout(() => {
      if (remainingMs > stepMs) arm(remainingMs - stepMs);
      else {
        if (repeat) arm(periodMs);
        callback();
      }
    }, stepMs);
    if (!holdsProcess) timer.unref();
  };
  arm(periodMs);
  const handle: TimerHandle = {
    cancel: () => globalThis.clearTimeout(timer),
    unref: () => {
      holdsProcess = false;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}

/**
 * Returns `delayMs` when a clock can wait that long: any number but `NaN`, which can only come
 * from a miscalculation (the clocks refuse it rather than fire at a moment nobody meant).
 * @param name - The argument's name in the error.
 * @throws InvalidArgumentError `INVALID_ARGUMENT`
 */
export function checkDelay(delayMs: number, name = 'delayMs'): number {
  if (typeof delayMs !== 'number' || Number.isNaN(delayMs)) {
    throw new InvalidArgumentError(
      name,
      `must be a number of milliseconds, got ${describeValue(delayMs)}`,
    );
  }
  return delayMs;
}

/**
 * Resolves after `delayMs` on `clock`, or rejects with the abort reason of `signal`. Shared by
 * both clock implementations so abort handling is written once.
 */
export function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock: `Date.now()` and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => nodeTimer(callback, delayMs, false),
  setInterval: (callback, intervalMs) => nodeTimer(callback, intervalMs, true),
  sleep: (delayMs, signal) => sleepOn(realClock, delayMs, signal),
};
