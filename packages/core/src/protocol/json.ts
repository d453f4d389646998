import { z } from 'zod';

/**
 * A value that survives `JSON.stringify` and `JSON.parse` unchanged: `null`, a string, a finite
 * number, a boolean, an array of JSON values or a plain object of JSON values.
 *
 * Used for tool inputs and outputs and for {@link ProviderMetadata} values, which are stored as
 * JSON and sent over the wire as JSON. The same shape as the AI SDK's `JSONValue`, minus
 * `undefined` object values (JSON has no `undefined`: such keys would vanish on a round trip).
 */
export type JsonValue = null | string | number | boolean | JsonObject | JsonArray;

/** A plain object whose values are all {@link JsonValue}s. */
export interface JsonObject {
  /** Any key maps to a JSON value; `undefined` is not allowed (it does not survive JSON). */
  [key: string]: JsonValue;
}

/** An array whose items are all {@link JsonValue}s. */
export type JsonArray = JsonValue[];

/** One reason a value is not JSON, with the path below the validated value. */
interface JsonProblem {
  path: (string | number)[];
  message: string;
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
 * Walks `value` and records every place that is not JSON. A hand-written walk rather than a
 * recursive `z.union`, because zod reports a failed union as one "Invalid input" at the top of
 * the value; this names the exact nested path and what was found there. `ancestors` guards
 * against cycles, which would otherwise overflow the stack.
 */
function findJsonProblems(
  value: unknown,
  path: (string | number)[],
  problems: JsonProblem[],
  ancestors: Set<object>,
): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      problems.push({ path, message: `expected a JSON value, received ${describe(value)}` });
    }
    return;
  }
  if (typeof value !== 'object' || (!Array.isArray(value) && !isPlainObject(value))) {
    problems.push({ path, message: `expected a JSON value, received ${describe(value)}` });
    return;
  }
  if (ancestors.has(value)) {
    problems.push({ path, message: 'expected a JSON value, received a circular reference' });
    return;
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      findJsonProblems(value[index], [...path, index], problems, ancestors);
    }
  } else {
    for (const [key, item] of Object.entries(value)) {
      findJsonProblems(item, [...path, key], problems, ancestors);
    }
  }
  ancestors.delete(value);
}

/**
 * Schema of {@link JsonValue}. Rejects `undefined`, non-finite numbers, functions, symbols,
 * bigints, class instances (`Date`, `Map`, …) and cycles, naming the nested path of each.
 * Passes the value through as is (no copy).
 */
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .custom<JsonValue>()
  .superRefine((value, context) => {
    const problems: JsonProblem[] = [];
    findJsonProblems(value, [], problems, new Set());
    for (const problem of problems) {
      context.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }
  });
