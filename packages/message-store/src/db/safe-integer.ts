import { UnsafeIntegerError } from '../errors/store-errors.js';

/**
 * Converts an int8 value as a driver returns it (pg: string; PGlite: number, or bigint above
 * 2^53) into a `number`, refusing anything that would lose precision.
 *
 * @throws UnsafeIntegerError `UNSAFE_INTEGER` for a value outside `Number.MIN_SAFE_INTEGER` ..
 *   `Number.MAX_SAFE_INTEGER`, or anything that is not an integer.
 */
export function toSafeInteger(value: unknown): number {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint' || typeof value === 'string'
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new UnsafeIntegerError(String(value));
  // Number('9007199254740993') rounds to a safe-looking value: compare the text round trip.
  if (typeof value !== 'number' && String(number) !== String(value).replace(/^\+/, '')) {
    throw new UnsafeIntegerError(String(value));
  }
  return number;
}
