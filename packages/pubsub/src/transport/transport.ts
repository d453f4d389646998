/**
 * Where a transport hands what it receives. {@link PubSub} attaches one in its constructor.
 */
export interface TransportReceiver {
  /**
   * A message arrived on a channel this transport listens to, exactly as published (any
   * process, including this one). Called in publish order per channel for one publisher.
   */
  deliver(channel: string, payload: string): void;
  /**
   * The transport lost its connection and is listening on `channel` again: messages published
   * meanwhile may be lost. PubSub sends `resync` to the channel's subscribers. Called once per
   * listened channel after each reconnect.
   */
  reconnected(channel: string): void;
}

/**
 * Carries serialized messages between the {@link PubSub} instances of one or many processes
 * (Postgres LISTEN/NOTIFY in `@chatd/pubsub/postgres`, {@link InProcessTransport} by default).
 *
 * PubSub does the reference counting: it calls `listen` when a channel gets its first local
 * subscriber and `unlisten` when the last one leaves, so a transport sees at most one `listen`
 * per channel before the matching `unlisten`. Messages are strings; PubSub serializes payloads,
 * checks their size against {@link PubSubTransport.maxPayloadBytes}, and parses what arrives.
 *
 * Contract (checked by the shared transport test suite):
 * - Every message published through any transport on the same medium while a channel is
 *   listened reaches {@link TransportReceiver.deliver}, including messages this transport
 *   published itself; or, if the connection was lost, {@link TransportReceiver.reconnected} is
 *   called for that channel once listening again.
 * - Messages of one publisher on one channel arrive in publish order.
 * - Nothing arrives on a channel that is not listened, or after `close()`.
 * - Calls take effect in the order they are made (a `listen` after an `unlisten` of the same
 *   channel leaves it listened), even while earlier calls are still pending.
 * - `publish` rejects a payload larger than `maxPayloadBytes` with `PAYLOAD_TOO_LARGE` and
 *   sends nothing.
 *
 * A transport serves one PubSub, which owns it: `PubSub.close()` calls `close()`.
 */
export interface PubSubTransport {
  /**
   * The largest message this transport carries, in UTF-8 bytes. PubSub refuses larger ones with
   * `PAYLOAD_TOO_LARGE` before sending anything.
   */
  readonly maxPayloadBytes: number;
  /**
   * Sets where deliveries and reconnect reports go. Called once, by the PubSub constructor,
   * before any other method; synchronous, so connect lazily (on the first `listen`/`publish`).
   */
  attach(receiver: TransportReceiver): void;
  /**
   * Starts delivering `channel`. Resolves once messages published from then on will be
   * delivered. Listening to a listened channel is a no-op. If it rejects, the channel is not
   * listened; PubSub ends the channel's subscriptions, whose `ready` rejects with the error.
   */
  listen(channel: string): Promise<void>;
  /** Stops delivering `channel`. Unlistening a channel that is not listened is a no-op. */
  unlisten(channel: string): Promise<void>;
  /**
   * Sends `payload` to every listener of `channel`. Resolves once the medium accepted it (e.g.
   * the NOTIFY committed); rejects if it could not be sent.
   */
  publish(channel: string, payload: string): Promise<void>;
  /** Stops all listening and releases connections. Idempotent. */
  close(): Promise<void>;
}
