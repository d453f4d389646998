import { newResourcesSince, type ResourceSnapshot, snapshotResources } from '@chatd/core/testing';
import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Fails each test of the calling file that leaves a handle or request behind (a timer, a
 * socket): snapshots them before the test and compares after it. After-hooks registered later
 * run first (vitest runs them as a stack), so a file's own hooks can release what its tests
 * kept before the comparison. Test-only.
 */
export function checkResourcesAfterEachTest(): void {
  let before: ResourceSnapshot;
  beforeEach(() => {
    before = snapshotResources();
  });
  afterEach(async () => {
    expect(await newResourcesSince(before)).toEqual([]);
  });
}
