/**
 * Counts of the process's active handles and requests by kind (`Timeout`, `TCPSocketWrap`,
 * `FSReqCallback`, …), taken before the code under test runs, for {@link newResourcesSince}.
 */
export type ResourceSnapshot = ReadonlyMap<string, number>;

/** Counts the process's active handles and requests by kind. */
export function snapshotResources(): ResourceSnapshot {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function grownSince(before: ResourceSnapshot): string[] {
  const grown: string[] = [];
  for (const [kind, count] of snapshotResources()) {
    const was = before.get(kind) ?? 0;
    if (count > was) grown.push(`${kind}: ${was} -> ${count}`);
  }
  return grown;
}

/**
 * How long a grown resource may take to go before it counts as left behind. Test runners keep
 * short timers of their own (vitest batches its progress reports on a 100 ms timer), which can
 * be pending after a test and not before it; a timer the code under test leaked outlives this.
 */
const SETTLE_GRACE_MS = 300;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The kinds of resource that are more numerous now than in `before`, as `kind: before -> now`
 * lines; empty when the code under test released everything it opened. Closed sockets and
 * settled fs requests leave Node's list an event-loop turn or two after the promise that closed
 * them, and test runners keep short timers of their own, so this waits for the list to settle:
 * a bounded number of turns first, then up to 300 ms, before it answers. A resource still there
 * then was left behind.
 *
 * @example
 * ```ts
 * const before = snapshotResources();
 * await useAndClose();
 * expect(await newResourcesSince(before)).toEqual([]);
 * ```
 */
export async function newResourcesSince(before: ResourceSnapshot): Promise<string[]> {
  for (let turn = 0; turn < 200 && grownSince(before).length > 0; turn += 1) await nextTurn();
  const giveUpAt = Date.now() + SETTLE_GRACE_MS;
  while (grownSince(before).length > 0 && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The wait's own timer leaves the list only after its callback has run.
    await nextTurn();
  }
  return grownSince(before);
}
