/** Structured fields attached to a log line or a child logger, e.g. `{ chatId, err }`. */
export type LogFields = Record<string, unknown>;

/**
 * The logger chatd libraries accept: the subset of pino they use.
 *
 * Libraries take `logger?: Logger` and stay silent without one ({@link silentLogger}); they never
 * create a logger at import. Pass a pino instance directly. Each level takes fields first and the
 * message second, as pino does, or the message alone. Put errors under `err` so pino keeps the
 * stack and cause, and never log secrets or message content.
 */
export interface Logger {
  /** A logger that adds `bindings` to every line, e.g. `{ component: 'pubsub' }`. */
  child(bindings: LogFields): Logger;
  /** Diagnostic detail. */
  debug: {
    (fields: LogFields, message?: string): void;
    (message: string): void;
  };
  /** Normal operation worth recording. */
  info: {
    (fields: LogFields, message?: string): void;
    (message: string): void;
  };
  /** Something went wrong and was handled (a drop, a retry). */
  warn: {
    (fields: LogFields, message?: string): void;
    (message: string): void;
  };
  /** Something failed and was not recovered. */
  error: {
    (fields: LogFields, message?: string): void;
    (message: string): void;
  };
}

const ignore = () => {};

/** A {@link Logger} that discards everything: the default of every chatd library. */
export const silentLogger: Logger = {
  child: () => silentLogger,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
