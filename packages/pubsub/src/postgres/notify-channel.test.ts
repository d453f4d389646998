import { describe, expect, it } from 'vitest';
import {
  MAX_POSTGRES_CHANNEL_BYTES,
  postgresChannelName,
  quoteIdentifier,
} from './notify-channel.js';

describe('postgresChannelName', () => {
  it('keeps a name Postgres can hold unchanged', () => {
    expect(postgresChannelName('chat:update:0f8c2b1e-6f4a-4c8e-9d8e-2f7a9b1c3d4e')).toBe(
      'chat:update:0f8c2b1e-6f4a-4c8e-9d8e-2f7a9b1c3d4e',
    );
    expect(postgresChannelName('Mixed Case/ü')).toBe('Mixed Case/ü');
  });

  it('keeps a name of exactly 63 bytes, and maps one of 64', () => {
    expect(postgresChannelName('x'.repeat(63))).toBe('x'.repeat(63));
    expect(postgresChannelName('x'.repeat(64))).toMatch(/^#[0-9a-f]{32}:x{29}$/);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const name = 'é'.repeat(32); // 64 bytes
    expect(postgresChannelName(name)).not.toBe(name);
  });

  it.each([
    ['a double quote', 'say "hi"'],
    ['a NUL character', 'a\0b'],
    ['a lone surrogate', 'a\uD800b'],
    ['a leading #', '#general'],
  ])('maps a name with %s', (_what, name) => {
    const mapped = postgresChannelName(name);
    expect(mapped).toMatch(/^#[0-9a-f]{32}:[A-Za-z0-9:_./-]*$/);
  });

  it('maps every name to at most 63 bytes, stably and one to one', () => {
    const names = [
      'x'.repeat(200),
      `${'x'.repeat(199)}y`,
      'ü'.repeat(200),
      '#general',
      '#General',
      'a\uD800',
      'a\uDC00',
    ];
    const mapped = names.map(postgresChannelName);
    for (const name of mapped) {
      expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(MAX_POSTGRES_CHANNEL_BYTES);
    }
    expect(new Set(mapped).size).toBe(names.length);
    expect(names.map(postgresChannelName)).toEqual(mapped);
  });
});

describe('quoteIdentifier', () => {
  it('quotes and doubles inner quotes', () => {
    expect(quoteIdentifier('chat:update')).toBe('"chat:update"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
