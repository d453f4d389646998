import {
  type Clock,
  type KnownOptions,
  realClock,
  requireKnownOptions,
  requirePositiveInteger,
  requirePositiveNumber,
} from '@chatd/core';

/** Options for {@link Broker} (and the channel brokers inside {@link PubSub}). */
export interface BrokerOptions {
  /**
   * How many events each subscriber's buffer holds before lossy publishes miss it. A subscriber
   * can ask for its own size in `subscribe`. A positive integer: zero is refused although
   * core's `BoundedQueue` supports hand-off, because a lossy publish into a hand-off buffer
   * misses every subscriber that is not already waiting, which is never what a broker caller
   * wants.
   * @default 64
   */
  bufferSize?: number;
  /**
   * How long `publishMustDeliver` waits for room in full buffers, in milliseconds, measured once
   * for all waiting subscribers together. Positive.
   * @default 50
   */
  mustDeliverTimeoutMs?: number;
  /**
   * The source of time for must-deliver timeouts; tests pass a `ManualClock`.
   * @default realClock
   */
  clock?: Clock;
}

/** Every option of {@link BrokerOptions}, for refusing a misspelt one. */
export const BROKER_OPTIONS: KnownOptions<BrokerOptions> = {
  bufferSize: true,
  mustDeliverTimeoutMs: true,
  clock: true,
};

/** Options for one subscription. */
export interface SubscribeOptions {
  /** Aborting it ends this subscription at once, like `cancel()`. Ends nothing else. */
  signal?: AbortSignal;
  /**
   * This subscriber's buffer size, in events. A positive integer.
   * @default the broker's `bufferSize`
   */
  bufferSize?: number;
}

/** Options for one must-deliver publish. */
export interface PublishMustDeliverOptions {
  /**
   * Stops the waiting. Subscribers still full at that moment miss the event, and each counts as
   * a must-deliver drop. Subscribers with room get the event even if it has already aborted.
   */
  signal?: AbortSignal;
}

/** {@link BrokerOptions} with every default filled in and every value checked. */
export interface ResolvedBrokerOptions {
  bufferSize: number;
  mustDeliverTimeoutMs: number;
  clock: Clock;
}

/** The event buffer every subscriber gets unless it asks for another size. */
export const DEFAULT_BUFFER_SIZE = 64;
/** Crush's must-deliver timeout, kept. */
export const DEFAULT_MUST_DELIVER_TIMEOUT_MS = 50;

/**
 * Fills in defaults and validates. Unlike Crush, which silently falls back to defaults (or
 * panics later on a negative size), a bad value throws here, naming the option.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for an unknown option, a non-positive or
 * non-integer size or a non-positive or infinite timeout.
 */
export function resolveBrokerOptions(options: BrokerOptions): ResolvedBrokerOptions {
  const {
    bufferSize = DEFAULT_BUFFER_SIZE,
    mustDeliverTimeoutMs = DEFAULT_MUST_DELIVER_TIMEOUT_MS,
    clock = realClock,
  } = requireKnownOptions(options, BROKER_OPTIONS) ?? {};
  return {
    bufferSize: requirePositiveInteger('bufferSize', bufferSize),
    mustDeliverTimeoutMs: requirePositiveNumber('mustDeliverTimeoutMs', mustDeliverTimeoutMs),
    clock,
  };
}
