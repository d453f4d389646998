import { InvalidArgumentError } from '@chatd/core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID. Chat ids that are not UUIDs cannot exist, and passing them to a
 * `uuid` column would make Postgres raise; callers answer "not found" instead.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** @throws InvalidArgumentError `INVALID_ARGUMENT` unless `value` is an integer in range. */
export function integerInRange(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** @throws InvalidArgumentError `INVALID_ARGUMENT` unless `value` is a non-empty string. */
export function nonEmptyString(value: unknown, argument: string, maxLength = 1000): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidArgumentError(argument, `expected a string of 1 to ${maxLength} characters`);
  }
  return value;
}
