// Only for src/validation/bad-input.test.ts, until it uses `@chatd/core/testing` directly:
// `expect(await newResourcesSince(before)).toEqual([])`. Then delete this file.
import { newResourcesSince, type ResourceSnapshot, snapshotResources } from '@chatd/core/testing';
import { expect } from 'vitest';

export { snapshotResources };

/** Fails if any kind of resource is more numerous than in `before`. */
export async function expectNoNewResources(before: ResourceSnapshot): Promise<void> {
  expect(await newResourcesSince(before)).toEqual([]);
}
