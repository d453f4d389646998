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
      `must be a positive integer${range}, got ${describeValue(value)}`,
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
    throw new InvalidArgumentError(
      name,
      `must be a positive finite number, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * A value as an error message shows it: a string quoted (so `'5'` does not read as the number
 * 5), anything else as `String` writes it.
 */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Every option name of `Options`, each `true`: an object rather than a list, so the compiler
 * checks it against the options type (a name too many or left out does not compile).
 */
export type KnownOptions<Options> = { readonly [Key in keyof Required<Options>]: true };

/**
 * Returns `options` when it is an object (or `undefined`, for all defaults) whose own keys are
 * all options; otherwise throws naming the first unknown key. A misspelt option
 * (`maxEpisodebytes`) would otherwise fall back to its default without a word.
 *
 * @param known - Every option name (see {@link KnownOptions}).
 * @param name - The argument's name, prefixed to the key in the error (`options.bufersize`).
 * @throws InvalidArgumentError `INVALID_ARGUMENT`
 */
export function requireKnownOptions<Options extends object>(
  options: Options | undefined,
  known: KnownOptions<Options>,
  name = 'options',
): Options | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(name, `must be an object, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find((key) => !Object.hasOwn(known, key));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(
      `${name}.${unknown}`,
      `is not an option; the options are ${Object.keys(known).join(', ')}`,
    );
  }
  return options;
}
