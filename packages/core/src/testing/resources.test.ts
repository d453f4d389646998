import { describe, expect, it } from 'vitest';
import { errorOf } from './error-of.js';
import { newResourcesSince, snapshotResources } from './resources.js';

describe('newResourcesSince', () => {
  it('names a timer left running, and nothing once it is cleared', async () => {
    const before = snapshotResources();
    const timer = setTimeout(() => {}, 60_000);
    expect(await newResourcesSince(before)).toEqual([
      expect.stringMatching(/^Timeout: \d+ -> \d+$/),
    ]);
    clearTimeout(timer);
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
