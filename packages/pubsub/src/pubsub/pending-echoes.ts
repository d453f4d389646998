/** The publisher's side of one must-deliver message on its way back from the transport. */
export interface PendingEcho {
  /** The publisher's signal, applied to the local fan-out once the message arrives. */
  readonly signal: AbortSignal | undefined;
  /** Ends the publisher's wait. Idempotent. */
  readonly resolve: () => void;
}

interface Entry extends PendingEcho {
  readonly channel: string;
  readonly stopListening: () => void;
}

/**
 * Must-deliver messages this process published and is waiting to receive back from the
 * transport, so `publishMustDeliver` can resolve once its own local fan-out is done.
 *
 * A wait ends when the message arrives and its fan-out finishes, or when it can no longer
 * arrive: the channel is dropped, the transport reconnects (it may have been lost), PubSub
 * closes. An abort ends the wait at once but keeps the entry, so the fan-out, when the message
 * does arrive, still sees the aborted signal (full subscribers miss it instead of being waited
 * for), exactly as a `Broker` treats an aborted must-deliver publish.
 * @internal
 */
export class PendingEchoes {
  readonly #entries = new Map<string, Entry>();

  /** How many messages are awaited. */
  get size(): number {
    return this.#entries.size;
  }

  /** Registers a message before it is sent (an in-process transport delivers synchronously). */
  wait(id: string, channel: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolvePromise) => {
      let done = false;
      const resolve = () => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', resolve);
        resolvePromise();
      };
      // An already-aborted signal never fires: the caller does not wait at all, but the entry
      // stays so the fan-out still sees the aborted signal.
      if (signal?.aborted) resolve();
      else signal?.addEventListener('abort', resolve, { once: true });
      this.#entries.set(id, {
        channel,
        signal,
        resolve,
        stopListening: () => signal?.removeEventListener('abort', resolve),
      });
    });
  }

  /** Removes and returns the wait for `id`, if this process published it. */
  take(id: string): PendingEcho | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    // From here on the fan-out listens to the signal itself.
    entry.stopListening();
    return entry;
  }

  /** Ends the wait for `id` without a delivery (the send failed). */
  forget(id: string): void {
    this.take(id)?.resolve();
  }

  /** Ends every wait on `channel`: its messages can no longer be expected. */
  releaseChannel(channel: string): void {
    for (const [id, entry] of this.#entries) {
      if (entry.channel === channel) this.forget(id);
    }
  }

  /** Ends every wait. */
  releaseAll(): void {
    for (const id of [...this.#entries.keys()]) this.forget(id);
  }
}
