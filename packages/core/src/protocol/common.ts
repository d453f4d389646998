import { z } from 'zod';

/**
 * Small field schemas shared by the protocol files. Module-internal: not exported from the
 * package, their types are plain `string`/`number`.
 */

/** A non-empty string naming something: a tool call id, a tool name, a chat id. */
export const identifierSchema = z.string().min(1, 'expected a non-empty string');

/** An ISO 8601 timestamp with `Z` or an offset, e.g. `2026-07-24T10:00:00.000Z`. */
export const timestampSchema = z.iso.datetime({
  offset: true,
  error: 'expected an ISO 8601 date-time with Z or an offset',
});

/**
 * A media (MIME) type such as `image/png`, `text/plain; charset=utf-8` or `image/*`. Checks the
 * `type/subtype` form only; it does not consult a registry.
 */
export const mediaTypeSchema = z
  .string()
  .regex(/^[\w!#$&^.+*-]+\/[\w!#$&^.+*-]+(\s*;.*)?$/, 'expected a media type like image/png');

/**
 * An absolute `http:` or `https:` URL: where a cited web page lives. Other schemes are
 * rejected on write, `javascript:` in particular, because clients put these URLs in links.
 */
export const webUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'expected an absolute http(s) URL',
});

/**
 * An absolute `http:`, `https:` or `data:` URL: where a file can be loaded from. Clients put
 * these in `src` attributes, so other schemes (`javascript:`, `file:`) are rejected on write.
 */
export const fileUrlSchema = z.url({
  protocol: /^(https?|data)$/,
  error: 'expected an absolute http(s) or data: URL',
});

/** A non-negative safe integer (token counts, versions). */
export const nonNegativeIntegerSchema = z.int().min(0);

/** A positive safe integer (ids, sequence numbers, attempts). */
export const positiveIntegerSchema = z.int().min(1);

/**
 * Whether every issue is an `unrecognized_keys` one, i.e. the value is valid in every other
 * respect and only carries fields this version does not know.
 *
 * Tolerant reads reuse the strict schemas and accept such a value verbatim, extra fields
 * included, so data written by a newer version round-trips. This is sound because zod reports
 * `unrecognized_keys` as a non-aborting issue: every other field check and every object-level
 * refinement still runs and reports its own issues (covered by a test in `parse.test.ts`).
 */
export function hasOnlyUnrecognizedKeys(issues: readonly z.core.$ZodIssue[]): boolean {
  return issues.length > 0 && issues.every((issue) => issue.code === 'unrecognized_keys');
}

/** The value of `value[field]` when `value` is an object, else `undefined`. For messages. */
export function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[field]
    : undefined;
}

/** A member of a discriminated union on `type`: an object schema, or a nested union of them. */
type TypedMember =
  | { readonly shape: { readonly type: { readonly value: string } } }
  | { readonly options: readonly TypedMember[] };

/**
 * The `type` literals of a discriminated union's members, in order and each once (a nested
 * union, such as the two kinds of `source` part, contributes its shared `type` once). Tolerant
 * reads use the list to tell a type from a newer version from a malformed part of a known type.
 */
export function memberTypes(options: readonly TypedMember[]): readonly string[] {
  const types = options.flatMap((option) =>
    'options' in option ? memberTypes(option.options) : [option.shape.type.value],
  );
  return [...new Set(types)];
}

/**
 * The message for a discriminated union that found no member for `value[field]`, e.g.
 * `unknown part type "foo"; expected one of text, reasoning`.
 */
export function unknownDiscriminatorMessage(
  noun: string,
  value: unknown,
  field: string,
  known: readonly string[],
): string {
  const found = fieldOf(value, field);
  const expected = `expected one of ${known.join(', ')}`;
  return found === undefined
    ? `missing ${noun}; ${expected}`
    : `unknown ${noun} ${JSON.stringify(found)}; ${expected}`;
}
