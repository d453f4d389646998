import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, oversizeBytes } from './wire-format.js';

describe('wire format', () => {
  it('encodes a lossy message as {"payload": …}', () => {
    expect(encodeMessage({ a: [1, 'b'] })).toBe('{"payload":{"a":[1,"b"]}}');
  });

  it('encodes a must-deliver message with its id', () => {
    expect(encodeMessage(null, { mustDeliver: 'origin:1' })).toBe(
      '{"payload":null,"mustDeliver":"origin:1"}',
    );
  });

  it('encodes a message its process delivered itself with the origin', () => {
    expect(encodeMessage(1, { deliveredBy: 'origin' })).toBe(
      '{"payload":1,"deliveredBy":"origin"}',
    );
  });

  it('decodes what it encodes', () => {
    expect(decodeMessage(encodeMessage({ a: 1 }))).toEqual({ payload: { a: 1 } });
    expect(decodeMessage(encodeMessage('x', { mustDeliver: 'o:2' }))).toEqual({
      payload: 'x',
      mustDeliver: 'o:2',
    });
    expect(decodeMessage(encodeMessage('x', { deliveredBy: 'o' }))).toEqual({
      payload: 'x',
      deliveredBy: 'o',
    });
  });

  it('ignores unknown fields, so fields can be added later', () => {
    expect(decodeMessage('{"payload":1,"version":2}')).toEqual({ payload: 1 });
  });

  it.each([
    ['text that is not JSON', 'nope'],
    ['a JSON value that is not an object', '[1]'],
    ['null', 'null'],
    ['an object without payload', '{"data":1}'],
    ['a mustDeliver that is not a string', '{"payload":1,"mustDeliver":5}'],
    ['a deliveredBy that is not a string', '{"payload":1,"deliveredBy":null}'],
  ])('rejects %s', (_case, text) => {
    expect(decodeMessage(text)).toBeUndefined();
  });

  it('measures size in UTF-8 bytes', () => {
    expect(oversizeBytes('é'.repeat(5), 10)).toBeUndefined();
    expect(oversizeBytes('é'.repeat(6), 10)).toBe(12);
    expect(oversizeBytes('👋', 3)).toBe(4);
    expect(oversizeBytes('x'.repeat(11), 10)).toBe(11);
  });
});
