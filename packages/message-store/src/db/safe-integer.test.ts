import { errorOf } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { toSafeInteger } from './safe-integer.js';

describe('toSafeInteger', () => {
  it('converts pg strings, PGlite numbers and bigints', () => {
    expect(toSafeInteger('42')).toBe(42);
    expect(toSafeInteger(7)).toBe(7);
    expect(toSafeInteger(9n)).toBe(9);
    expect(toSafeInteger('-3')).toBe(-3);
  });

  it('accepts the largest safe integer', () => {
    expect(toSafeInteger(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses values beyond 2^53 with UNSAFE_INTEGER', () => {
    for (const value of ['9007199254740993', 9007199254740993n, '9223372036854775807']) {
      expect(errorOf(() => toSafeInteger(value))).toMatchObject({ code: 'UNSAFE_INTEGER' });
    }
  });

  it('refuses non-integers', () => {
    for (const value of ['1.5', 'abc', null, undefined, {}]) {
      expect(errorOf(() => toSafeInteger(value))).toMatchObject({ code: 'UNSAFE_INTEGER' });
    }
  });
});
