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
  /** Calls `callback` once after `delayMs` milliseconds. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Calls `callback` every `intervalMs` milliseconds until cancelled. */
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
  /**
   * Resolves after `delayMs` milliseconds. Rejects with `signal.reason` as soon as `signal`
   * aborts (at once if it already has), and releases the timer.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

function wrapNodeTimer(
  timer: ReturnType<typeof globalThis.setTimeout>,
  clear: (timer: ReturnType<typeof globalThis.setTimeout>) => void,
): TimerHandle {
  const handle: TimerHandle = {
    cancel: () => clear(timer),
    unref: () => {
      timer.unref();
      return handle;
    },
  };
  return handle;
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
  setTimeout: (callback, delayMs) =>
    wrapNodeTimer(globalThis.setTimeout(callback, delayMs), globalThis.clearTimeout),
  setInterval: (callback, intervalMs) =>
    wrapNodeTimer(globalThis.setInterval(callback, intervalMs), globalThis.clearInterval),
  sleep: (delayMs, signal) => sleepOn(realClock, delayMs, signal),
};
