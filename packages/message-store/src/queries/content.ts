import {
  type ChatMessageContent,
  findJsonIssues,
  type JsonValue,
  parseChatMessageContent,
  ValidationFailedError,
} from '@chatd/core';
import { ContentTooLargeError } from '../errors/store-errors.js';
import type { ResolvedLimits } from '../store/store-options.js';

/**
 * Validates message content before it is written: core's strict write-path schema, then the
 * size limit on its serialised form. Call it before opening a write, so bad input writes
 * nothing.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` for invalid parts or a wrong version.
 * @throws ContentTooLargeError `CONTENT_TOO_LARGE` above `limits.maxContentBytes`.
 */
export function validateContent(value: unknown, limits: ResolvedLimits): ChatMessageContent {
  const content = parseChatMessageContent(value);
  checkJsonSize(content, limits);
  return content;
}

/**
 * Checks that `value` is JSON (no `undefined`, functions, bigints, cycles, class instances)
 * and fits `limits.maxContentBytes` once serialised.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` naming each non-JSON path.
 * @throws ContentTooLargeError `CONTENT_TOO_LARGE` above the limit.
 */
export function validateJsonValue(value: unknown, what: string, limits: ResolvedLimits): JsonValue {
  const issues = findJsonIssues(value, 10);
  if (issues.length > 0) throw new ValidationFailedError(what, issues);
  checkJsonSize(value, limits);
  return value as JsonValue;
}

/**
 * Parses JSON text from a caller (a tool output, a retry payload).
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` when the text is not JSON.
 */
export function parseJsonText(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new ValidationFailedError(what, [{ path: [], message: 'malformed JSON' }], {
      cause: error,
    });
  }
}

function checkJsonSize(value: unknown, limits: ResolvedLimits): void {
  const text = JSON.stringify(value);
  // Cheap bound first: UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (text.length * 3 <= limits.maxContentBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxContentBytes) throw new ContentTooLargeError(bytes, limits.maxContentBytes);
}
