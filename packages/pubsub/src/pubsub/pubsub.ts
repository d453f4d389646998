import { randomBytes } from 'node:crypto';
import type { JsonValue } from '@chatd/core';
import {
  type KnownOptions,
  type Logger,
  requireKnownOptions,
  requirePositiveInteger,
  silentLogger,
} from '@chatd/core';
import {
  BROKER_OPTIONS,
  type BrokerOptions,
  type PublishMustDeliverOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
  type SubscribeOptions,
} from '../broker/broker-options.js';
import { DropCounters } from '../broker/drop-counters.js';
import { EventFanout } from '../broker/event-fanout.js';
import type { SubscriberSlot, Subscription } from '../broker/subscription.js';
import { PayloadTooLargeError, PubSubClosedError } from '../errors/pubsub-errors.js';
import { InProcessTransport } from '../transport/in-process-transport.js';
import type { PubSubTransport } from '../transport/transport.js';
import { assertChannelName } from './channel-name-rules.js';
import { PendingEchoes } from './pending-echoes.js';
import { decodeMessage, encodeMessage, oversizeBytes, type WireMessage } from './wire-format.js';

/** A message published on a channel. */
export interface ChannelMessageEvent {
  /** Always `'message'`. */
  readonly type: 'message';
  /** The published JSON value, parsed from the transport; shared by local subscribers. */
  readonly payload: JsonValue;
}

/**
 * Messages on this channel may have been lost: re-read the source of truth. Sent after the
 * transport reconnected, and after this subscriber missed a message because its buffer was full.
 */
export interface ChannelResyncEvent {
  /** Always `'resync'`. */
  readonly type: 'resync';
}

/** What a channel subscription yields. */
export type ChannelEvent = ChannelMessageEvent | ChannelResyncEvent;

/** A subscription to one {@link PubSub} channel. */
export interface ChannelSubscription extends Subscription<ChannelEvent> {
  /**
   * Resolves once the transport listens on the channel, so messages published from then on
   * arrive. Await it before reading the state the channel reports changes of, or a change made
   * in between may go unnoticed. Rejects with the transport's error if it could not listen; the
   * subscription then ends (`'closed'`).
   */
  readonly ready: Promise<void>;
}

/** Options for one {@link PubSub.publish}. */
export interface PublishOptions {
  /**
   * Offers the message to this process's subscribers at once, before it is sent, instead of
   * when the transport delivers it back; other processes get it through the transport as
   * usual. Saves the transport's round trip (with Postgres, a NOTIFY and its delivery) when
   * the publishing process reacts to its own message, as a replica does to a change it just
   * committed.
   *
   * The price is one order for all: a local subscriber may see this message before one that
   * another process published earlier and the transport has not delivered yet. Right for
   * hints that receivers act on by re-reading state; leave it off where every process must see
   * one order.
   * @default false
   */
  localFirst?: boolean;
}

/** Options for {@link PubSub}; the broker options apply to every channel. */
export interface PubSubOptions extends BrokerOptions {
  /**
   * Carries messages between processes. Every publish goes through it and every delivery comes
   * from it (except a `localFirst` publish's, see {@link PublishOptions.localFirst}), so local
   * and remote subscribers see one order. PubSub owns it and closes it.
   * @default new InProcessTransport()
   */
  transport?: PubSubTransport;
  /**
   * Receives warnings (must-deliver drops, malformed messages) and transport failures.
   * @default silentLogger
   */
  logger?: Logger;
}

/** Every option of {@link PubSubOptions}, for refusing a misspelt one. */
const PUBSUB_OPTIONS: KnownOptions<PubSubOptions> = {
  ...BROKER_OPTIONS,
  transport: true,
  logger: true,
};

const RESYNC: ChannelResyncEvent = Object.freeze({ type: 'resync' });

interface ChannelState {
  readonly name: string;
  readonly fanout: EventFanout<ChannelEvent>;
  readonly ready: Promise<void>;
}

/**
 * Named channels of JSON messages (`chat:update:<id>`, `chat:ownership`, …), each fanned out to
 * local subscribers like a {@link Broker}, optionally across processes through a
 * {@link PubSubTransport}.
 *
 * A channel exists only while it has local subscribers: the first `subscribe` creates it and
 * makes the transport listen, the last subscriber leaving drops it and unlistens, so idle
 * channels cost nothing. Notifications are hints: a subscriber gets `{ type: 'resync' }` when
 * messages may have been lost and then re-reads its source of truth.
 *
 * @example
 * ```ts
 * await using pubsub = new PubSub({ logger });
 * const subscription = pubsub.subscribe(`chat:update:${chatId}`, { signal });
 * await subscription.ready;
 * let chat = await store.getChat(chatId);
 * for await (const event of subscription) {
 *   if (event.type === 'resync') chat = await store.getChat(chatId);
 *   else chat = applyUpdate(chat, event.payload);
 * }
 * ```
 */
export class PubSub implements AsyncDisposable {
  readonly #options: ResolvedBrokerOptions;
  readonly #transport: PubSubTransport;
  readonly #logger: Logger;
  readonly #counters = new DropCounters();
  readonly #channels = new Map<string, ChannelState>();
  readonly #pendingEchoes = new PendingEchoes();
  /** Transport calls not yet settled; close waits for them before closing the transport. */
  readonly #transportCalls = new Set<Promise<void>>();
  /** Subscribers with a `resync` waiting for room; at most one each. */
  readonly #resyncPending = new WeakSet<SubscriberSlot<ChannelEvent>>();
  /** Tells this process's must-deliver and localFirst messages apart from other processes'. */
  readonly #origin = randomBytes(9).toString('base64url');
  #sequence = 0;
  #closing: Promise<void> | undefined;

  /**
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for an unknown option, a bad `bufferSize`
   * or `mustDeliverTimeoutMs`, or a transport that already serves another PubSub.
   */
  constructor(options: PubSubOptions = {}) {
    const {
      transport = new InProcessTransport(),
      logger = silentLogger,
      ...brokerOptions
    } = requireKnownOptions(options, PUBSUB_OPTIONS) ?? {};
    this.#options = resolveBrokerOptions(brokerOptions);
    this.#transport = transport;
    this.#logger = logger.child({ component: 'pubsub' });
    transport.attach({
      deliver: (channel, payload) => this.#deliver(channel, payload),
      reconnected: (channel) => this.#reconnected(channel),
    });
  }

  /**
   * The largest message the transport carries, in UTF-8 bytes (the transport's
   * `maxPayloadBytes`). A payload is sent wrapped in a small envelope, so the largest payload
   * that fits is a little smaller. For a publisher that can tell a payload will not fit without
   * serialising it (and have `publish` refuse it with `PAYLOAD_TOO_LARGE`).
   */
  get maxPayloadBytes(): number {
    return this.#transport.maxPayloadBytes;
  }

  /** Channels with at least one local subscriber. */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Local subscribers over all channels; `0` after close. */
  get subscriberCount(): number {
    let count = 0;
    for (const channel of this.#channels.values()) count += channel.fanout.subscriberCount;
    return count;
  }

  /** Lossy deliveries missed, over all channels ever open, one per subscriber missed. */
  get dropCount(): number {
    return this.#counters.dropped;
  }

  /** Must-deliver deliveries given up, over all channels ever open, one per subscriber missed. */
  get mustDeliverDropCount(): number {
    return this.#counters.mustDeliverDropped;
  }

  /**
   * Subscribes to `channel`, creating it (and listening on the transport) if this is its first
   * local subscriber.
   * @throws InvalidChannelError `INVALID_CHANNEL` for a name that is empty, too long or not a
   * string.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `bufferSize` is not a positive integer.
   * @throws PubSubClosedError `PUBSUB_CLOSED` after {@link PubSub.close}.
   */
  subscribe(
    channel: string,
    { signal, bufferSize = this.#options.bufferSize }: SubscribeOptions = {},
  ): ChannelSubscription {
    assertChannelName(channel);
    requirePositiveInteger('bufferSize', bufferSize);
    if (this.#closing) throw new PubSubClosedError();
    const state = this.#channels.get(channel) ?? this.#openChannel(channel);
    return state.fanout.subscribe({ capacity: bufferSize, signal, ready: state.ready });
  }

  /**
   * Publishes `payload` on `channel` without waiting: each receiving process offers it to its
   * subscribers lossily. A send failure is logged, not thrown. A no-op after close. With
   * `localFirst`, this process's subscribers have it before `publish` returns (see
   * {@link PublishOptions.localFirst}).
   * @throws InvalidChannelError `INVALID_CHANNEL` for a bad channel name.
   * @throws PayloadNotJsonError `PAYLOAD_NOT_JSON` when the payload is not a JSON value.
   * @throws PayloadTooLargeError `PAYLOAD_TOO_LARGE` when the serialized message is larger than
   * the transport carries. Nothing is sent in any of these cases.
   */
  publish(channel: string, payload: JsonValue, { localFirst = false }: PublishOptions = {}): void {
    assertChannelName(channel);
    const message = this.#serialize(payload, localFirst ? { deliveredBy: this.#origin } : {});
    if (this.#closing) return;
    // Parsed from the wire text, as a delivery from the transport would be: subscribers never
    // share the publisher's object.
    if (localFirst) this.#fanOut(channel, decodeMessage(message) as WireMessage);
    this.#callTransport(() => this.#transport.publish(channel, message)).catch((error) => {
      this.#logger.error({ channel, err: error }, 'pubsub: publish failed');
    });
  }

  /**
   * Publishes `payload` on `channel`; each receiving process offers it to its subscribers the
   * must-deliver way (see {@link Broker.publishMustDeliver}).
   *
   * Resolves once the transport accepted the message and, if this process has subscribers on
   * the channel, once the transport delivered it back and every local subscriber took it or
   * timed out (`mustDeliverTimeoutMs`; a miss counts in `mustDeliverDropCount` and sends that
   * subscriber a `resync`). It also resolves, without waiting further, when the message can no
   * longer come back (the channel is dropped, the transport reconnects, PubSub closes) or
   * `signal` aborts; when it arrives after an abort, full subscribers miss it instead of being
   * waited for. Remote processes are never waited for. Resolves at once after close.
   * @throws InvalidChannelError `INVALID_CHANNEL`, PayloadNotJsonError `PAYLOAD_NOT_JSON`,
   * PayloadTooLargeError `PAYLOAD_TOO_LARGE` (as a rejection; nothing is sent), or the
   * transport's error if sending failed.
   */
  async publishMustDeliver(
    channel: string,
    payload: JsonValue,
    { signal }: PublishMustDeliverOptions = {},
  ): Promise<void> {
    assertChannelName(channel);
    this.#sequence += 1;
    const id = `${this.#origin}:${this.#sequence}`;
    const message = this.#serialize(payload, { mustDeliver: id });
    if (this.#closing) return;
    // Registered before sending: the in-process transport delivers inside `publish`.
    const echo = this.#channels.has(channel)
      ? this.#pendingEchoes.wait(id, channel, signal)
      : undefined;
    try {
      await this.#callTransport(() => this.#transport.publish(channel, message));
    } catch (error) {
      this.#pendingEchoes.forget(id);
      throw error;
    }
    await echo;
  }

  /**
   * Closes every channel (buffered messages stay readable, then subscriptions end with
   * `'closed'`), ends pending must-deliver waits, waits for transport calls in flight, then
   * closes the transport. Later publishes are no-ops and `subscribe` throws `PUBSUB_CLOSED`.
   * Does not wait for readers. Idempotent, also when called concurrently.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Calls {@link PubSub.close}, so `await using pubsub = new PubSub()` works. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    this.#pendingEchoes.releaseAll();
    await Promise.all(channels.map((channel) => channel.fanout.close()));
    await Promise.allSettled(this.#transportCalls);
    await this.#transport.close();
  }

  #serialize(payload: JsonValue, tags: Omit<WireMessage, 'payload'>): string {
    const message = encodeMessage(payload, tags);
    const maxBytes = this.#transport.maxPayloadBytes;
    const bytes = oversizeBytes(message, maxBytes);
    if (bytes !== undefined) throw new PayloadTooLargeError(bytes, maxBytes);
    return message;
  }

  #openChannel(name: string): ChannelState {
    const fanout = new EventFanout<ChannelEvent>({
      mustDeliverTimeoutMs: this.#options.mustDeliverTimeoutMs,
      clock: this.#options.clock,
      counters: this.#counters,
      onMiss: (slot) => this.#requestResync(slot),
      onIdle: () => this.#dropChannel(state),
    });
    const ready = this.#callTransport(() => this.#transport.listen(name));
    const state: ChannelState = { name, fanout, ready };
    this.#channels.set(name, state);
    ready.catch((error: unknown) => this.#listenFailed(state, error));
    return state;
  }

  /** The last local subscriber left: nothing to deliver to, so stop listening. */
  #dropChannel(state: ChannelState): void {
    if (this.#channels.get(state.name) !== state) return;
    this.#channels.delete(state.name);
    void state.fanout.close();
    this.#pendingEchoes.releaseChannel(state.name);
    this.#callTransport(() => this.#transport.unlisten(state.name)).catch((error) => {
      this.#logger.warn({ channel: state.name, err: error }, 'pubsub: unlisten failed');
    });
  }

  /**
   * The transport could not listen, so the channel would stay silent: end its subscriptions
   * (their `ready` rejects) so subscribers notice and can subscribe again.
   */
  #listenFailed(state: ChannelState, error: unknown): void {
    this.#logger.error({ channel: state.name, err: error }, 'pubsub: listen failed');
    if (this.#channels.get(state.name) !== state) return;
    this.#channels.delete(state.name);
    this.#pendingEchoes.releaseChannel(state.name);
    void state.fanout.close();
  }

  #deliver(channel: string, text: string): void {
    const state = this.#channels.get(channel);
    if (state === undefined) return; // dropped since; nobody here is interested
    const message = decodeMessage(text);
    if (message === undefined) {
      this.#logger.warn({ channel, length: text.length }, 'pubsub: ignored a malformed message');
      return;
    }
    // Our own localFirst message: its local subscribers have had it.
    if (message.deliveredBy === this.#origin) return;
    if (message.mustDeliver === undefined) {
      this.#fanOut(channel, message);
      return;
    }
    const event: ChannelMessageEvent = { type: 'message', payload: message.payload };
    // Our own message coming back resolves its publisher once the local fan-out is done.
    const echo = this.#pendingEchoes.take(message.mustDeliver);
    void state.fanout.publishMustDeliver(event, echo?.signal).then((missed) => {
      if (missed > 0) {
        this.#logger.warn({ channel, missed }, 'pubsub: must-deliver message missed subscribers');
      }
      echo?.resolve();
    });
  }

  /** Offers a lossy message to the channel's local subscribers, if it has any. */
  #fanOut(channel: string, message: WireMessage): void {
    this.#channels.get(channel)?.fanout.publish({ type: 'message', payload: message.payload });
  }

  #reconnected(channel: string): void {
    const state = this.#channels.get(channel);
    if (state === undefined) return;
    this.#logger.info({ channel }, 'pubsub: transport reconnected; subscribers resync');
    this.#pendingEchoes.releaseChannel(channel);
    for (const slot of state.fanout.subscribers()) this.#requestResync(slot);
  }

  /**
   * Queues a `resync` for a subscriber that may have missed messages, behind what it already
   * has (so it re-reads after seeing everything that did arrive). If its buffer is full, the
   * resync waits for room with no deadline; later messages that miss it meanwhile are covered
   * by that same resync, so one pending resync per subscriber is enough and memory stays
   * bounded.
   */
  #requestResync(slot: SubscriberSlot<ChannelEvent>): void {
    if (this.#resyncPending.has(slot)) return;
    if (slot.queue.push(RESYNC)) return;
    this.#resyncPending.add(slot);
    // The flag clears in the reaction to the admission, which runs before the reader can get
    // to the resync; a miss before that is still covered by the unread resync.
    void slot.queue.pushWhenReady(RESYNC).then(() => this.#resyncPending.delete(slot));
  }

  /** Calls the transport, turning a synchronous throw into a rejection, and tracks the call. */
  #callTransport(call: () => Promise<void>): Promise<void> {
    let promise: Promise<void>;
    try {
      promise = call();
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#transportCalls.add(promise);
    const untrack = () => {
      this.#transportCalls.delete(promise);
    };
    promise.then(untrack, untrack);
    return promise;
  }
}
