import { describe, expect, it } from 'vitest';
import { PNG_BASE64 } from '../test-support/sample-tools.js';
import { capText, convertCallResult, repairText } from './convert-result.js';

const convert = (result: Parameters<typeof convertCallResult>[0]) =>
  convertCallResult(result, 65_536);

describe('convertCallResult', () => {
  it('joins text items with newlines', () => {
    expect(
      convert({
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }).text,
    ).toBe('a\nb');
  });

  it('carries isError with the message', () => {
    expect(convert({ isError: true, content: [{ type: 'text', text: 'boom' }] })).toMatchObject({
      isError: true,
      text: 'boom',
    });
  });

  it('surfaces embedded text resources as text', () => {
    const output = convert({
      content: [{ type: 'resource', resource: { uri: 'file:///a', text: 'inside' } }],
    });
    expect(output.text).toBe('inside');
    expect(output.text).not.toContain('unsupported');
  });

  it('keeps an embedded binary resource as media and describes it', () => {
    const output = convert({
      content: [
        {
          type: 'resource',
          resource: { uri: 'file:///a.bin', mimeType: 'application/pdf', blob: 'AAEC' },
        },
      ],
    });
    expect(output.media).toEqual([{ type: 'file', data: 'AAEC', mediaType: 'application/pdf' }]);
    expect(output.text).toBe(
      '[resource: file:///a.bin (application/pdf, 3 bytes, attached as file)]',
    );
  });

  it('decodes a text blob and repairs its invalid UTF-8', () => {
    const blob = Buffer.from([0x6f, 0x6b, 0xff, 0x21]).toString('base64');
    const output = convert({
      content: [{ type: 'resource', resource: { uri: 'u', mimeType: 'text/plain', blob } }],
    });
    expect(output.text).toBe('ok\uFFFD!');
  });

  it('describes resource links with and without a description', () => {
    expect(
      convert({
        content: [
          { type: 'resource_link', uri: 'file:///r', name: 'r', description: 'desc' },
          { type: 'resource_link', uri: 'file:///s', name: 's' },
        ],
      }).text,
    ).toBe('[resource: r (file:///r): desc]\n[resource: s (file:///s)]');
  });

  it('appends structured content as JSON, once', () => {
    expect(
      convert({ content: [{ type: 'text', text: 'sum' }], structuredContent: { total: 1 } }).text,
    ).toBe('sum\n{"total":1}');
    expect(
      convert({ content: [{ type: 'text', text: '{"total":1}' }], structuredContent: { total: 1 } })
        .text,
    ).toBe('{"total":1}');
  });

  it('keeps images and audio as media, and reports undecodable data in text', () => {
    const output = convert({
      content: [
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
        { type: 'image', data: '***', mimeType: 'image/png' },
      ],
    });
    expect(output.media.map((media) => [media.type, media.mediaType])).toEqual([
      ['image', 'image/png'],
      ['file', 'audio/wav'],
    ]);
    expect(output.text).toBe('[image could not be decoded: invalid base64]');
  });

  it('notes unknown content kinds', () => {
    expect(convert({ content: [{ type: 'hologram' }] }).text).toBe(
      '[unsupported content type: hologram]',
    );
  });

  it('returns empty text for an empty result', () => {
    expect(convert({ content: [] })).toEqual({
      isError: false,
      text: '',
      media: [],
      truncated: false,
    });
  });
});

describe('repairText', () => {
  it.each([
    ['valid text', 'héllo 👋', 'héllo 👋'],
    ['a lone high surrogate', 'a\uD800b', 'a\uFFFDb'],
    ['a lone low surrogate', 'a\uDC00b', 'a\uFFFDb'],
    ['a trailing high surrogate', 'end\uD83D', 'end\uFFFD'],
    ['reversed surrogates', '\uDC00\uD800', '\uFFFD\uFFFD'],
  ])('handles %s', (_name, input, expected) => {
    expect(repairText(input)).toBe(expected);
  });
});

describe('capText', () => {
  it('leaves short text alone', () => {
    expect(capText('abc', 10)).toEqual({ text: 'abc', truncated: false });
  });

  it('cuts within the byte limit with a marker and never splits a character', () => {
    const text = 'é'.repeat(100);
    const { text: capped, truncated } = capText(text, 80);
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(80);
    expect(capped).toMatch(/^é+\n\[truncated: result was 200 bytes, limit 80\]$/);
  });

  // 206 bytes of text: the full marker is `[truncated: result was 206 bytes, limit NN]`, 43 bytes.
  const long = 'x'.repeat(206);
  it.each([
    [46, `xx\n[truncated: result was 206 bytes, limit 46]`],
    [44, '[truncated: result was 206 bytes, limit 44]'],
    [43, '[truncated: result was 206 bytes, limit 43]'],
    [42, `${'x'.repeat(30)}\n[truncated]`],
    [20, 'xxxxxxxx\n[truncated]'],
    [13, 'x\n[truncated]'],
    [12, '[truncated]'],
    [11, '[truncated]'],
    [10, 'x'.repeat(10)],
    [1, 'x'],
  ])('with a cap of %i bytes, stays within it: %j', (cap, expected) => {
    const capped = capText(long, cap);
    expect(capped).toEqual({ text: expected, truncated: true });
    expect(Buffer.byteLength(capped.text)).toBeLessThanOrEqual(cap);
  });

  it('never exceeds any cap, never splits a character and keeps a prefix of the text', () => {
    for (const text of ['a'.repeat(300), 'é'.repeat(150), '👋'.repeat(80), `a${'€'.repeat(99)}`]) {
      for (let cap = 1; cap < Buffer.byteLength(text); cap++) {
        const { text: capped, truncated } = capText(text, cap);
        expect(truncated).toBe(true);
        expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(cap);
        const kept = capped.replace(/\n?\[truncated[^\]]*\]$/, '');
        expect(text.startsWith(kept)).toBe(true);
        expect(capped).not.toContain('\uFFFD');
      }
    }
  });
});
