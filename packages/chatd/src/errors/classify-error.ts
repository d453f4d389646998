import type { ChatErrorInfo, ChatErrorKind } from '@chatd/core';
import { APICallError } from 'ai';
import { ContentFilterError, StreamSilenceError } from './model-errors.js';

/** What went wrong with a model call, and whether trying again can help. */
export interface ClassifiedError {
  /** The kind clients see. */
  kind: ChatErrorKind;
  /** Whether a later attempt may succeed. */
  retryable: boolean;
  /** The provider's own words, for the `detail` users may expand (never a stack or a key). */
  detail?: string;
  /** The HTTP status, when the provider answered. */
  statusCode?: number;
  /** How long the provider asked us to wait (`Retry-After`, `retry-after-ms`). */
  retryAfterMs?: number;
}

const MESSAGES: Record<ChatErrorKind, string> = {
  generic: 'The model call failed.',
  'rate-limit': 'The model provider is limiting the rate of requests.',
  overloaded: 'The model provider is temporarily overloaded.',
  timeout: 'The model provider did not respond in time.',
  auth: 'The model provider rejected the credentials.',
  'invalid-request': 'The model provider rejected the request.',
  'context-length': 'The conversation no longer fits the model’s context window.',
  'content-filter': 'The model provider declined to answer on content policy grounds.',
  network: 'The model provider could not be reached.',
  internal: 'Something went wrong inside chatd.',
  config: 'The model configuration cannot be used.',
  'usage-limit': 'The usage limit or quota of the model provider is reached.',
  'stream-silence': 'The model stopped sending its answer.',
};

const MAX_DETAIL = 500;
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/** The wait a provider asked for: `retry-after-ms`, else `Retry-After` in seconds or as a date. */
export function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  const milliseconds = Number(header(headers, 'retry-after-ms'));
  if (
    Number.isFinite(milliseconds) &&
    milliseconds >= 0 &&
    header(headers, 'retry-after-ms') !== undefined
  ) {
    return milliseconds;
  }
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Classifies a failed model call, first rule that matches: overloaded → usage limit → auth
 * (401, then 403) → rate limit → timeouts and dropped connections → configuration and request
 * errors → other server errors → generic. Retryable kinds are retried with backoff; the rest
 * end the turn.
 */
export function classifyModelError(error: unknown): ClassifiedError {
  if (error instanceof StreamSilenceError) return { kind: 'stream-silence', retryable: true };
  if (error instanceof ContentFilterError) return { kind: 'content-filter', retryable: false };
  const text = messageOf(error).toLowerCase();
  const detail = messageOf(error).slice(0, MAX_DETAIL);
  const apiError = APICallError.isInstance(error) ? error : undefined;
  const status = apiError?.statusCode;
  const base = {
    ...(detail === '' ? {} : { detail }),
    ...(status === undefined ? {} : { statusCode: status }),
  };
  const wait = retryAfterMs(apiError?.responseHeaders);
  const retrying = (kind: ChatErrorKind): ClassifiedError => ({
    kind,
    retryable: true,
    ...base,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
  const final = (kind: ChatErrorKind): ClassifiedError => ({ kind, retryable: false, ...base });

  if (status === 529 || text.includes('overloaded')) return retrying('overloaded');
  if (/insufficient_quota|quota exceeded|usage limit|billing|credit balance/.test(text)) {
    return final('usage-limit');
  }
  if (
    status === 401 ||
    /invalid api key|incorrect api key|unauthorized|authentication/.test(text)
  ) {
    return final('auth');
  }
  if (status === 403) return final('auth');
  if (status === 429 || text.includes('rate limit')) return retrying('rate-limit');
  if (status === 408 || status === 502 || status === 503 || status === 504)
    return retrying('timeout');
  if (causeCodes(error).some((code) => NETWORK_CODES.has(code)) || text.includes('fetch failed')) {
    return retrying('network');
  }
  if (/timed? ?out|timeout/.test(text)) return retrying('timeout');
  if (/context length|context window|too many tokens|maximum context/.test(text)) {
    return final('context-length');
  }
  if (status === 404 || /model not found|does not exist|no such model/.test(text))
    return final('config');
  if (status !== undefined && status >= 400 && status < 500) return final('invalid-request');
  if (status !== undefined && status >= 500) return retrying('generic');
  if (apiError?.isRetryable === true) return retrying('generic');
  return final('generic');
}

/** The error payload clients see for a classified failure: a plain message, the detail apart. */
export function toChatErrorInfo(classified: ClassifiedError, provider?: string): ChatErrorInfo {
  return {
    message: MESSAGES[classified.kind],
    kind: classified.kind,
    retryable: classified.retryable,
    ...(classified.detail === undefined ? {} : { detail: classified.detail }),
    ...(classified.statusCode === undefined ? {} : { statusCode: classified.statusCode }),
    ...(provider === undefined ? {} : { provider }),
  };
}
