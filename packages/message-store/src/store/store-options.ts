import { type Clock, InvalidArgumentError, type Logger } from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

/**
 * Where the store keeps its data.
 *
 * - `{ dataDir }`: embedded PGlite in a folder (the default deployment). One process at a time:
 *   a second opener gets `DATA_FOLDER_IN_USE`.
 * - `{ memory: true }`: embedded PGlite in memory, gone on close (tests). `loadDataDir` starts
 *   from a `pglite.dumpDataDir()` tarball instead of running initdb (about 1 s instead of 2.5 s).
 * - `{ url }`: a `postgres://` URL; the store creates and owns a `pg` pool.
 * - `{ pool }` / `{ pglite }`: a pool or PGlite instance the app owns; the store never closes
 *   it and never changes its global settings.
 */
export type StoreSource =
  | { dataDir: string }
  | { memory: true; loadDataDir?: Blob }
  | { url: string; maxConnections?: number }
  | { pool: Pool }
  | { pglite: PGlite };

/** The ownership lease: how often owners heartbeat and when a lease counts as stale. */
export interface LeaseOptions {
  /**
   * How often an owning worker refreshes its heartbeat rows.
   * @default 10_000
   */
  heartbeatIntervalMs?: number;
  /**
   * A heartbeat older than this (by database time) means the owner is gone: ownership hints
   * are published and other workers may acquire the chat. Must exceed the heartbeat interval.
   * @default 30_000
   */
  staleAfterMs?: number;
}

/** Size limits, checked before anything is written. */
export interface StoreLimits {
  /**
   * Largest serialised content (UTF-8 bytes of its JSON) of one message or queued message;
   * larger content is refused with `CONTENT_TOO_LARGE`.
   * @default 4 * 1024 * 1024
   */
  maxContentBytes?: number;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Where `chat:update:<id>` and `chat:ownership` are published after commit. */
  pubsub: PubSub;
  /**
   * Time source for timers; leases and deadlines themselves use database time.
   * @default realClock
   */
  clock?: Clock;
  /**
   * Receives migration progress and connection warnings; never message content.
   * @default silentLogger
   */
  logger?: Logger;
  /** The ownership lease. */
  lease?: LeaseOptions;
  /** Size limits. */
  limits?: StoreLimits;
}

/** {@link LeaseOptions} with every default applied. */
export interface ResolvedLease {
  /** See {@link LeaseOptions.heartbeatIntervalMs}. */
  readonly heartbeatIntervalMs: number;
  /** See {@link LeaseOptions.staleAfterMs}. */
  readonly staleAfterMs: number;
}

/** {@link StoreLimits} with every default applied. */
export interface ResolvedLimits {
  /** See {@link StoreLimits.maxContentBytes}. */
  readonly maxContentBytes: number;
}

/** Default lease: heartbeat every 10 s, stale after 30 s. */
export const DEFAULT_LEASE: ResolvedLease = Object.freeze({
  heartbeatIntervalMs: 10_000,
  staleAfterMs: 30_000,
});

/** Default limits: 4 MiB of content per message. */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({ maxContentBytes: 4 * 1024 * 1024 });

function positiveInteger(value: number, argument: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${value}`);
  }
  return value;
}

/** Applies defaults and validates the lease. */
export function resolveLease(lease: LeaseOptions = {}): ResolvedLease {
  const heartbeatIntervalMs = positiveInteger(
    lease.heartbeatIntervalMs ?? DEFAULT_LEASE.heartbeatIntervalMs,
    'lease.heartbeatIntervalMs',
  );
  const staleAfterMs = positiveInteger(
    lease.staleAfterMs ?? DEFAULT_LEASE.staleAfterMs,
    'lease.staleAfterMs',
  );
  if (staleAfterMs <= heartbeatIntervalMs) {
    throw new InvalidArgumentError(
      'lease.staleAfterMs',
      `must exceed lease.heartbeatIntervalMs (${heartbeatIntervalMs}), got ${staleAfterMs}`,
    );
  }
  return { heartbeatIntervalMs, staleAfterMs };
}

/** Applies defaults and validates the limits. */
export function resolveLimits(limits: StoreLimits = {}): ResolvedLimits {
  return {
    maxContentBytes: positiveInteger(
      limits.maxContentBytes ?? DEFAULT_LIMITS.maxContentBytes,
      'limits.maxContentBytes',
    ),
  };
}
