import { describe, expect, it } from 'vitest';
import { findJsonIssues, jsonValueSchema } from './index.js';

function problems(value: unknown): { path: PropertyKey[]; message: string }[] {
  const result = jsonValueSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }));
}

describe('jsonValueSchema', () => {
  it.each([
    ['null', null],
    ['a string', ''],
    ['a number', -1.5],
    ['a boolean', false],
    ['an array', [1, 'a', null, [true]]],
    ['an object', { a: { b: [1, { c: null }] } }],
    ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
  ])('accepts %s', (_, value) => {
    expect(problems(value)).toEqual([]);
  });

  it('passes the value through without copying it', () => {
    const value = { a: [1] };
    expect(jsonValueSchema.parse(value)).toBe(value);
  });

  it.each([
    ['undefined', undefined, 'undefined'],
    ['NaN', Number.NaN, 'NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['a bigint', 1n, 'bigint'],
    ['a function', () => 1, 'function'],
    ['a Date', new Date(0), 'Date instance'],
    ['a Map', new Map(), 'Map instance'],
  ])('rejects %s', (_, value, received) => {
    expect(problems(value)).toEqual([
      { path: [], message: `expected a JSON value, received ${received}` },
    ]);
  });

  it('names the nested path of every problem', () => {
    expect(problems({ a: [1, undefined], b: { c: Number.NaN } })).toEqual([
      { path: ['a', 1], message: 'expected a JSON value, received undefined' },
      { path: ['b', 'c'], message: 'expected a JSON value, received NaN' },
    ]);
  });

  it('rejects an object key holding undefined, which JSON would drop', () => {
    expect(problems({ a: undefined })).toEqual([
      { path: ['a'], message: 'expected a JSON value, received undefined' },
    ]);
  });

  it('rejects a cycle instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(problems(cyclic)).toEqual([
      { path: ['self'], message: 'expected a JSON value, received a circular reference' },
    ]);
  });

  it('accepts the same object twice when it is shared, not cyclic', () => {
    const shared = { a: 1 };
    expect(problems({ x: shared, y: [shared] })).toEqual([]);
  });
});

describe('findJsonIssues', () => {
  it('returns nothing for a JSON value', () => {
    expect(findJsonIssues({ a: [1, 'two', null, { b: true }] })).toEqual([]);
  });

  it('names the path of every problem', () => {
    expect(findJsonIssues({ list: [1, undefined], at: new Date(0), n: Number.NaN })).toEqual([
      { path: ['list', 1], message: 'expected a JSON value, received undefined' },
      { path: ['at'], message: 'expected a JSON value, received Date instance' },
      { path: ['n'], message: 'expected a JSON value, received NaN' },
    ]);
  });

  it('accepts nesting up to 100 levels and names a problem deep inside by its full path', () => {
    const nest = (depth: number, leaf: unknown): unknown =>
      depth === 0 ? leaf : { child: [nest(depth - 1, leaf)] };
    expect(findJsonIssues(nest(50, 'ok'))).toEqual([]);
    const [issue] = findJsonIssues(nest(50, Number.NaN));
    expect(issue?.path).toHaveLength(100);
    expect(issue?.path.slice(0, 2)).toEqual(['child', 0]);
    expect(issue?.message).toBe('expected a JSON value, received NaN');
  });

  it('refuses nesting deeper than 100 levels at the first level too deep, however deep it goes', () => {
    const nest = (depth: number): unknown => {
      let value: unknown = 'leaf';
      for (let level = 0; level < depth; level += 1) value = [value];
      return value;
    };
    expect(findJsonIssues(nest(100))).toEqual([]);
    for (const depth of [101, 20_000]) {
      expect(findJsonIssues(nest(depth))).toEqual([
        {
          path: Array(100).fill(0),
          message: 'expected a JSON value nested at most 100 levels deep',
        },
      ]);
    }
    expect(jsonValueSchema.safeParse(nest(20_000)).success).toBe(false);
  });

  it('stops at the limit', () => {
    expect(findJsonIssues([undefined, undefined, undefined], 1)).toHaveLength(1);
  });

  it('reports a cycle instead of overflowing the stack, but accepts a shared value', () => {
    const shared = { x: 1 };
    expect(findJsonIssues({ a: shared, b: shared })).toEqual([]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findJsonIssues(cyclic)).toEqual([
      { path: ['self'], message: 'expected a JSON value, received a circular reference' },
    ]);
  });
});
