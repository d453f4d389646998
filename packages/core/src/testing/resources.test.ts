import { describe, expect, it } from 'vitest';
import { errorOf } from './error-of.js';
import { newResourcesSince, snapshotResources } from './resources.js';

describe('newResourcesSince', () => {
  it('names a timer left running, and nothing once it is cleared', async () => {
    // Counts only: let the runner's own progress timer, armed as this test started, fire first,
    // or its going would hide the timer this test leaves.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = snapshotResources();
    const timer = setTimeout(() => {}, 60_000);
    expect(await newResourcesSince(before)).toEqual([
      expect.stringMatching(/^Timeout: \d+ -> \d+$/),
    ]);
    clearTimeout(timer);
    expect(await newResourcesSince(before)).toEqual([]);
  });

  it("waits out a short timer such as the test runner's own progress throttle", async () => {
    const before = snapshotResources();
    setTimeout(() => {}, 100);
    expect(await newResourcesSince(before)).toEqual([]);
  });
});

describe('errorOf', () => {
  it('returns what the call threw', () => {
    const error = new RangeError('bad');
    expect(
      errorOf(() => {
        throw error;
      }),
    ).toBe(error);
  });

  it('fails when the call returns', () => {
    expect(() => errorOf(() => 1)).toThrow('expected the call to throw');
  });
});
