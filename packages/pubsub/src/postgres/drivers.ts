import { once } from 'node:events';
import { type Clock, type Logger, withDeadline } from '@chatd/core';
import { TransportFailedError } from './errors.js';
import { quoteIdentifier } from './notify-channel.js';

/**
 * What the transport needs from a pool to publish: `pg.Pool` fits. Structural, so `pg` types
 * are not required and any compatible version works.
 */
export interface NotifyPool {
  /** Checks out a connection; the transport releases it after one statement. */
  connect(): Promise<NotifyPoolClient>;
}

/** A connection checked out of a {@link NotifyPool}: a `pg.PoolClient` fits. */
export interface NotifyPoolClient {
  /** Runs a parameterized statement. */
  query(text: string, values: unknown[]): Promise<unknown>;
  /**
   * Returns the connection to the pool, or, given an error, closes it and removes it from the
   * pool (what `pg.PoolClient.release(error)` does), even while a statement is running.
   */
  release(error?: Error): void;
}

/** A notification as `pg` reports it. */
export interface PostgresNotification {
  /** The Postgres channel. */
  channel: string;
  /** The payload; `pg` reports an empty payload as `''` or `undefined`. */
  payload?: string | undefined;
}

/**
 * What the transport needs from its dedicated listening connection: a connected `pg.Client`
 * fits. The transport owns it once handed over and ends it on close or when it is lost.
 */
export interface ListenClient {
  /** Runs a statement (simple query protocol when there are no parameters). */
  query(text: string): Promise<unknown>;
  /** Notifications on LISTENed channels. */
  on(event: 'notification', listener: (message: PostgresNotification) => void): unknown;
  /** The connection failed; the client is unusable. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The connection ended. */
  on(event: 'end', listener: () => void): unknown;
  /** Closes the connection. */
  end(): Promise<void>;
}

/**
 * What the transport needs from a PGlite instance: `PGlite` itself fits. Structural, so any
 * PGlite version with this API works and PGlite is never imported.
 */
export interface PGliteNotifier {
  /** Runs a parameterized statement. */
  query(query: string, params?: unknown[]): Promise<unknown>;
  /** LISTENs on `channel` (an identifier: quoted by the transport) and calls back per payload. */
  listen(channel: string, callback: (payload: string) => void): Promise<unknown>;
  /** Removes `callback`; UNLISTENs once the channel has no callbacks left. */
  unlisten(channel: string, callback?: (payload: string) => void): Promise<void>;
}

/** Where a listening connection reports to. @internal */
export interface ListenerHandlers {
  notification(postgresChannel: string, payload: string): void;
  lost(connection: ListenerConnection, error: unknown): void;
}

/** One dedicated listening session. @internal */
export interface ListenerConnection {
  /** Whether the session is known to be dead. */
  readonly lost: boolean;
  /** LISTENs and UNLISTENs Postgres channel names (unquoted). */
  apply(listen: readonly string[], unlisten: readonly string[]): Promise<void>;
  /** A round trip proving the session is alive. */
  ping(): Promise<void>;
  /** Unlistens (best effort) and closes; bounded in time. */
  close(): Promise<void>;
}

/** The database-specific half of the transport. @internal */
export interface Driver {
  /** Whether the listening session can be lost silently and needs a keepalive. */
  readonly needsKeepalive: boolean;
  /** Opens a listening session; rejects with `signal.reason` once `signal` aborts. */
  openListener(handlers: ListenerHandlers, signal: AbortSignal): Promise<ListenerConnection>;
  /**
   * Sends the notifications in order, in one transaction. Once `signal` aborts (the deadline
   * passed; the caller no longer waits) the driver frees what the statement holds.
   */
  notify(
    channels: readonly string[],
    payloads: readonly string[],
    signal: AbortSignal,
  ): Promise<void>;
  /** Whether `error` failed one statement on a session that is still usable. */
  isStatementError(error: unknown): boolean;
  /** Releases what the driver created (not what the caller passed in). */
  close(): Promise<void>;
}

/** Settings shared by the drivers. @internal */
export interface DriverSettings {
  clock: Clock;
  logger: Logger;
  queryTimeoutMs: number;
}

const ignore = () => {};
/** At most this many LISTEN/UNLISTEN statements per round trip. */
const STATEMENTS_PER_QUERY = 500;

function notifyStatement(count: number): string {
  // Several notifications travel as one JSON array of [channel, payload] pairs rather than as two
  // text[] parameters: the driver escapes every quote of a text[] element in JavaScript, which
  // cost more than the rest of publishing for JSON payloads, while JSON.stringify escapes
  // natively. json_array_elements yields rows in array order, so pg_notify runs (and queues) in
  // publish order.
  return count === 1
    ? 'SELECT pg_notify($1, $2)'
    : 'SELECT pg_notify(n->>0, n->>1) FROM json_array_elements($1::json) AS t(n)';
}

function notifyValues(channels: readonly string[], payloads: readonly string[]): unknown[] {
  if (channels.length === 1) return [channels[0], payloads[0]];
  // A lone surrogate becomes U+FFFD, as it does when the driver encodes a text parameter;
  // escaped in JSON it would make Postgres refuse the whole statement.
  const pairs = channels.map((channel, index) => [
    channel,
    (payloads[index] as string).toWellFormed(),
  ]);
  return [JSON.stringify(pairs)];
}

// ---------------------------------------------------------------------------------------------
// pg

type PgModule = typeof import('pg');
let pgModule: Promise<PgModule> | undefined;

/** Loads `pg` on first use only, so `@chatd/pubsub` never depends on it. */
function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').catch((error: unknown) => {
    pgModule = undefined;
    throw new TransportFailedError(
      'The Postgres transport needs the optional peer dependency `pg`: npm install pg',
      { cause: error },
    );
  });
  return pgModule;
}

/** Closes the socket of a `pg.Client` at once, even mid-connect or mid-query. */
function destroySocket(client: object): void {
  // pg keeps the socket at client.connection.stream; end() alone can wait on a dead network.
  const stream = (client as { connection?: { stream?: { destroy?: () => void } } }).connection
    ?.stream;
  stream?.destroy?.();
}

class PgListenerConnection implements ListenerConnection {
  readonly #client: ListenClient;
  readonly #handlers: ListenerHandlers;
  readonly #settings: DriverSettings;
  /** Queries run one at a time: pg 8.23 deprecates queueing them on one client. */
  #tail: Promise<unknown> = Promise.resolve();
  #lost = false;
  #closing: Promise<void> | undefined;

  constructor(client: ListenClient, handlers: ListenerHandlers, settings: DriverSettings) {
    this.#client = client;
    this.#handlers = handlers;
    this.#settings = settings;
    client.on('notification', (message) => {
      handlers.notification(message.channel, message.payload ?? '');
    });
    // Always keep an error listener: an unhandled 'error' event would crash the process.
    client.on('error', (error) => this.#markLost(error));
    client.on('end', () => this.#markLost(new Error('The listening connection ended')));
  }

  get lost(): boolean {
    return this.#lost;
  }

  async apply(listen: readonly string[], unlisten: readonly string[]): Promise<void> {
    const statements = [
      ...listen.map((name) => `LISTEN ${quoteIdentifier(name)}`),
      ...unlisten.map((name) => `UNLISTEN ${quoteIdentifier(name)}`),
    ];
    for (let start = 0; start < statements.length; start += STATEMENTS_PER_QUERY) {
      await this.#query(statements.slice(start, start + STATEMENTS_PER_QUERY).join('; '));
    }
  }

  ping(): Promise<void> {
    return this.#query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Destroys the socket without a goodbye (connect abandoned). */
  destroy(): void {
    this.#lost = true;
    this.#closing ??= Promise.resolve();
    destroySocket(this.#client);
    this.#client.end().catch(ignore);
  }

  async #close(): Promise<void> {
    if (!this.#lost) await this.#query('UNLISTEN *').catch(ignore);
    this.#lost = true;
    const { clock, queryTimeoutMs } = this.#settings;
    await withDeadline(
      { clock, timeoutMs: queryTimeoutMs, onTimeout: () => new Error('end timed out') },
      () => this.#client.end(),
    ).catch(() => destroySocket(this.#client));
  }

  #query(text: string): Promise<void> {
    const { clock, queryTimeoutMs } = this.#settings;
    const run = this.#tail.then(() =>
      withDeadline(
        {
          clock,
          timeoutMs: queryTimeoutMs,
          onTimeout: () =>
            new TransportFailedError(
              `The listening connection did not answer within ${queryTimeoutMs} ms`,
              { retryable: true },
            ),
        },
        () => this.#client.query(text),
      ),
    );
    this.#tail = run.catch(ignore);
    return run.then(ignore, (error: unknown) => {
      // A timed-out session is unusable: its answer would arrive out of turn.
      if (TransportFailedError.isInstance(error, 'TRANSPORT_FAILED')) this.#markLost(error);
      throw error;
    });
  }

  #markLost(error: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    if (this.#closing === undefined) {
      this.#closing = Promise.resolve();
      // end() destroys the socket when a query is still active, so a hung session is freed.
      this.#client.end().catch(ignore);
    }
    this.#handlers.lost(this, error);
  }
}

/** Options of {@link PgDriver}. @internal */
export interface PgDriverOptions extends DriverSettings {
  connectionString: string | undefined;
  pool: NotifyPool | undefined;
  connect: (() => Promise<ListenClient>) | undefined;
  /** How long opening a connection may take, for the publishing pool the driver creates. */
  connectTimeoutMs: number;
}

/** `pg` (node-postgres) against a real Postgres server. @internal */
export class PgDriver implements Driver {
  readonly needsKeepalive = true;
  readonly #options: PgDriverOptions;
  #ownPool: Promise<OwnNotifyPool> | undefined;

  constructor(options: PgDriverOptions) {
    this.#options = options;
  }

  async openListener(handlers: ListenerHandlers, signal: AbortSignal): Promise<ListenerConnection> {
    const { connect, connectionString } = this.#options;
    if (connect !== undefined) {
      const client = await connect();
      if (signal.aborted) {
        // The caller gave up waiting (deadline or close): nobody else will end this client.
        client.end().catch(ignore);
        throw signal.reason;
      }
      return new PgListenerConnection(client, handlers, this.#options);
    }
    const { Client } = await loadPg();
    signal.throwIfAborted();
    const client = new Client({
      connectionString,
      keepAlive: true,
      // A URL's own application_name wins (pg gives the URL precedence).
      application_name: 'chatd-pubsub',
    });
    const connection = new PgListenerConnection(client, handlers, this.#options);
    // A connect to a silent network can wait for minutes: destroying the socket ends it.
    const abandon = () => connection.destroy();
    signal.addEventListener('abort', abandon, { once: true });
    try {
      await client.connect();
    } finally {
      signal.removeEventListener('abort', abandon);
    }
    return connection;
  }

  async notify(
    channels: readonly string[],
    payloads: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    const pool = this.#options.pool ?? (await this.#getOwnPool());
    const client = await pool.connect();
    if (signal.aborted) {
      client.release(); // a healthy connection that came late; the statement was given up
      throw signal.reason;
    }
    // A running statement cannot be cancelled, and one that never answers would keep its
    // connection checked out for good: a few of those and the pool has nothing left to publish
    // on. So a statement past the deadline destroys its connection, as the listening side does
    // with a session that times out; the next statement gets a fresh one.
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      client.release(error);
    };
    const destroy = () => release(asError(signal.reason));
    signal.addEventListener('abort', destroy, { once: true });
    try {
      await client.query(notifyStatement(channels.length), notifyValues(channels, payloads));
      release();
    } catch (error) {
      // A refused statement leaves a usable session; a broken connection must not be reused.
      release(this.isStatementError(error) ? undefined : asError(error));
      throw error;
    } finally {
      signal.removeEventListener('abort', destroy);
    }
  }

  isStatementError(error: unknown): boolean {
    // A session that failed one statement reports severity ERROR; FATAL/PANIC end the session.
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as { severity?: unknown }).severity === 'ERROR'
    );
  }

  async close(): Promise<void> {
    const pool = this.#ownPool;
    this.#ownPool = undefined;
    if (pool !== undefined) await (await pool.catch(() => undefined))?.end();
  }

  #getOwnPool(): Promise<OwnNotifyPool> {
    this.#ownPool ??= loadPg().then(({ Pool }) => new OwnNotifyPool(Pool, this.#options));
    return this.#ownPool;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * The publishing pool of a transport built from a URL. It knows its open connections, so that
 * ending it is bounded too: `pg.Pool.end()` closes idle connections politely and a connection
 * whose network went silent would never finish closing, keeping the process alive.
 */
class OwnNotifyPool implements NotifyPool {
  readonly #pool: import('pg').Pool;
  readonly #settings: DriverSettings;
  readonly #clients = new Set<object>();

  constructor(Pool: PgModule['Pool'], options: PgDriverOptions) {
    this.#settings = options;
    // Publishing is one statement at a time (batched); a second connection lets it go on
    // while a dead one is still being noticed.
    this.#pool = new Pool({
      connectionString: options.connectionString,
      max: 2,
      keepAlive: true,
      // A connection attempt to a silent network would otherwise hold a pool slot for minutes.
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: 'chatd-pubsub-notify',
    });
    this.#pool.on('error', (error) => {
      options.logger.warn({ err: error }, 'pubsub-postgres: an idle publishing connection failed');
    });
    this.#pool.on('connect', (client) => this.#clients.add(client));
    this.#pool.on('remove', (client) => this.#clients.delete(client));
  }

  connect(): Promise<NotifyPoolClient> {
    return this.#pool.connect();
  }

  /** Ends the pool, waiting at most `queryTimeoutMs` before destroying what is still open. */
  async end(): Promise<void> {
    const { clock, queryTimeoutMs } = this.#settings;
    try {
      await withDeadline(
        { clock, timeoutMs: queryTimeoutMs, onTimeout: () => new Error('end timed out') },
        async (signal) => {
          await this.#pool.end();
          while (this.#clients.size > 0) await once(this.#pool, 'remove', { signal });
        },
      );
    } catch {
      for (const client of this.#clients) destroySocket(client);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PGlite

class PGliteListenerConnection implements ListenerConnection {
  readonly lost = false;
  readonly #pglite: PGliteNotifier;
  readonly #handlers: ListenerHandlers;
  readonly #callbacks = new Map<string, (payload: string) => void>();

  constructor(pglite: PGliteNotifier, handlers: ListenerHandlers) {
    this.#pglite = pglite;
    this.#handlers = handlers;
  }

  async apply(listen: readonly string[], unlisten: readonly string[]): Promise<void> {
    // PGlite's own listen/unlisten keep a callback set per channel, so other users of the same
    // instance (the store) listening on a channel are unaffected by ours.
    for (const name of listen) {
      if (this.#callbacks.has(name)) continue;
      const callback = (payload: string) => this.#handlers.notification(name, payload);
      await this.#pglite.listen(quoteIdentifier(name), callback);
      this.#callbacks.set(name, callback);
    }
    for (const name of unlisten) {
      const callback = this.#callbacks.get(name);
      if (callback === undefined) continue;
      this.#callbacks.delete(name);
      await this.#pglite.unlisten(quoteIdentifier(name), callback);
    }
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.apply([], [...this.#callbacks.keys()]).catch(ignore);
  }
}

/** A PGlite instance: one in-process session, shared with its other users. @internal */
export class PGliteDriver implements Driver {
  readonly needsKeepalive = false;
  readonly #pglite: PGliteNotifier;

  constructor(pglite: PGliteNotifier) {
    this.#pglite = pglite;
  }

  openListener(handlers: ListenerHandlers, signal: AbortSignal): Promise<ListenerConnection> {
    signal.throwIfAborted();
    return Promise.resolve(new PGliteListenerConnection(this.#pglite, handlers));
  }

  async notify(channels: readonly string[], payloads: readonly string[]): Promise<void> {
    // No signal: PGlite runs in this process and has no connection to free. A statement that
    // waits (behind a transaction of the instance's other user) finishes on its own.
    await this.#pglite.query(notifyStatement(channels.length), notifyValues(channels, payloads));
  }

  isStatementError(): boolean {
    // PGlite runs in this process: there is no connection to lose.
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve(); // the PGlite instance belongs to the caller
  }
}
