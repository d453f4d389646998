import { realClock, silentLogger } from '@chatd/core';
import type { Database } from '../db/database.js';
import { openPglite } from '../db/open-pglite.js';
import { openPostgres } from '../db/open-postgres.js';
import { DraftWriter } from '../drafts/draft-writer.js';
import { migrate } from '../migrations/migrator.js';
import { RecentChats } from '../state/recent-chats.js';
import { createInputSchemas } from '../validation/inputs.js';
import { MessageStore } from './message-store.js';
import {
  type OpenStoreOptions,
  type ParsedSource,
  parseOpenStoreArguments,
  type StoreSource,
} from './store-options.js';

/** Opens the database of a parsed source (exported for the package's own tests). */
export function connect(
  source: ParsedSource,
  logger: OpenStoreOptions['logger'],
): Promise<Database> {
  return source.kind === 'url' || source.kind === 'pool'
    ? openPostgres(source, logger ?? silentLogger)
    : openPglite(source, logger ?? silentLogger);
}

/**
 * Opens the message store: connects, brings the schema up to date (under a Postgres advisory
 * lock, so concurrent openers are safe) and returns the store.
 *
 * @example
 * ```ts
 * const pubsub = new PubSub();
 * const store = await openStore({ dataDir: './data/chatd' }, { pubsub });
 * try {
 *   // …
 * } finally {
 *   await store.close();
 * }
 * ```
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed source or option.
 * @throws DataFolderInUseError `DATA_FOLDER_IN_USE` when another process holds the data folder.
 * @throws SchemaTooNewError `SCHEMA_TOO_NEW` when a newer version migrated the database.
 */
export async function openStore(
  source: StoreSource,
  options: OpenStoreOptions,
): Promise<MessageStore> {
  const parsed = parseOpenStoreArguments(source, options);
  const logger = (parsed.logger ?? silentLogger).child({ component: 'message-store' });
  // No other store can reach a database this store opened itself: its data folder is locked
  // to this process, and an in-memory one exists only here. An app's PGlite, when it says so.
  const exclusive =
    parsed.source.kind === 'dataDir' ||
    parsed.source.kind === 'memory' ||
    (parsed.source.kind === 'pglite' && parsed.source.exclusive);
  const db = await connect(parsed.source, logger);
  if (!parsed.ambientTransactions) db.disableAmbientTransactions();
  try {
    await db.withSession((session) => migrate(session, logger));
  } catch (error) {
    await db.close();
    throw error;
  }
  return new MessageStore({
    db,
    pubsub: parsed.pubsub,
    logger,
    drafts: new DraftWriter(
      { db, pubsub: parsed.pubsub, logger, clock: parsed.clock ?? realClock },
      {
        ...(parsed.drafts.windowMs === undefined ? {} : { windowMs: parsed.drafts.windowMs }),
        remoteFollowers: parsed.drafts.remoteFollowers ?? !exclusive,
      },
    ),
    lease: parsed.lease,
    limits: parsed.limits,
    inputs: createInputSchemas(parsed.limits.maxContentBytes),
    exclusive,
    recentChats: new RecentChats(),
  });
}
