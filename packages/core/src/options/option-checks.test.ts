import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.js';
import {
  requireKnownOptions,
  requirePositiveInteger,
  requirePositiveNumber,
} from './option-checks.js';

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

  it('quotes a string, so "3" does not read as the number 3', () => {
    expect(errorOf(() => requirePositiveInteger('bufferSize', '3'))).toMatchObject({
      message: expect.stringContaining('got "3"'),
    });
    expect(errorOf(() => requirePositiveNumber('timeoutMs', '10'))).toMatchObject({
      message: expect.stringContaining('got "10"'),
    });
  });

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

describe('requireKnownOptions', () => {
  interface Options {
    bufferSize?: number;
    clock?: object;
  }
  const known = { bufferSize: true, clock: true } as const;

  it('passes known keys and undefined through', () => {
    const options: Options = { bufferSize: 8 };
    expect(requireKnownOptions(options, known)).toBe(options);
    expect(requireKnownOptions<Options>(undefined, known)).toBeUndefined();
  });

  it('refuses a misspelt key, naming it and the options there are', () => {
    const misspelt = { buffersize: 8 } as Options;
    expect(errorOf(() => requireKnownOptions(misspelt, known))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'options.buffersize',
      message: expect.stringContaining('bufferSize, clock'),
    });
  });

  it.each([null, 5, 'x', [1]])('refuses %s as options', (value) => {
    expect(errorOf(() => requireKnownOptions(value as Options, known, 'init'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'init',
    });
  });
});
