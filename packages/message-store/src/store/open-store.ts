import { InvalidArgumentError, realClock, silentLogger } from '@chatd/core';
import type { DbConnection } from '../db/connection.js';
import { openPglite } from '../db/open-pglite.js';
import { openPostgres } from '../db/open-postgres.js';
import { migrate } from '../migrations/migrator.js';
import { MessageStore } from './message-store.js';
import {
  type OpenStoreOptions,
  resolveLease,
  resolveLimits,
  type StoreSource,
} from './store-options.js';

function connect(source: StoreSource, options: OpenStoreOptions): Promise<DbConnection> {
  const logger = options.logger ?? silentLogger;
  if (typeof source !== 'object' || source === null) {
    throw new InvalidArgumentError('source', 'expected an object');
  }
  const keys = Object.keys(source).filter(
    (key) => key !== 'loadDataDir' && key !== 'maxConnections',
  );
  if (keys.length !== 1) {
    throw new InvalidArgumentError(
      'source',
      'expected exactly one of dataDir, memory, url, pool or pglite',
    );
  }
  if ('dataDir' in source) {
    if (typeof source.dataDir !== 'string' || source.dataDir === '') {
      throw new InvalidArgumentError('source.dataDir', 'expected a non-empty path');
    }
    return openPglite({ kind: 'dataDir', dataDir: source.dataDir });
  }
  if ('memory' in source) {
    if (source.memory !== true) throw new InvalidArgumentError('source.memory', 'expected true');
    return openPglite(
      source.loadDataDir === undefined
        ? { kind: 'memory' }
        : { kind: 'memory', loadDataDir: source.loadDataDir },
    );
  }
  if ('url' in source) {
    if (typeof source.url !== 'string' || !/^postgres(ql)?:\/\//.test(source.url)) {
      throw new InvalidArgumentError('source.url', 'expected a postgres:// URL');
    }
    const maxConnections = source.maxConnections ?? 10;
    if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
      throw new InvalidArgumentError('source.maxConnections', 'expected a positive integer');
    }
    return openPostgres({ kind: 'url', url: source.url, maxConnections }, logger);
  }
  if ('pool' in source) {
    if (typeof source.pool?.connect !== 'function') {
      throw new InvalidArgumentError('source.pool', 'expected a pg Pool');
    }
    return openPostgres({ kind: 'pool', pool: source.pool }, logger);
  }
  if ('pglite' in source) {
    if (typeof source.pglite?.query !== 'function') {
      throw new InvalidArgumentError('source.pglite', 'expected a PGlite instance');
    }
    return openPglite({ kind: 'instance', pglite: source.pglite });
  }
  throw new InvalidArgumentError('source', 'expected one of dataDir, memory, url, pool or pglite');
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
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an object with pubsub');
  }
  if (typeof options.pubsub?.publish !== 'function') {
    throw new InvalidArgumentError('options.pubsub', 'expected a PubSub');
  }
  const lease = resolveLease(options.lease);
  const limits = resolveLimits(options.limits);
  const logger = (options.logger ?? silentLogger).child({ component: 'message-store' });
  const connection = await connect(source, options);
  try {
    await connection.withSession((session) => migrate(session, logger));
  } catch (error) {
    await connection.close();
    throw error;
  }
  return new MessageStore(connection, {
    db: connection.db,
    driver: connection.driver,
    pubsub: options.pubsub,
    clock: options.clock ?? realClock,
    logger,
    lease,
    limits,
  });
}
