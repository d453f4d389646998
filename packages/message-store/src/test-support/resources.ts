import { expect } from 'vitest';

/** Counts of the process's active handles by kind, to check code left none behind. */
export function snapshotResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function grownSince(before: Map<string, number>): string[] {
  const grown: string[] = [];
  for (const [kind, count] of snapshotResources()) {
    if (count > (before.get(kind) ?? 0))
      grown.push(`${kind}: ${before.get(kind) ?? 0} -> ${count}`);
  }
  return grown;
}

/**
 * Fails if any kind of resource is more numerous than in `before`. Closed sockets and settled
 * fs requests leave the list an event-loop turn or two after the promise that closed them, so
 * this allows a bounded number of turns (not a time) for that.
 */
export async function expectNoNewResources(before: Map<string, number>): Promise<void> {
  for (let turn = 0; turn < 200 && grownSince(before).length > 0; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(grownSince(before)).toEqual([]);
}
