import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { classifyModelError, retryAfterMs, toChatErrorInfo } from './classify-error.js';
import { ContentFilterError, StreamSilenceError } from './model-errors.js';
import { generationRetryDelayMs } from './retry-delay.js';

const apiError = (
  statusCode: number,
  message = 'error',
  responseHeaders?: Record<string, string>,
) =>
  new APICallError({
    message,
    url: 'https://provider.example/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    ...(responseHeaders === undefined ? {} : { responseHeaders }),
  });

describe('classifyModelError', () => {
  it.each([
    [apiError(529), 'overloaded', true],
    [apiError(400, 'You exceeded your current quota (insufficient_quota)'), 'usage-limit', false],
    [apiError(401), 'auth', false],
    [apiError(403), 'auth', false],
    [apiError(429), 'rate-limit', true],
    [apiError(503), 'timeout', true],
    [apiError(404, 'The model `gpt-9` does not exist'), 'config', false],
    [apiError(400, 'maximum context length is 8192 tokens'), 'context-length', false],
    [apiError(422), 'invalid-request', false],
    [apiError(500), 'generic', true],
    [new StreamSilenceError(600_000), 'stream-silence', true],
    [new ContentFilterError(), 'content-filter', false],
    [
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      'network',
      true,
    ],
    [new Error('something odd'), 'generic', false],
  ])('%s → %s (retryable %s)', (error, kind, retryable) => {
    expect(classifyModelError(error)).toMatchObject({ kind, retryable });
  });

  it('reads Retry-After in seconds, as a date, and retry-after-ms', () => {
    expect(classifyModelError(apiError(429, 'slow down', { 'retry-after': '2' }))).toMatchObject({
      retryAfterMs: 2000,
    });
    expect(retryAfterMs({ 'Retry-After-Ms': '1500' })).toBe(1500);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterMs({ 'retry-after': inTenSeconds })).toBeGreaterThan(8000);
    expect(retryAfterMs({})).toBeUndefined();
  });

  it('gives clients a plain message, the provider words as detail, and no key', () => {
    const info = toChatErrorInfo(
      classifyModelError(apiError(401, 'Incorrect API key provided: sk-…')),
      'openai.chat',
    );
    expect(info).toEqual({
      message: 'The model provider rejected the credentials.',
      kind: 'auth',
      retryable: false,
      statusCode: 401,
      provider: 'openai.chat',
      detail: 'Incorrect API key provided: sk-…',
    });
  });
});

describe('generationRetryDelayMs', () => {
  it('doubles from the initial delay up to the maximum', () => {
    const delays = [1, 2, 3, 7, 8].map((attempt) =>
      generationRetryDelayMs(attempt, { initialMs: 1000, maxMs: 60_000 }),
    );
    expect(delays).toEqual([1000, 2000, 4000, 60_000, 60_000]);
  });

  it("is raised to the provider's Retry-After", () => {
    expect(
      generationRetryDelayMs(1, { initialMs: 1000, maxMs: 60_000, retryAfterMs: 90_000 }),
    ).toBe(90_000);
  });
});
