import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorOf } from '../testing/index.js';
import { parseArgument } from './parse-argument.js';

const schema = z.strictObject({
  name: z.string('expected a string'),
  content: z.strictObject({ text: z.string('expected text'), size: z.int('expected a size') }),
});

describe('parseArgument', () => {
  it('returns the parsed value', () => {
    const value = { name: 'a', content: { text: 'b', size: 1 } };
    expect(parseArgument(schema, value, 'input')).toEqual(value);
  });

  it('names the first bad field of a plain argument (INVALID_ARGUMENT)', () => {
    expect(errorOf(() => parseArgument(schema, { name: 1 }, 'input'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'input.name',
      message: 'Invalid input.name: expected a string',
    });
  });

  it('names the first unknown key itself', () => {
    const value = { name: 'a', content: { text: 'b', size: 1 }, nmae: 'a', other: 1 };
    expect(errorOf(() => parseArgument(schema, value, 'input'))).toMatchObject({
      argument: 'input.nmae',
    });
  });

  it('lists every issue inside a document field (VALIDATION_FAILED)', () => {
    const error = errorOf(() =>
      parseArgument(schema, { name: 'a', content: {} }, 'input', new Set(['content'])),
    );
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [
        { path: ['content', 'text'], message: 'expected text' },
        { path: ['content', 'size'], message: 'expected a size' },
      ],
    });
  });
});
