const MARK = Symbol.for('chatd.error');

/** Options accepted by {@link ChatdError}. */
export interface ChatdErrorOptions {
  /** The underlying error, kept as the standard `Error.cause`. */
  cause?: unknown;
  /**
   * Whether retrying the failed operation may succeed. Set by the thrower, which knows best.
   * @default false
   */
  retryable?: boolean;
}

/**
 * The base class of every error chatd throws.
 *
 * Each package defines its own UPPER_SNAKE `code`s (a string union) and subclasses named after
 * them; codes are never renamed once shipped, messages may change. Use
 * {@link ChatdError.isInstance} instead of `instanceof`: it also recognises errors thrown by a
 * second copy of this package loaded in the same process.
 *
 * @example
 * ```ts
 * try {
 *   buffer.addPart(key, 'assistant', part);
 * } catch (error) {
 *   if (ChatdError.isInstance(error, 'EPISODE_FULL')) rotateEpisode();
 *   else throw error;
 * }
 * ```
 */
export class ChatdError<Code extends string = string> extends Error {
  /** Brand checked by {@link ChatdError.isInstance}; `Symbol.for` so copies share it. */
  readonly [MARK] = true;
  /** Stable machine-readable code, UPPER_SNAKE. */
  readonly code: Code;
  /** Whether retrying the failed operation may succeed. */
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: ChatdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChatdError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /**
   * Whether `value` is a chatd error, optionally with the given code. Works across duplicate
   * package copies, where `instanceof` does not.
   */
  static isInstance<Code extends string = string>(
    value: unknown,
    code?: Code,
  ): value is ChatdError<Code> {
    if (typeof value !== 'object' || value === null || !(MARK in value)) return false;
    return code === undefined || (value as { code?: unknown }).code === code;
  }

  /** A plain object for logs and wire payloads: name, code, message and retryable. */
  toJSON(): { name: string; code: Code; message: string; retryable: boolean } {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}
