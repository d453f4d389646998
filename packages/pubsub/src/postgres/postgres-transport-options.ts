import {
  type Clock,
  InvalidArgumentError,
  type KnownOptions,
  type Logger,
  realClock,
  redactUrl,
  requireKnownOptions,
  requirePositiveNumber,
  silentLogger,
} from '@chatd/core';
import type { ListenClient, NotifyPool, PGliteNotifier } from './drivers.js';

/**
 * Options for {@link PostgresTransport}. Give either `pglite`, or a Postgres server through
 * `connectionString` and/or `pool` + `connect`:
 *
 * | given                          | publishes on                         | listens on                       |
 * | ------------------------------ | ------------------------------------ | -------------------------------- |
 * | `connectionString`             | its own small pool (2 connections)   | its own `pg.Client`              |
 * | `pool` + `connectionString`    | `pool`                               | its own `pg.Client`              |
 * | `pool` + `connect`             | `pool`                               | clients from `connect()`         |
 * | `pglite`                       | the PGlite instance                  | the PGlite instance              |
 */
export interface PostgresTransportOptions {
  /**
   * A `postgres://` or `postgresql://` URL. Used to open the dedicated listening connection
   * unless `connect` is given, and to publish unless `pool` is given. Logged only through
   * core's `redactUrl` (no credentials).
   */
  connectionString?: string;
  /**
   * A pool to publish on (`pg.Pool`), owned by the caller: the transport checks out one
   * connection at a time and never ends the pool. A connection whose NOTIFY runs past
   * `queryTimeoutMs` is released with an error, which makes `pg` close it and drop it from the
   * pool.
   */
  pool?: NotifyPool;
  /**
   * Opens a new, connected client for the dedicated listening connection (e.g.
   * `async () => { const client = new pg.Client(config); await client.connect(); return client; }`).
   * Called for the first connection and after each loss; the transport owns and ends what it
   * returns. Never hand out a client from an application pool: a pooled client would take the
   * LISTENs to its next borrower.
   */
  connect?: () => Promise<ListenClient>;
  /**
   * A PGlite instance (the one the store opened: a PGlite data folder has one owner). Owned by
   * the caller; the transport never closes it. Cannot be combined with the options above.
   */
  pglite?: PGliteNotifier;
  /**
   * Times keepalives, timeouts and reconnect backoff.
   * @default realClock
   */
  clock?: Clock;
  /**
   * Receives connection losses, reconnects and failures (URLs redacted).
   * @default silentLogger
   */
  logger?: Logger;
  /**
   * The time between keepalive queries (`SELECT 1`) on the listening connection, so a silently
   * dropped network is noticed while no notification arrives (Postgres only; PGlite has no
   * connection).
   * @default 5000
   */
  keepaliveIntervalMs?: number;
  /**
   * How long a statement (keepalive, LISTEN, NOTIFY) may take. A listening connection that does
   * not answer in time counts as lost; a NOTIFY that does not complete rejects
   * (`TRANSPORT_FAILED`) and its connection is destroyed, so the next NOTIFY gets a fresh one.
   * Also bounds each step of `close()`.
   * @default 5000
   */
  queryTimeoutMs?: number;
  /**
   * How long opening the listening connection may take.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * The wait before the second reconnect attempt (the first is immediate); it doubles after
   * each failed attempt up to `maxReconnectDelayMs`.
   * @default 100
   */
  reconnectDelayMs?: number;
  /**
   * The longest wait between reconnect attempts.
   * @default 5000
   */
  maxReconnectDelayMs?: number;
}

/** A Postgres server to publish and listen on, as given. @internal */
export interface PostgresServerOptions {
  connectionString: string | undefined;
  pool: NotifyPool | undefined;
  connect: (() => Promise<ListenClient>) | undefined;
}

/** {@link PostgresTransportOptions} with every default filled in and every value checked. @internal */
export interface ResolvedPostgresTransportOptions {
  /** A PGlite instance, or a Postgres server with a way to publish and a way to listen. */
  database: { pglite: PGliteNotifier } | PostgresServerOptions;
  clock: Clock;
  logger: Logger;
  keepaliveIntervalMs: number;
  queryTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** Every option of {@link PostgresTransportOptions}, for refusing a misspelt one. */
const OPTION_NAMES: KnownOptions<PostgresTransportOptions> = {
  connectionString: true,
  pool: true,
  connect: true,
  pglite: true,
  clock: true,
  logger: true,
  keepaliveIntervalMs: true,
  queryTimeoutMs: true,
  connectTimeoutMs: true,
  reconnectDelayMs: true,
  maxReconnectDelayMs: true,
};

/**
 * Fills in defaults and checks what may come from configuration: durations, the URL, and that
 * the given connections make sense together.
 * @throws InvalidArgumentError `INVALID_ARGUMENT`, naming the option.
 * @internal
 */
export function resolvePostgresTransportOptions(
  options: PostgresTransportOptions,
): ResolvedPostgresTransportOptions {
  const {
    connectionString,
    pool,
    connect,
    pglite,
    clock = realClock,
    logger = silentLogger,
    keepaliveIntervalMs = 5000,
    queryTimeoutMs = 5000,
    connectTimeoutMs = 10_000,
    reconnectDelayMs = 100,
    maxReconnectDelayMs = 5000,
  } = requireKnownOptions(options, OPTION_NAMES) ?? {};
  requirePositiveNumber('keepaliveIntervalMs', keepaliveIntervalMs);
  requirePositiveNumber('queryTimeoutMs', queryTimeoutMs);
  requirePositiveNumber('connectTimeoutMs', connectTimeoutMs);
  requirePositiveNumber('reconnectDelayMs', reconnectDelayMs);
  requirePositiveNumber('maxReconnectDelayMs', maxReconnectDelayMs);
  if (maxReconnectDelayMs < reconnectDelayMs) {
    throw new InvalidArgumentError(
      'maxReconnectDelayMs',
      `must be at least reconnectDelayMs (${reconnectDelayMs}), got ${maxReconnectDelayMs}`,
    );
  }
  const timing = {
    clock,
    logger,
    keepaliveIntervalMs,
    queryTimeoutMs,
    connectTimeoutMs,
    reconnectDelayMs,
    maxReconnectDelayMs,
  };
  if (pglite !== undefined) {
    if (connectionString !== undefined || pool !== undefined || connect !== undefined) {
      throw new InvalidArgumentError(
        'pglite',
        'cannot be combined with connectionString, pool or connect',
      );
    }
    return { database: { pglite }, ...timing };
  }
  // A URL usually comes from the environment: check it is one, without echoing credentials.
  if (
    connectionString !== undefined &&
    (typeof connectionString !== 'string' || !POSTGRES_URL.test(connectionString))
  ) {
    throw new InvalidArgumentError(
      'connectionString',
      `must be a postgres:// or postgresql:// URL, got ${typeof connectionString === 'string' ? redactUrl(connectionString) : typeof connectionString}`,
    );
  }
  if (pool === undefined && connectionString === undefined) {
    throw new InvalidArgumentError(
      'connectionString',
      'is required to publish unless pool is given (or give pglite)',
    );
  }
  if (connect === undefined && connectionString === undefined) {
    throw new InvalidArgumentError(
      'connectionString',
      'is required to open the listening connection unless connect is given',
    );
  }
  return { database: { connectionString, pool, connect }, ...timing };
}
