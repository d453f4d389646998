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
  /** Diagnostic detail: `debug({ chatId }, 'message')` or `debug('message')`. */
  debug: {
    (fields: LogFields, message?: string): void;
    (message: string): void;
  };
  /** Normal operation worth recording; called like {@link Logger.debug}. */
  info: Logger['debug'];
  /** Something went wrong and was handled (a drop, a retry); called like {@link Logger.debug}. */
  warn: Logger['debug'];
  /** Something failed and was not recovered; called like {@link Logger.debug}. */
  error: Logger['debug'];
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
