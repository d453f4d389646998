import { type Clock, checkDelay } from './clock.js';

/**
 * Runs `work` with a signal that aborts when the deadline on `clock` passes or the caller's
 * signal aborts, and rejects at that moment even when `work` ignores its signal (a driver call
 * that cannot be cancelled keeps running; clean up after it on rejection). The timer is unref'd
 * and, like the listener on `signal`, released as soon as the result settles.
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` (as a rejection) when `timeoutMs` is `NaN`.
 *
 * @example
 * ```ts
 * const rows = await withDeadline(
 *   { clock, timeoutMs: 5_000, onTimeout: () => new Error('query timed out') },
 *   (signal) => runQuery(sql, { signal }),
 * );
 * ```
 */
export async function withDeadline<T>(
  {
    clock,
    timeoutMs,
    signal,
    onTimeout,
  }: {
    /** The clock the deadline runs on. */
    clock: Clock;
    /**
     * Milliseconds until the work is abandoned: `Infinity` for no deadline; zero or less has
     * passed already (the work is abandoned at the next turn of the event loop).
     */
    timeoutMs: number;
    /** The caller's signal: aborting it abandons the work at once, with its reason. */
    signal?: AbortSignal | undefined;
    /** Builds the error the work is rejected with when the deadline passes. */
    onTimeout: () => Error;
  },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  checkDelay(timeoutMs, 'timeoutMs');
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  let rejectDeadline: (reason: unknown) => void = () => {};
  const deadline = new Promise<never>((_resolve, reject) => {
    rejectDeadline = reject;
  });
  const timer = clock
    .setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      rejectDeadline(error);
    }, timeoutMs)
    .unref();
  const onAbort = () => {
    controller.abort(signal?.reason);
    rejectDeadline(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const running = work(controller.signal);
  // The loser of the race may still reject later; that rejection is expected and handled here.
  running.catch(() => {});
  try {
    return await Promise.race([running, deadline]);
  } finally {
    timer.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}
