import type { Logger } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { validateServerConfig } from '../config/index.js';
import { scrubMessage } from '../connect/scrub.js';
import { applyHeaders, authHeaders, identityHeaders, parseCustomHeaders } from './headers.js';
import { normalizeTokenType } from './token.js';

function warnings() {
  const lines: string[] = [];
  const logger: Logger = {
    child: () => logger,
    debug: () => {},
    info: () => {},
    warn: (fields: unknown, message?: string) => {
      lines.push(typeof fields === 'string' ? fields : (message ?? ''));
    },
    error: () => {},
  };
  return { logger, lines };
}

const base = { id: 'c', slug: 's', url: 'https://mcp.example.com/mcp' };

describe('identityHeaders', () => {
  it('sends owner and chat for a root chat, without a subchat header', () => {
    expect(identityHeaders({ ownerId: 'u', chatId: 'c' })).toEqual({
      'X-Chatd-Owner-Id': 'u',
      'X-Chatd-Chat-Id': 'c',
    });
  });

  it('sends the parent as the chat and the child as the subchat for a subagent chat', () => {
    expect(identityHeaders({ ownerId: 'u', chatId: 'child', parentChatId: 'parent' })).toEqual({
      'X-Chatd-Owner-Id': 'u',
      'X-Chatd-Chat-Id': 'parent',
      'X-Chatd-Subchat-Id': 'child',
    });
  });
});

describe('applyHeaders', () => {
  it('never lets an identity header override an auth header, whatever its case', () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    applyHeaders(
      headers,
      { 'x-chatd-owner-id': 'admin' },
      { 'X-Chatd-Owner-Id': 'user', 'X-Chatd-Chat-Id': 'c' },
    );
    expect(headers.get('x-chatd-owner-id')).toBe('admin');
    expect(headers.get('x-chatd-chat-id')).toBe('c');
  });
});

describe('authHeaders', () => {
  it('normalizes any case of bearer', () => {
    expect(normalizeTokenType('BEARER')).toBe('Bearer');
    expect(normalizeTokenType(undefined)).toBe('Bearer');
    expect(normalizeTokenType('MAC')).toBe('MAC');
    const config = validateServerConfig({ ...base, authType: 'oauth2' });
    const { logger } = warnings();
    expect(
      authHeaders(config, { accessToken: 't', tokenType: 'bEaReR' }, {}, logger, 0, undefined),
    ).toEqual({ Authorization: 'Bearer t' });
  });

  it('sends the API key only when both header name and value are set', () => {
    const { logger } = warnings();
    const full = validateServerConfig({
      ...base,
      authType: 'api-key',
      apiKeyHeader: 'X-Key',
      apiKeyValue: 'v',
    });
    const half = validateServerConfig({ ...base, authType: 'api-key', apiKeyHeader: 'X-Key' });
    expect(authHeaders(full, undefined, {}, logger, 0, undefined)).toEqual({ 'X-Key': 'v' });
    expect(authHeaders(half, undefined, {}, logger, 0, undefined)).toEqual({});
  });
});

describe('parseCustomHeaders', () => {
  it('warns about invalid JSON without quoting it and yields no headers', () => {
    const { logger, lines } = warnings();
    expect(parseCustomHeaders('{"X-Secret": "abc"', logger)).toEqual({});
    expect(lines).toEqual(['customHeaders is not valid JSON; connecting without them']);
  });

  it('skips non-string values', () => {
    const { logger } = warnings();
    expect(parseCustomHeaders('{"A":"1","B":2}', logger)).toEqual({ A: '1' });
  });
});

describe('scrubMessage', () => {
  it('redacts URLs in text and removes known secrets', () => {
    expect(
      scrubMessage('GET https://u:p@h.example/x?token=1#f failed with key abcd1234', ['abcd1234']),
    ).toBe('GET https://h.example/x failed with key [redacted]');
  });
});
