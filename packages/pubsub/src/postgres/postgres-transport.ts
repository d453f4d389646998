import {
  type Clock,
  InvalidArgumentError,
  type Logger,
  redactUrl,
  type TimerHandle,
  withDeadline,
} from '@chatd/core';
import { PayloadTooLargeError } from '../errors/pubsub-errors.js';
import type { PubSubTransport, TransportReceiver } from '../transport/transport.js';
import {
  type Driver,
  type ListenerConnection,
  type ListenerHandlers,
  PGliteDriver,
  PgDriver,
} from './drivers.js';
import { TransportFailedError } from './errors.js';
import { postgresChannelName } from './notify-channel.js';
import { NotifyPublisher } from './notify-publisher.js';
import {
  type PostgresTransportOptions,
  resolvePostgresTransportOptions,
} from './postgres-transport-options.js';

/**
 * The largest payload Postgres NOTIFY carries: it must be shorter than 8000 bytes. The transport
 * adds no envelope (channel names are mapped locally), so this is also its `maxPayloadBytes`.
 */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

interface Waiter {
  readonly kind: 'listen' | 'unlisten';
  readonly channel: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const ignore = () => {};

/**
 * A {@link PubSubTransport} over Postgres LISTEN/NOTIFY, so several chatd processes sharing one
 * Postgres exchange channel messages, or over PGlite's `listen` API within one process.
 *
 * - **One dedicated listening connection** per transport, opened on the first `listen` and kept
 *   until `close()`. Channels are LISTENed when PubSub first listens and UNLISTENed after it
 *   unlistens; calls take effect in call order (the wanted set changes synchronously; one
 *   worker brings the session in line with it).
 * - **Publishing** runs `pg_notify` with parameters on a connection checked out of the pool,
 *   one statement at a time so notifications keep publish order; messages queued meanwhile go
 *   out together in the next statement. A statement past `queryTimeoutMs` destroys its
 *   connection, as a listening session that times out is replaced: the next one gets a fresh
 *   connection.
 * - **Loss**: an `error`/`end` of the connection, a failed statement, or a keepalive that goes
 *   unanswered for `queryTimeoutMs` means the connection is lost. The transport reconnects
 *   (first attempt at once, then with capped exponential backoff on the clock), LISTENs every
 *   channel again and then calls `receiver.reconnected(channel)` for each, because
 *   notifications sent in the gap are lost; PubSub turns that into a `resync` event. While
 *   reconnecting, `listen` resolves at once: the channel is LISTENed on reconnect and reported
 *   the same way.
 * - **The first connection** must succeed: if it fails, the pending `listen` calls reject
 *   (`TRANSPORT_FAILED`), so a wrong URL or password surfaces in `subscription.ready`.
 *
 * @example
 * ```ts
 * import { PubSub } from '@chatd/pubsub';
 * import { PostgresTransport } from '@chatd/pubsub/postgres';
 *
 * await using pubsub = new PubSub({
 *   transport: new PostgresTransport({ connectionString: process.env.DATABASE_URL, logger }),
 *   logger,
 * });
 * ```
 */
export class PostgresTransport implements PubSubTransport, AsyncDisposable {
  /** The largest message carried, in UTF-8 bytes: {@link MAX_NOTIFY_PAYLOAD_BYTES}. */
  readonly maxPayloadBytes = MAX_NOTIFY_PAYLOAD_BYTES;
  readonly #driver: Driver;
  readonly #publisher: NotifyPublisher;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #keepaliveIntervalMs: number;
  readonly #connectTimeoutMs: number;
  readonly #reconnectDelayMs: number;
  readonly #maxReconnectDelayMs: number;
  readonly #handlers: ListenerHandlers;
  #receiver: TransportReceiver | undefined;
  #state: State = 'idle';
  /** Channels PubSub wants listened (updated synchronously by every call), to Postgres names. */
  readonly #wanted = new Map<string, string>();
  /** Postgres names of wanted channels, back to the channel, for routing notifications. */
  readonly #channelsByPostgresName = new Map<string, string>();
  /** Postgres names LISTENed on the current connection. */
  #listened = new Set<string>();
  #connection: ListenerConnection | undefined;
  #waiters: Waiter[] = [];
  #inFlight: Waiter[] = [];
  #working = false;
  /** A worker start put off until the current I/O callbacks are done (see `#enqueue`). */
  #deferredKick: NodeJS.Immediate | undefined;
  #keepaliveTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #failedAttempts = 0;
  #attemptAbort: AbortController | undefined;
  #attempt: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Checks the options; connects nothing yet (the first `listen` or `publish` does).
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when neither `pglite` nor a way to both
   * publish and listen is given, `pglite` is combined with Postgres options, a URL is not
   * `postgres://`/`postgresql://`, or a duration is not a positive finite number (or
   * `maxReconnectDelayMs` < `reconnectDelayMs`).
   */
  constructor(options: PostgresTransportOptions) {
    const resolved = resolvePostgresTransportOptions(options);
    const { database, clock, logger, queryTimeoutMs } = resolved;
    this.#clock = clock;
    this.#keepaliveIntervalMs = resolved.keepaliveIntervalMs;
    this.#connectTimeoutMs = resolved.connectTimeoutMs;
    this.#reconnectDelayMs = resolved.reconnectDelayMs;
    this.#maxReconnectDelayMs = resolved.maxReconnectDelayMs;
    if ('pglite' in database) {
      this.#logger = logger.child({ component: 'pubsub-postgres', database: 'pglite' });
      this.#driver = new PGliteDriver(database.pglite);
    } else {
      const { connectionString } = database;
      this.#logger = logger.child({
        component: 'pubsub-postgres',
        ...(connectionString === undefined ? {} : { url: redactUrl(connectionString) }),
      });
      this.#driver = new PgDriver({
        ...database,
        clock,
        logger: this.#logger,
        queryTimeoutMs,
        connectTimeoutMs: resolved.connectTimeoutMs,
      });
    }
    this.#publisher = new NotifyPublisher({
      send: (channels, payloads, signal) => this.#driver.notify(channels, payloads, signal),
      clock,
      timeoutMs: queryTimeoutMs,
    });
    this.#handlers = {
      notification: (postgresChannel, payload) => this.#notification(postgresChannel, payload),
      lost: (connection, error) => this.#lost(connection, error),
    };
  }

  /**
   * Sets where deliveries and reconnect reports go; called once, by the PubSub constructor.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when a receiver is already attached.
   */
  attach(receiver: TransportReceiver): void {
    if (this.#receiver !== undefined || this.#state === 'closed') {
      throw new InvalidArgumentError('receiver', 'this transport already serves a PubSub');
    }
    this.#receiver = receiver;
  }

  /**
   * LISTENs on `channel` (its Postgres name, see {@link postgresChannelName}). Resolves once
   * the LISTEN is in effect; while reconnecting, at once (see the class notes). A no-op after
   * close.
   * @throws TransportFailedError `TRANSPORT_FAILED` (as a rejection) when the first connection
   * could not be opened or Postgres refused the LISTEN; the channel is then not listened.
   */
  listen(channel: string): Promise<void> {
    if (this.#state === 'closed') return RESOLVED;
    const postgresName = postgresChannelName(channel);
    this.#wanted.set(channel, postgresName);
    this.#channelsByPostgresName.set(postgresName, channel);
    return this.#enqueue('listen', channel);
  }

  /**
   * Stops delivering `channel` at once, and UNLISTENs it. A no-op for a channel that is not
   * listened, and after close.
   */
  unlisten(channel: string): Promise<void> {
    const postgresName = this.#wanted.get(channel);
    if (postgresName === undefined || this.#state === 'closed') return RESOLVED;
    this.#wanted.delete(channel);
    this.#channelsByPostgresName.delete(postgresName);
    if (this.#state === 'idle') return RESOLVED;
    return this.#enqueue('unlisten', channel);
  }

  /**
   * Sends `payload` with `pg_notify` (parameterized). Resolves once the NOTIFY committed.
   * @throws PayloadTooLargeError `PAYLOAD_TOO_LARGE` when `payload` is over
   * {@link MAX_NOTIFY_PAYLOAD_BYTES} UTF-8 bytes; nothing is sent.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `payload` contains a NUL character,
   * which Postgres text cannot hold (PubSub's JSON never does); nothing is sent.
   * @throws TransportFailedError `TRANSPORT_FAILED` when the NOTIFY failed or took longer than
   * `queryTimeoutMs` (then it may still arrive, and its connection is destroyed).
   * @throws TransportClosedError `TRANSPORT_CLOSED` after close.
   */
  publish(channel: string, payload: string): Promise<void> {
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes > this.maxPayloadBytes) {
      return Promise.reject(new PayloadTooLargeError(bytes, this.maxPayloadBytes));
    }
    if (payload.includes('\0')) {
      return Promise.reject(
        new InvalidArgumentError('payload', 'must not contain NUL characters (Postgres text)'),
      );
    }
    return this.#publisher.publish(postgresChannelName(channel), payload);
  }

  /**
   * Stops delivering at once, refuses queued publishes (`TRANSPORT_CLOSED`), waits for the
   * NOTIFY in flight (at most `queryTimeoutMs`), ends a pending connection attempt and the
   * reconnect backoff, UNLISTENs and closes the listening connection, and ends the pool it
   * created (never one passed in, nor the PGlite instance). Each step waits at most
   * `queryTimeoutMs`; a connection that has not closed by then is destroyed. No timers remain.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Calls {@link PostgresTransport.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#state = 'closed';
    clearImmediate(this.#deferredKick);
    this.#deferredKick = undefined;
    this.#receiver = undefined;
    this.#keepaliveTimer?.cancel();
    this.#keepaliveTimer = undefined;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = undefined;
    this.#attemptAbort?.abort(new TransportFailedError('The transport was closed'));
    this.#settleWaiters();
    this.#wanted.clear();
    this.#channelsByPostgresName.clear();
    await this.#publisher.close();
    await this.#attempt?.catch(ignore);
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
    await this.#driver.close();
  }

  #enqueue(kind: Waiter['kind'], channel: string): Promise<void> {
    // While reconnecting, the wanted set is what the next connection LISTENs, and each channel
    // is then reported as reconnected: nothing to wait for.
    if (this.#state === 'reconnecting') return RESOLVED;
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ kind, channel, resolve, reject });
      this.#startWork();
    });
  }

  /**
   * Starts the worker for the waiters: at once when a LISTEN waits, otherwise once the
   * callbacks of the moment are done. Delivery of an unlistened channel stopped already, so its
   * UNLISTEN is housekeeping; sent right away, it would go out ahead of what the caller does
   * next (a stream that just ended closing its HTTP response, say).
   */
  #startWork(): void {
    if (this.#waiters.some((waiter) => waiter.kind === 'listen')) {
      this.#kick();
    } else if (this.#waiters.length > 0) {
      this.#deferredKick ??= setImmediate(() => {
        this.#deferredKick = undefined;
        this.#kick();
      });
    }
  }

  /** Starts the worker unless it runs; it drains the waiters, one pass at a time. */
  #kick(): void {
    if (this.#working) return;
    this.#working = true;
    void this.#work().finally(() => {
      this.#working = false;
      this.#startWork();
    });
  }

  async #work(): Promise<void> {
    while (this.#waiters.length > 0) {
      if (this.#state === 'closed' || this.#state === 'reconnecting') {
        this.#settleWaiters();
        return;
      }
      if (this.#state === 'idle') {
        try {
          await this.#connectFirst();
        } catch (error) {
          // After close() the waiters are settled already and the abort is no failure.
          if (this.#isClosed()) return;
          this.#failListens(this.#waiters.splice(0), error, 'could not connect to Postgres');
        }
        continue;
      }
      const connection = this.#connection;
      if (connection === undefined) return; // unreachable: 'connected' always has one
      const batch = this.#waiters.splice(0);
      this.#inFlight = batch;
      try {
        await this.#sync(connection, this.#listened, false);
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        if (connection !== this.#connection) {
          // Lost meanwhile: the reconnect LISTENs the wanted set and reports every channel.
          for (const waiter of batch) waiter.resolve();
        } else if (this.#driver.isStatementError(error)) {
          this.#failListens(batch, error, 'Postgres refused LISTEN');
        } else {
          this.#lost(connection, error);
          for (const waiter of batch) waiter.resolve();
        }
      } finally {
        this.#inFlight = [];
      }
    }
  }

  /**
   * Brings `listened` (what `connection` LISTENs) in line with the wanted set. With `untilStable`
   * it repeats until no call changed the wanted set meanwhile (reconnect, where calls do not
   * wait); otherwise one pass serves the calls made before it started.
   */
  async #sync(
    connection: ListenerConnection,
    listened: Set<string>,
    untilStable: boolean,
  ): Promise<void> {
    for (;;) {
      const wanted = new Set(this.#wanted.values());
      const toListen = [...wanted].filter((name) => !listened.has(name));
      const toUnlisten = [...listened].filter((name) => !wanted.has(name));
      if (toListen.length === 0 && toUnlisten.length === 0) return;
      await connection.apply(toListen, toUnlisten);
      for (const name of toListen) listened.add(name);
      for (const name of toUnlisten) listened.delete(name);
      if (!untilStable) return;
    }
  }

  /** Rejects the listens of `waiters` (those channels are not listened); unlistens succeed. */
  #failListens(waiters: Waiter[], error: unknown, what: string): void {
    const failure = TransportFailedError.isInstance(error)
      ? error
      : new TransportFailedError(
          `${what}: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
            retryable: !this.#driver.isStatementError(error) && !refusesSession(error),
          },
        );
    if (waiters.some((waiter) => waiter.kind === 'listen')) {
      this.#logger.error({ err: failure }, `pubsub-postgres: ${what}`);
    }
    for (const waiter of waiters) {
      if (waiter.kind === 'unlisten') {
        waiter.resolve();
        continue;
      }
      const listenedAgainLater = this.#waiters.some(
        (later) => later.kind === 'listen' && later.channel === waiter.channel,
      );
      const postgresName = this.#wanted.get(waiter.channel);
      if (!listenedAgainLater && postgresName !== undefined) {
        this.#wanted.delete(waiter.channel);
        this.#channelsByPostgresName.delete(postgresName);
      }
      waiter.reject(failure);
    }
  }

  #settleWaiters(): void {
    const waiters = [...this.#inFlight, ...this.#waiters.splice(0)];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Opens a listening connection with `connectTimeoutMs` on the clock; `close()` aborts it. */
  async #open(): Promise<ListenerConnection> {
    const abort = new AbortController();
    this.#attemptAbort = abort;
    const timeoutMs = this.#connectTimeoutMs;
    try {
      return await withDeadline(
        {
          clock: this.#clock,
          timeoutMs,
          signal: abort.signal,
          onTimeout: () =>
            new TransportFailedError(`Connecting did not complete within ${timeoutMs} ms`, {
              retryable: true,
            }),
        },
        (signal) => this.#driver.openListener(this.#handlers, signal),
      );
    } finally {
      if (this.#attemptAbort === abort) this.#attemptAbort = undefined;
    }
  }

  async #connectFirst(): Promise<void> {
    this.#state = 'connecting';
    const attempt = this.#open();
    this.#attempt = attempt.then(ignore, ignore);
    let connection: ListenerConnection;
    try {
      connection = await attempt;
    } catch (error) {
      if (this.#state === 'connecting') this.#state = 'idle';
      throw error;
    } finally {
      this.#attempt = undefined;
    }
    if (this.#state !== 'connecting' || connection.lost) {
      await connection.close();
      if (this.#state === 'connecting') this.#state = 'idle';
      throw new TransportFailedError('The listening connection was lost while opening', {
        retryable: true,
      });
    }
    this.#adopt(connection, new Set());
    this.#logger.info('pubsub-postgres: listening connection open');
  }

  #adopt(connection: ListenerConnection, listened: Set<string>): void {
    this.#connection = connection;
    this.#listened = listened;
    this.#state = 'connected';
    this.#failedAttempts = 0;
    this.#scheduleKeepalive(connection);
  }

  #scheduleKeepalive(connection: ListenerConnection): void {
    if (!this.#driver.needsKeepalive) return;
    this.#keepaliveTimer = this.#clock
      .setTimeout(() => {
        this.#keepaliveTimer = undefined;
        connection.ping().then(
          () => {
            if (connection === this.#connection) this.#scheduleKeepalive(connection);
          },
          (error: unknown) => this.#lost(connection, error),
        );
      }, this.#keepaliveIntervalMs)
      .unref();
  }

  #lost(connection: ListenerConnection, error: unknown): void {
    if (connection !== this.#connection || this.#state !== 'connected') return;
    this.#connection = undefined;
    this.#listened = new Set();
    this.#keepaliveTimer?.cancel();
    this.#keepaliveTimer = undefined;
    void connection.close().catch(ignore);
    this.#settleWaiters();
    if (this.#wanted.size === 0) {
      this.#state = 'idle';
      this.#logger.warn({ err: error }, 'pubsub-postgres: listening connection lost');
      return;
    }
    this.#state = 'reconnecting';
    this.#logger.warn(
      { err: error, channels: this.#wanted.size },
      'pubsub-postgres: listening connection lost; reconnecting',
    );
    this.#failedAttempts = 0;
    this.#startReconnect();
  }

  #startReconnect(): void {
    this.#reconnectTimer = undefined;
    const attempt = this.#reconnect();
    this.#attempt = attempt;
    void attempt.finally(() => {
      if (this.#attempt === attempt) this.#attempt = undefined;
    });
  }

  async #reconnect(): Promise<void> {
    let connection: ListenerConnection | undefined;
    try {
      connection = await this.#open();
      const listened = new Set<string>();
      await this.#sync(connection, listened, true);
      if (this.#state !== 'reconnecting') {
        await connection.close();
        return;
      }
      if (connection.lost) throw new Error('The listening connection was lost while re-listening');
      this.#adopt(connection, listened);
    } catch (error) {
      if (connection !== undefined) void connection.close().catch(ignore);
      if (this.#state !== 'reconnecting') return;
      this.#failedAttempts += 1;
      const delayMs = Math.min(
        this.#maxReconnectDelayMs,
        this.#reconnectDelayMs * 2 ** (this.#failedAttempts - 1),
      );
      this.#logger.warn(
        { err: error, attempt: this.#failedAttempts, retryInMs: delayMs },
        'pubsub-postgres: reconnect failed',
      );
      this.#reconnectTimer = this.#clock.setTimeout(() => this.#startReconnect(), delayMs).unref();
      return;
    }
    const channels = [...this.#wanted.keys()];
    this.#logger.info({ channels: channels.length }, 'pubsub-postgres: reconnected');
    // Notifications sent while disconnected are lost: every listened channel resyncs.
    for (const channel of channels) this.#receiver?.reconnected(channel);
    if (this.#waiters.length > 0) this.#kick();
  }

  /** Read through a method: TypeScript would keep a narrowed `#state` across an await. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #notification(postgresChannel: string, payload: string): void {
    if (this.#state === 'closed') return;
    const channel = this.#channelsByPostgresName.get(postgresChannel);
    if (channel === undefined) return; // not (or no longer) listened
    this.#receiver?.deliver(channel, payload);
  }
}

/**
 * Whether Postgres refused the session itself for a reason trying again cannot fix: a wrong
 * password or role (SQLSTATE class 28) or a database that does not exist (class 3D).
 */
function refusesSession(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code.startsWith('3D'));
}
