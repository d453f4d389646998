import { InvalidArgumentError } from '../errors/core-errors.js';

/**
 * Returns `value` when it is a positive safe integer no greater than `max`; otherwise throws
 * naming the option. For numeric options of constructors and factories: sizes, counts, limits.
 *
 * @param name - The option's name, as the caller wrote it.
 * @throws InvalidArgumentError `INVALID_ARGUMENT`
 */
export function requirePositiveInteger(
  name: string,
  value: unknown,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? '' : ` no greater than ${max}`;
    throw new InvalidArgumentError(
      name,
      `must be a positive integer${range}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Returns `value` when it is a finite number greater than zero; otherwise throws naming the
 * option. For durations in milliseconds, where a fraction is harmless but zero, a negative,
 * `NaN` or `Infinity` would disable the timer it sets.
 *
 * @param name - The option's name, as the caller wrote it.
 * @throws InvalidArgumentError `INVALID_ARGUMENT`
 */
export function requirePositiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(name, `must be a positive finite number, got ${String(value)}`);
  }
  return value;
}
