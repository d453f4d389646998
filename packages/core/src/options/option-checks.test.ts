import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.js';
import { requirePositiveInteger, requirePositiveNumber } from './option-checks.js';

describe('requirePositiveInteger', () => {
  it('returns a positive safe integer within the bound', () => {
    expect(requirePositiveInteger('size', 1)).toBe(1);
    expect(requirePositiveInteger('size', 10, 10)).toBe(10);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3', undefined, null])(
    'refuses %s, naming the option',
    (value) => {
      expect(errorOf(() => requirePositiveInteger('bufferSize', value))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'bufferSize',
        message: expect.stringContaining('must be a positive integer'),
      });
    },
  );

  it('names the bound when the value exceeds it', () => {
    expect(errorOf(() => requirePositiveInteger('maxParts', 11, 10))).toMatchObject({
      message: expect.stringContaining('no greater than 10, got 11'),
    });
  });
});

describe('requirePositiveNumber', () => {
  it('returns a positive finite number, fractions included', () => {
    expect(requirePositiveNumber('timeoutMs', 0.5)).toBe(0.5);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '10', undefined])(
    'refuses %s, naming the option',
    (value) => {
      expect(errorOf(() => requirePositiveNumber('timeoutMs', value))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'timeoutMs',
      });
    },
  );
});
