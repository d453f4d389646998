import { ChatdError } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { assertJsonValue } from './json-value.js';

function problemAt(value: unknown): { path: string; message: string } | undefined {
  try {
    assertJsonValue(value);
    return undefined;
  } catch (error) {
    if (!ChatdError.isInstance(error, 'PAYLOAD_NOT_JSON')) throw error;
    return { path: (error as unknown as { path: string }).path, message: error.message };
  }
}

describe('assertJsonValue', () => {
  it.each([
    ['null', null],
    ['a string', 'text'],
    ['a finite number', -1.5],
    ['a boolean', false],
    ['an empty array', []],
    ['nested objects and arrays', { a: [1, { b: null, c: ['x'] }], d: { e: true } }],
    ['an object without prototype', Object.assign(Object.create(null), { a: 1 })],
  ])('accepts %s', (_case, value) => {
    expect(problemAt(value)).toBeUndefined();
  });

  it('accepts the same object twice side by side (it is not a cycle)', () => {
    const shared = { id: 1 };
    expect(problemAt({ first: shared, second: shared, list: [shared, shared] })).toBeUndefined();
  });

  it.each([
    ['a function at the root', () => 1, 'payload'],
    ['undefined in a field', { a: { b: undefined } }, 'payload.a.b'],
    ['a bigint in an array', [1, 2n], 'payload[1]'],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'payload.n'],
    ['NaN', [Number.NaN], 'payload[0]'],
    ['a symbol', { s: Symbol('s') }, 'payload.s'],
    ['a Date', { at: new Date(0) }, 'payload.at'],
    ['a class instance', { value: new (class Point {})() }, 'payload.value'],
    ['a Map', new Map(), 'payload'],
    ['a hole in an array', new Array(3).fill(1, 0, 1), 'payload[1]'],
  ])('refuses %s, naming its path', (_case, value, path) => {
    expect(problemAt(value)?.path).toBe(path);
  });

  it('refuses a cycle, naming where it closes', () => {
    const parent: Record<string, unknown> = { children: [] };
    (parent.children as unknown[]).push({ parent });
    expect(problemAt(parent)?.path).toBe('payload.children[0].parent');
  });

  it('says what is wrong in the message', () => {
    expect(problemAt({ at: new Date(0) })?.message).toBe(
      'payload.at: expected a JSON value, received Date instance; only JSON values can be published',
    );
  });
});
