import { expect } from 'vitest';

/**
 * A count of the process's active handles and requests by kind, to check that code under test
 * left none behind: our version of goleak. Test-only.
 */
export function snapshotResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Fails if any kind of resource is more numerous than in `before`. */
export function expectNoNewResources(before: Map<string, number>): void {
  const grown: string[] = [];
  for (const [kind, count] of snapshotResources()) {
    if (count > (before.get(kind) ?? 0))
      grown.push(`${kind}: ${before.get(kind) ?? 0} -> ${count}`);
  }
  expect(grown).toEqual([]);
}
