import { Buffer } from 'node:buffer';
import type { ChatMessageRole, ChatStreamPart } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { envelopeByteLength } from './stored-part.js';

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
  ];

  it.each(cases)('equals the UTF-8 length of the JSON envelope for %s', (_, seq, role, part) => {
    expect(envelopeByteLength(seq, role, part as ChatStreamPart)).toBe(
      Buffer.byteLength(JSON.stringify({ seq, role, part }), 'utf8'),
    );
  });

  it('rejects a part JSON cannot represent', () => {
    expect(() =>
      envelopeByteLength(1, 'assistant', undefined as unknown as ChatStreamPart),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'part' }));
  });
});
