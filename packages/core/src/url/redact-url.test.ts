import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('drops user, password, query and fragment from a database URL', () => {
    expect(redactUrl('postgres://app:s3cret@db.internal:5432/chat?sslmode=require#x')).toBe(
      'postgres://db.internal:5432/chat',
    );
  });

  it('drops credentials and tokens from an HTTP URL', () => {
    expect(redactUrl('https://user:pass@mcp.example.com/v1/sse?token=abc')).toBe(
      'https://mcp.example.com/v1/sse',
    );
  });

  it('accepts URL objects', () => {
    expect(redactUrl(new URL('http://x:y@localhost:3000/a?b=c'))).toBe('http://localhost:3000/a');
  });

  it("handles libpq's host-less form that the WHATWG parser rejects", () => {
    expect(redactUrl('postgresql://app:pw@/chat?host=/var/run/postgresql')).toBe(
      'postgresql:///chat',
    );
  });

  it('never echoes text that is not a URL, since it may be a secret', () => {
    expect(redactUrl('sk-live-0123456789')).toBe('[invalid url]');
  });

  it('leaves a clean URL unchanged', () => {
    expect(redactUrl('https://api.openai.com/v1')).toBe('https://api.openai.com/v1');
  });
});
