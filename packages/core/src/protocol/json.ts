import { z } from 'zod';
import type { ValidationIssue } from '../errors/core-errors.js';

/**
 * A value that survives `JSON.stringify` and `JSON.parse` unchanged: `null`, a string, a finite
 * number, a boolean, an array of JSON values or a plain object of JSON values, nested at most
 * 100 levels deep (the schemas and checks here refuse deeper values).
 *
 * Used for tool inputs and outputs and for {@link ProviderMetadata} values, which are stored as
 * JSON and sent over the wire as JSON. The same shape as the AI SDK's `JSONValue`, minus
 * `undefined` object values (JSON has no `undefined`: such keys would vanish on a round trip).
 */
export type JsonValue = null | string | number | boolean | JsonObject | JsonValue[];

/** A plain object whose values are all {@link JsonValue}s. */
export interface JsonObject {
  /** Any key maps to a JSON value; `undefined` is not allowed (it does not survive JSON). */
  [key: string]: JsonValue;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `${name} instance` : 'object';
  }
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * How deep a JSON value may nest. Deeper values are refused rather than stored: walking them
 * recursively overflows the stack (`JSON.stringify` does at a few thousand levels, the AI SDK's
 * prompt validation fails from about 1,500), and no tool input, output or schema needs more.
 */
const MAX_DEPTH = 100;

/**
 * Walks a value and records every place that is not JSON. Hand-written rather than a recursive
 * `z.union`, because zod reports a failed union as one "Invalid input" at the top of the value;
 * this names the exact nested path and what was found there. The path is one stack, copied only
 * when a problem is recorded, so checking a valid value allocates almost nothing (PubSub checks
 * every payload it publishes). `ancestors` guards against cycles, which would otherwise overflow
 * the stack, and the walk stops at {@link MAX_DEPTH}.
 */
class JsonWalker {
  readonly issues: ValidationIssue[] = [];
  readonly #path: (string | number)[] = [];
  readonly #ancestors = new Set<object>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  walk(value: unknown): void {
    if (this.issues.length >= this.#limit) return;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        this.#record(`expected a JSON value, received ${describe(value)}`);
      return;
    }
    if (typeof value !== 'object' || (!Array.isArray(value) && !isPlainObject(value))) {
      this.#record(`expected a JSON value, received ${describe(value)}`);
      return;
    }
    if (this.#ancestors.has(value)) {
      this.#record('expected a JSON value, received a circular reference');
      return;
    }
    if (this.#path.length >= MAX_DEPTH) {
      this.#record(`expected a JSON value nested at most ${MAX_DEPTH} levels deep`);
      return;
    }
    this.#ancestors.add(value);
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) this.#walkChild(index, value[index]);
    } else {
      for (const key in value) {
        if (Object.hasOwn(value, key)) this.#walkChild(key, (value as JsonObject)[key]);
      }
    }
    // A value may appear twice side by side (JSON copies it); only a path back to itself is a cycle.
    this.#ancestors.delete(value);
  }

  #walkChild(key: string | number, child: unknown): void {
    this.#path.push(key);
    this.walk(child);
    this.#path.pop();
  }

  #record(message: string): void {
    this.issues.push({ path: [...this.#path], message });
  }
}

/**
 * Whether `value` is JSON within {@link MAX_DEPTH}: the common case, checked without the
 * walker's path and cycle bookkeeping, which cost several times more per value on the payloads
 * PubSub checks (hundreds of draft envelopes per announcement). `false` says only "let the
 * walker look": a cycle ends here too, at the depth limit.
 */
function isShallowJson(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!isShallowJson(value[index], depth + 1)) return false;
    }
    return true;
  }
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && !isShallowJson((value as JsonObject)[key], depth + 1)) {
      return false;
    }
  }
  return true;
}

/**
 * Lists every place where `value` is not a {@link JsonValue} (`undefined`, a non-finite number,
 * a function, symbol or bigint, a class instance such as `Date` or `Map`, a cycle, nesting deeper
 * than 100 levels), with its path below `value`. Empty when `value` is JSON. Stricter than `JSON.stringify`, which silently turns
 * `NaN` into `null`, drops `undefined` fields and calls `toJSON`.
 *
 * @param limit stop after this many issues; pass `1` for a fast yes/no on large values.
 */
export function findJsonIssues(
  value: unknown,
  limit = Number.POSITIVE_INFINITY,
): ValidationIssue[] {
  if (isShallowJson(value, 0)) return [];
  const walker = new JsonWalker(limit);
  walker.walk(value);
  return walker.issues;
}

/**
 * Schema of {@link JsonValue}. Rejects `undefined`, non-finite numbers, functions, symbols,
 * bigints, class instances (`Date`, `Map`, …), cycles and nesting deeper than 100 levels, naming
 * the nested path of each.
 * Passes the value through as is (no copy).
 */
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .custom<JsonValue>()
  .superRefine((value, context) => {
    for (const issue of findJsonIssues(value)) {
      context.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    }
  });
