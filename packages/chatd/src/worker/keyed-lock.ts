/**
 * An in-memory lock per key: `acquire(key)` resolves with a release function once every
 * earlier holder of that key has released it. Keys with no holder cost nothing.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Waits for `key`, then holds it until the returned function is called.
   * Rejects with `signal.reason` if `signal` aborts first; the lock is then not held.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The next holder waits for this one, whether this one gets the lock or gives up waiting.
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    const releaseOnce = () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    if (signal === undefined) {
      await previous;
      return releaseOnce;
    }
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        void previous.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    } catch (error) {
      releaseOnce();
      throw error;
    }
    return releaseOnce;
  }
}
