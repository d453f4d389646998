import { Buffer } from 'node:buffer';
import type { ChatMessageRole, ChatStreamPart } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { envelopeByteLength } from './stored-part.js';

const controlCharacters = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join(
  '',
);

/** A seeded PRNG (mulberry32), so a failing random case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

describe('envelopeByteLength', () => {
  const cases: [string, number, ChatMessageRole, unknown][] = [
    ['an ASCII text delta', 1, 'assistant', { type: 'text-delta', id: 't1', delta: 'hello' }],
    ['a large seq', 1_234_567, 'tool', { type: 'text-delta', id: 't1', delta: '' }],
    ['two-byte characters', 2, 'assistant', { type: 'text-delta', id: 't1', delta: 'héllo ßü' }],
    ['emoji (surrogate pairs)', 3, 'assistant', { type: 'text-delta', id: 't1', delta: '👋🏽🎉' }],
    ['CJK', 4, 'user', { type: 'text-delta', id: 't1', delta: '你好，世界' }],
    ['escaped characters', 5, 'assistant', { type: 'x', text: 'a"b\\c\n\t\u0001' }],
    ['a lone surrogate', 6, 'assistant', { type: 'x', text: 'a\ud800b' }],
    ['nested values', 7, 'assistant', { type: 'x', input: { a: [1, 2.5, null, true], b: {} } }],
    ['undefined fields', 8, 'assistant', { type: 'x', skipped: undefined }],
    ['a start part', 9, 'assistant', { type: 'start-step' }],
    ['an empty object', 10, 'assistant', {}],
    ['DEL and the first two-byte character', 11, 'assistant', { type: 'x', text: '\u007f\u0080' }],
    ['U+2028 and U+FFFF', 12, 'assistant', { type: 'x', text: '\u2028\uffff' }],
    [
      'a lone low surrogate, then a pair',
      13,
      'assistant',
      { type: 'x', text: '\udc00\ud83d\ude00' },
    ],
    ['every control character', 14, 'assistant', { type: 'x', text: controlCharacters }],
    ['escapes in a field name', 15, 'assistant', { type: 'x', 'a"\\\n': 'v' }],
    ['provider metadata', 16, 'assistant', { type: 'x', providerMetadata: { a: { b: 'é' } } }],
    ['a number field', 17, 'assistant', { type: 'x', index: 3 }],
    ['a null-prototype part', 18, 'assistant', Object.assign(Object.create(null), { type: 'x' })],
    [
      'an inherited field',
      19,
      'assistant',
      Object.create({ inherited: 'no' }, { type: { value: 'x', enumerable: true } }),
    ],
    ['a toJSON method', 20, 'assistant', { type: 'x', toJSON: () => ({ type: 'y' }) }],
    ['seq 0', 0, 'system', { type: 'x' }],
    ['seq 10', 10, 'assistant', { type: 'x' }],
    ['seq 9,999,999', 9_999_999, 'assistant', { type: 'x' }],
  ];

  it.each(cases)('equals the UTF-8 length of the JSON envelope for %s', (_, seq, role, part) => {
    expect(envelopeByteLength(seq, role, part as ChatStreamPart)).toBe(
      Buffer.byteLength(JSON.stringify({ seq, role, part }), 'utf8'),
    );
  });

  it('equals the UTF-8 length of the JSON envelope for random text parts', () => {
    const seed = 20261205;
    const next = random(seed);
    // Mostly ASCII, with escapes, control characters, two- and three-byte characters, pairs and
    // lone surrogates mixed in.
    const alphabet = [
      'a',
      ' ',
      '"',
      '\\',
      '\n',
      '\u0001',
      '\u007f',
      'é',
      '€',
      '\ud83d\ude00',
      '\ud800',
      '\udfff',
    ];
    for (let index = 0; index < 500; index += 1) {
      let text = '';
      const length = Math.floor(next() * 12);
      for (let position = 0; position < length; position += 1) {
        text += alphabet[Math.floor(next() * alphabet.length)];
      }
      const part = { type: 'text-delta', id: `t${index}`, delta: text } as ChatStreamPart;
      const expected = Buffer.byteLength(JSON.stringify({ seq: index, role: 'assistant', part }));
      expect(envelopeByteLength(index, 'assistant', part), `seed ${seed}, case ${index}`).toBe(
        expected,
      );
    }
  });

  it('rejects a part JSON cannot represent', () => {
    expect(() =>
      envelopeByteLength(1, 'assistant', undefined as unknown as ChatStreamPart),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'part' }));
    const cyclic: Record<string, unknown> = { type: 'x' };
    cyclic.self = cyclic;
    expect(() => envelopeByteLength(1, 'assistant', cyclic as unknown as ChatStreamPart)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'part' }),
    );
  });
});
