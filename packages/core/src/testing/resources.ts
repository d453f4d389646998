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
 * The kinds of resource that are more numerous now than in `before`, as `kind: before -> now`
 * lines; empty when the code under test released everything it opened. Closed sockets and
 * settled fs requests leave Node's list an event-loop turn or two after the promise that closed
 * them, so this waits a bounded number of turns (not a time) before it answers.
 *
 * @example
 * ```ts
 * const before = snapshotResources();
 * await useAndClose();
 * expect(await newResourcesSince(before)).toEqual([]);
 * ```
 */
export async function newResourcesSince(before: ResourceSnapshot): Promise<string[]> {
  for (let turn = 0; turn < 200 && grownSince(before).length > 0; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return grownSince(before);
}
