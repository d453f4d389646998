/**
 * The error `run` throws, for asserting on it with `toMatchObject`, whose failure message shows
 * the whole error (its code included) rather than `expected false to be true`. Throws when
 * `run` returns normally. For a promise, use `await expect(promise).rejects.toMatchObject(…)`.
 *
 * @example
 * ```ts
 * expect(errorOf(() => parseChatStreamPart(input))).toMatchObject({ code: 'VALIDATION_FAILED' });
 * ```
 */
export function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}
