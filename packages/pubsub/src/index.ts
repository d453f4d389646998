/**
 * Typed in-process events and named channels for chatd, on RxJS: the semantics of Crush's
 * `pubsub.Broker` (lossy and must-deliver publishing, per-subscriber buffers, drop counters)
 * without its weak spots, plus a transport seam for several processes.
 *
 * **What it holds.** Only transient notifications, in memory: each subscriber has its own
 * bounded FIFO buffer (core's `BoundedQueue`) of `bufferSize` events (default 64). Nothing is
 * durable; events are hints that state changed somewhere durable, so a subscriber that may have
 * missed one re-reads that state.
 *
 * **Why a buffer per subscriber.** Subscribers read at different speeds (a UI stream, a worker,
 * a metrics tap). One shared buffer would make the slowest hold back the fastest or make all
 * of them lose events; per-subscriber buffers confine the cost of a slow reader to that reader,
 * and bound memory at subscribers × bufferSize.
 *
 * **Limits and what happens at them.**
 * - A full buffer on a lossy `publish`: that subscriber misses the event; its `missed`, the
 *   broker's `dropCount` and the per-type counts grow. `publish` never waits.
 * - A full buffer on `publishMustDeliver`: the event waits for room, keeping its place in that
 *   subscriber's order, for at most `mustDeliverTimeoutMs` (default 50 ms) measured once for all
 *   full subscribers together. Still full then (or the caller's signal aborted): a must-deliver
 *   drop, counted apart from lossy ones.
 * - On a {@link PubSub} channel, a subscriber that missed a message gets `{ type: 'resync' }` as
 *   soon as it has room, and so does every subscriber after the transport reconnects.
 * - Payloads on channels must be JSON values that fit the transport (`PAYLOAD_NOT_JSON`,
 *   `PAYLOAD_TOO_LARGE`, thrown before anything is sent); channel names are non-empty strings of
 *   at most 200 characters (`INVALID_CHANNEL`).
 *
 * **Atomicity.** `publish`, `subscribe`, `cancel` and `close` are synchronous state changes: an
 * event is in every buffer with room before `publish` returns (with the in-process transport),
 * and a cancelled subscriber is gone before `cancel` returns. The only waits are must-deliver
 * waits, which live in each subscriber's own queue and never block other calls.
 *
 * **What `close()` guarantees.** New events stop at once; later publishes are no-ops and
 * `subscribe` throws (`BROKER_CLOSED`, `PUBSUB_CLOSED`). Events already buffered stay readable,
 * then each subscription ends with `'closed'`; `close()` never waits for readers. Pending
 * must-deliver waits end, and the returned promise resolves once they have (and, for PubSub,
 * once transport calls in flight settled and the transport closed). Calling it again, even
 * concurrently, returns the same promise. Every timer, listener and subscription is released.
 *
 * @packageDocumentation
 */
export {
  Broker,
  type BrokerEvent,
  type BrokerOptions,
  type EventTypeDropCounts,
  type PublishMustDeliverOptions,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionEndReason,
} from './broker/index.js';
export {
  BrokerClosedError,
  InvalidChannelError,
  PayloadNotJsonError,
  PayloadTooLargeError,
  PubSubClosedError,
  type PubSubErrorCode,
} from './errors/index.js';
export {
  type ChannelEvent,
  type ChannelMessageEvent,
  type ChannelResyncEvent,
  type ChannelSubscription,
  MAX_CHANNEL_NAME_LENGTH,
  type PublishOptions,
  PubSub,
  type PubSubOptions,
} from './pubsub/index.js';
export {
  InProcessTransport,
  type InProcessTransportOptions,
  type PubSubTransport,
  type TransportReceiver,
} from './transport/index.js';
