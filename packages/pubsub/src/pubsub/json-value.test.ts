import { errorOf } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { assertJsonValue } from './json-value.js';

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
    expect(() => assertJsonValue(value)).not.toThrow();
  });

  it('accepts the same object twice side by side (it is not a cycle)', () => {
    const shared = { id: 1 };
    const value = { first: shared, second: shared, list: [shared, shared] };
    expect(() => assertJsonValue(value)).not.toThrow();
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
    expect(errorOf(() => assertJsonValue(value))).toMatchObject({ code: 'PAYLOAD_NOT_JSON', path });
  });

  it('refuses a cycle, naming where it closes', () => {
    const parent: Record<string, unknown> = { children: [] };
    (parent.children as unknown[]).push({ parent });
    expect(errorOf(() => assertJsonValue(parent))).toMatchObject({
      code: 'PAYLOAD_NOT_JSON',
      path: 'payload.children[0].parent',
    });
  });

  it('says what is wrong in the message', () => {
    expect(errorOf(() => assertJsonValue({ at: new Date(0) }))).toMatchObject({
      message:
        'payload.at: expected a JSON value, received Date instance; only JSON values can be published',
    });
  });
});
