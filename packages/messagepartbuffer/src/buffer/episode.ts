import type { StoredPart } from './stored-part.js';
import type { Subscription } from './subscription.js';

/**
 * The state of one episode key. An early subscriber can make one exist before `createEpisode`
 * (a placeholder: `created` is false, it has no parts and `addPart`/`getParts` treat it as not
 * found); `createEpisode` then adopts it with its subscribers.
 * @internal
 */
export class Episode {
  /** The buffer's map key for this episode. */
  readonly mapKey: string;
  /** Whether `createEpisode` or `closeEpisode` was called; false for a placeholder. */
  created = false;
  /** Whether `closeEpisode` was called; a closed episode accepts no more parts. */
  closed = false;
  /** When the episode closed, on the buffer's clock (meaningless while open). */
  closedAt = 0;
  /**
   * The parts, `seq` order. Only ever appended to, never replaced or truncated: subscriptions
   * read it by index across `await`s (see `Subscription`).
   */
  readonly parts: StoredPart[] = [];
  /** Sum of the parts' envelope sizes, checked against `maxEpisodeBytes`. */
  bytes = 0;
  /** Subscriptions still attached; a closed episode is retained past expiry while any remain. */
  readonly subscribers = new Set<Subscription>();

  constructor(mapKey: string) {
    this.mapKey = mapKey;
  }

  /** Tells every attached subscription that there is something new (a part, or the close). */
  wakeSubscribers(): void {
    for (const subscriber of this.subscribers) subscriber.wake();
  }
}
