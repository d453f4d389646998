import type { Logger } from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import type { Database } from '../db/database.js';
import type { DraftWriter } from '../drafts/draft-writer.js';
import type { RecentChats } from '../state/recent-chats.js';
import type { InputSchemas } from '../validation/inputs.js';
import type { ResolvedLease, ResolvedLimits } from './store-options.js';

/** Everything the store's functions need, passed explicitly so each is testable on its own. */
export interface StoreContext {
  readonly db: Database;
  /** Where post-commit notifications go. */
  readonly pubsub: PubSub;
  /** The store's logger (`component: 'message-store'`). */
  readonly logger: Logger;
  readonly lease: ResolvedLease;
  readonly limits: ResolvedLimits;
  /** The input schemas, built for these limits. */
  readonly inputs: InputSchemas;
  /** Writes the parts of in-flight episodes. */
  readonly drafts: DraftWriter;
  /** Whether no other store uses the database (see `MessageStore.exclusive`). */
  readonly exclusive: boolean;
  /** The chats as this store's commits last left them, for pipelined updates. */
  readonly recentChats: RecentChats;
}
