/** How many deliveries of one event type were missed, by kind of publish. */
export interface EventTypeDropCounts {
  /** Lossy publishes that found a subscriber's buffer full, one per subscriber missed. */
  readonly dropped: number;
  /** Must-deliver publishes that timed out or were aborted, one per subscriber missed. */
  readonly mustDeliverDropped: number;
}

interface MutableCounts {
  dropped: number;
  mustDeliverDropped: number;
}

/**
 * Cumulative drop counters, broker-wide and per event type. Never reset, not even by close, so
 * a metrics scraper can read them after shutdown. One instance can be shared by several
 * brokers: `PubSub` shares one across its channels so counts survive a channel being dropped.
 * @internal
 */
export class DropCounters {
  dropped = 0;
  mustDeliverDropped = 0;
  readonly #byType = new Map<string, MutableCounts>();

  recordDropped(type: string, count: number): void {
    this.dropped += count;
    this.#countsFor(type).dropped += count;
  }

  recordMustDeliverDropped(type: string, count: number): void {
    this.mustDeliverDropped += count;
    this.#countsFor(type).mustDeliverDropped += count;
  }

  /** A snapshot: later drops do not change the returned map. */
  byType(): ReadonlyMap<string, EventTypeDropCounts> {
    const snapshot = new Map<string, EventTypeDropCounts>();
    for (const [type, counts] of this.#byType) snapshot.set(type, { ...counts });
    return snapshot;
  }

  #countsFor(type: string): MutableCounts {
    let counts = this.#byType.get(type);
    if (counts === undefined) {
      counts = { dropped: 0, mustDeliverDropped: 0 };
      this.#byType.set(type, counts);
    }
    return counts;
  }
}
