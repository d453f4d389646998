import type { Clock, Logger } from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import type { DriverKind } from '../db/connection.js';
import type { Db } from '../db/types.js';
import type { ResolvedLease, ResolvedLimits } from './store-options.js';

/**
 * Everything the store's functions (queries and the state machine) need, passed explicitly so
 * each function is testable on its own.
 *
 * @internal
 */
export interface StoreContext {
  /** Root database handle. Inside a transaction use the transaction handle instead. */
  readonly db: Db;
  /** The driver behind `db`. */
  readonly driver: DriverKind;
  /** Where post-commit notifications go. */
  readonly pubsub: PubSub;
  /** Time source for timers. */
  readonly clock: Clock;
  /** The store's logger (`component: 'message-store'`). */
  readonly logger: Logger;
  /** The ownership lease. */
  readonly lease: ResolvedLease;
  /** Size limits. */
  readonly limits: ResolvedLimits;
}
