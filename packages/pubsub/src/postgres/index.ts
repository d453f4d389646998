/**
 * `@chatd/pubsub/postgres`: a `PubSubTransport` over Postgres LISTEN/NOTIFY, so several
 * chatd processes sharing one Postgres exchange `PubSub` channel messages and the only
 * distributed engine a deployment needs is Postgres. It also runs on PGlite's `listen` API
 * within one process (tests, single-process installs).
 *
 * **Drivers are optional peers, loaded lazily.** Nothing here imports `pg` or PGlite at module
 * level: `pg` is loaded with `import()` the first time a transport built from a URL connects,
 * and a PGlite instance (or a `pg.Pool` and `connect` function) is passed in by the caller. The
 * root entry `@chatd/pubsub` never loads this subpath, so the core of pubsub has no database
 * dependency.
 *
 * **What it holds.** One dedicated listening connection per transport (never a pooled one: a
 * pooled client would carry its LISTENs to the next borrower), the set of channels PubSub
 * wants listened, and a queue of NOTIFYs waiting for the statement in flight. Nothing durable:
 * notifications are hints, and a receiver that may have missed some gets a `resync`.
 *
 * **Channel names.** Postgres channel names are identifiers of at most 63 bytes. Names that fit
 * (and have no `"`, NUL or leading `#`) are used as they are; others map to a stable short form
 * (`#` + 128 bits of SHA-256 + a readable head, see {@link postgresChannelName}), the same in
 * every process. Names are always quoted as identifiers for LISTEN/UNLISTEN and passed as
 * parameters to `pg_notify`, never interpolated unescaped.
 *
 * **Limits and what happens at them.**
 * - Payloads must be shorter than 8000 UTF-8 bytes (Postgres' NOTIFY limit; the transport adds
 *   no envelope): `maxPayloadBytes` is 7999, PubSub and `publish` refuse bigger ones with
 *   `PAYLOAD_TOO_LARGE` before anything is sent. Send a reference (an id to read) instead.
 * - NOTIFYs go out one statement at a time to keep publish order; what queues meanwhile is sent
 *   in the next statement (up to 1000 messages), so throughput grows with load instead of
 *   being capped at one round trip per message. A NOTIFY that takes longer than
 *   `queryTimeoutMs` rejects (`TRANSPORT_FAILED`) but may still arrive, possibly after later
 *   ones. Its connection is destroyed (a running statement cannot be cancelled, and a hung one
 *   would keep its connection checked out for good), so hung statements never use up the pool:
 *   the next NOTIFY runs on a fresh connection.
 * - A lost listening connection (server restart, `pg_terminate_backend`, network drop) is
 *   noticed from the driver's `error`/`end` events, or by a keepalive `SELECT 1` every
 *   `keepaliveIntervalMs` (5 s) that must answer within `queryTimeoutMs` (5 s). The transport
 *   reconnects (at once, then after 100 ms doubling up to 5 s, on the clock), LISTENs every
 *   channel again and then reports each with `reconnected(channel)`: PubSub sends `resync` to
 *   its subscribers, because notifications sent in the gap are lost.
 * - If the very first connection fails, `listen` rejects (`TRANSPORT_FAILED`), so a wrong URL
 *   shows up in `subscription.ready` instead of being retried forever.
 *
 * **Atomicity and ordering.** `listen`/`unlisten` change the wanted set synchronously, so they
 * take effect in call order and delivery stops at once on `unlisten`; one worker then brings
 * the session in line with the set (a LISTEN at once, an UNLISTEN alone once the callbacks of
 * the moment are done, so it never goes out ahead of the caller's next step). Notifications of
 * one transport arrive in publish order: NOTIFYs of one statement are queued in order and
 * statements commit one after another. On PGlite, publishing waits for a transaction opened
 * with `pglite.transaction()` to finish (it shares the one session).
 *
 * **What `close()` guarantees.** Delivery stops at once; queued publishes reject
 * (`TRANSPORT_CLOSED`); the NOTIFY in flight is awaited (bounded by `queryTimeoutMs`); a
 * pending connection attempt and the reconnect backoff end; the session UNLISTENs and closes;
 * a pool the transport created is ended. Each wait is bounded by `queryTimeoutMs`, and a
 * connection that does not close in time (a silent network) is destroyed. Connections passed
 * in (`pool`, `pglite`) stay open. No timer is left. Idempotent.
 *
 * @packageDocumentation
 */

export type {
  ListenClient,
  NotifyPool,
  NotifyPoolClient,
  PGliteNotifier,
  PostgresNotification,
} from './drivers.js';
export {
  type PostgresTransportErrorCode,
  TransportClosedError,
  TransportFailedError,
} from './errors.js';
export { MAX_POSTGRES_CHANNEL_BYTES, postgresChannelName } from './notify-channel.js';
export { MAX_NOTIFY_PAYLOAD_BYTES, PostgresTransport } from './postgres-transport.js';
export type { PostgresTransportOptions } from './postgres-transport-options.js';
