import { parseArgument } from '@chatd/core';
import type { z } from 'zod';
import { ContentTooLargeError } from '../errors/store-errors.js';

/*
 * Postgres cannot store every string JavaScript allows: `text` and `jsonb` refuse the NUL
 * character, and a lone UTF-16 surrogate has no UTF-8 form (the driver would silently turn it
 * into U+FFFD, so what is read back differs from what was written). Such input is refused with
 * a typed error naming the field, rather than stored altered or failing inside the driver.
 */
const UNSTORABLE = 'contains a NUL character or a lone surrogate, which cannot be stored';

function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/** Zod check: a string Postgres stores unchanged. */
export function checkStorableString(text: string, context: z.core.$RefinementCtx): void {
  if (!isStorable(text)) context.addIssue({ code: 'custom', message: UNSTORABLE });
}

/** A node still to check, with the way back to the value's root for its path. */
interface PendingNode {
  node: unknown;
  key: string | number | undefined;
  parent: PendingNode | undefined;
}

function pathOf(entry: PendingNode): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: PendingNode | undefined = entry; at?.key !== undefined; at = at.parent) {
    path.push(at.key);
  }
  return path.reverse();
}

/**
 * Zod check: every string of a JSON value (object keys included) is storable. A loop with its
 * own stack, not recursion: a value nested thousands deep (which the value's own schema
 * refuses) must be walked without overflowing the call stack, and a path is built only for an
 * issue.
 */
export function checkStorableJson(value: unknown, context: z.core.$RefinementCtx): void {
  // A cycle is not JSON, which the value's own schema reports; here it must only not loop.
  const seen = new WeakSet<object>();
  const pending: PendingNode[] = [{ node: value, key: undefined, parent: undefined }];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const { node } = entry;
    if (typeof node === 'string') {
      if (!isStorable(node))
        context.addIssue({ code: 'custom', path: pathOf(entry), message: UNSTORABLE });
      continue;
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const children: [string | number, unknown][] = Array.isArray(node)
      ? [...node.entries()]
      : Object.entries(node);
    for (const [key] of children) {
      if (typeof key === 'string' && !isStorable(key))
        context.addIssue({ code: 'custom', path: pathOf(entry), message: UNSTORABLE });
    }
    // Pushed last to first, so they are checked (and their issues reported) in document order.
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const [key, item] = children[index] as [string | number, unknown];
      pending.push({ node: item, key, parent: entry });
    }
  }
}

/*
 * Fields whose value is a document with its own protocol schema (message content, an error
 * payload): a problem inside one is reported as VALIDATION_FAILED listing every issue, like
 * core's parsers do. Any other problem is a wrongly called method: INVALID_ARGUMENT naming the
 * first bad field.
 */
const DOCUMENT_FIELDS = new Set<PropertyKey>(['content', 'lastError']);

/**
 * Parses a public method's argument with its schema, before any database work.
 *
 * @param argument - The argument's name, the root of every reported path.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the first bad field.
 * @throws ValidationFailedError `VALIDATION_FAILED` for an invalid document field.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  argument: string,
): z.output<Schema> {
  return parseArgument(schema, value, argument, DOCUMENT_FIELDS);
}

/**
 * Throws unless `value` serialises to at most `maxBytes` UTF-8 bytes of JSON.
 * @throws ContentTooLargeError `CONTENT_TOO_LARGE`
 */
export function checkJsonSize(value: unknown, maxBytes: number): void {
  const text = serialize(value);
  if (text !== undefined) checkJsonTextSize(text, maxBytes);
}

/**
 * The JSON of `value`, or `undefined` when it is not JSON (a function, a bigint, a cycle):
 * the value's own schema reports that, with its path.
 */
function serialize(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/*
 * Message content is serialised once, when it is validated: the size check, the storability
 * check and the INSERT all use that one string (a step commits hundreds of messages, and
 * serialising each three times showed in the benchmarks).
 */
const SERIALIZED = Symbol('chatd.serialized-content');

type SerializedContent = object & { [SERIALIZED]?: string };

// JSON.stringify writes NUL as \u0000 and a lone surrogate as \udXXX (paired surrogates stay
// raw), so one scan of the text finds both; an even run of backslashes before it is escaped text.
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/**
 * Zod check of validated message content: storable text (naming the path of each problem) and
 * at most `maxBytes` of JSON; keeps the JSON for {@link contentJson}.
 * @throws ContentTooLargeError `CONTENT_TOO_LARGE`
 */
export function checkContent(value: object, maxBytes: number, context: z.core.$RefinementCtx) {
  const text = serialize(value);
  if (text === undefined) return;
  // The walk names the path of each problem; the scan only tells whether there is one, and
  // most content has no escape at all.
  if (text.includes('\\u') && UNSTORABLE_ESCAPE.test(text)) checkStorableJson(value, context);
  checkJsonTextSize(text, maxBytes);
  // The parsed value is zod's fresh copy, so keeping the text on it touches no caller object
  // (under a symbol key, which JSON.stringify ignores).
  (value as SerializedContent)[SERIALIZED] = text;
}

/** The JSON of message content, serialised once when it was validated. */
export function contentJson(content: object): string {
  return (content as SerializedContent)[SERIALIZED] ?? JSON.stringify(content);
}

function checkJsonTextSize(text: string, maxBytes: number): void {
  // Cheap bound first: UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (text.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new ContentTooLargeError(bytes, maxBytes);
}
