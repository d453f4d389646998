import type { z } from 'zod';
import {
  InvalidArgumentError,
  ValidationFailedError,
  type ValidationIssue,
} from '../errors/core-errors.js';

/**
 * Parses an argument of a public method with its schema, before the method does any work.
 *
 * A problem inside a document field (one whose value has its own protocol schema, such as
 * message content) is reported as `VALIDATION_FAILED` listing every issue, as core's `parse*`
 * functions do. Any other problem is a wrongly called method: `INVALID_ARGUMENT` naming the
 * first bad field, e.g. `input.labels.team`.
 *
 * @param argument - The argument's name, the root of every reported path.
 * @param documentFields - Names of the fields (at any depth) that hold documents.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the first bad field.
 * @throws ValidationFailedError `VALIDATION_FAILED` for an invalid document field; its issues'
 *   paths start below `argument`.
 * @example
 * ```ts
 * const limit = parseArgument(z.int().min(1), options.limit, 'options.limit');
 * ```
 */
export function parseArgument<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  argument: string,
  documentFields: ReadonlySet<PropertyKey> = new Set(),
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    // Zod reports unknown keys at the object; name the first one, as a caller would look for it.
    if (issue.code === 'unrecognized_keys') path.push(issue.keys[0] as string);
    return { path, message: issue.message };
  });
  const [first] = issues as [ValidationIssue];
  if (documentFields.has(argument) || first.path.some((key) => documentFields.has(key))) {
    throw new ValidationFailedError(argument, issues, { cause: result.error });
  }
  const field = [argument, ...first.path].join('.');
  throw new InvalidArgumentError(field, first.message, { cause: result.error });
}
