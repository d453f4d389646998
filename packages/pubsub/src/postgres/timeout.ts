import type { Clock } from '@chatd/core';

/**
 * Settles like `promise`, or rejects with `onTimeout()` after `timeoutMs` on `clock`, whichever
 * comes first. The timer is unref'd and cancelled as soon as the promise settles; the promise's
 * own work is not stopped (callers clean up on timeout).
 * @internal
 */
export function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  promise: Promise<T>,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), timeoutMs).unref();
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

/**
 * Settles like `promise`, or rejects with `signal.reason` once `signal` aborts. When abandoned
 * that way, `onAbandoned(promise)` cleans up whatever the promise still produces.
 * @internal
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbandoned: (promise: Promise<T>) => void,
): Promise<T> {
  if (signal.aborted) {
    onAbandoned(promise);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      onAbandoned(promise);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
