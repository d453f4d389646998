import { type Clock, InvalidArgumentError, type Logger } from '@chatd/core';
import type { PubSub } from '@chatd/pubsub';
import { z } from 'zod';
import type { PGliteInstance, PostgresPool } from '../db/client-types.js';
import type { DraftOptions } from '../drafts/draft-writer.js';
import { parseInput } from '../validation/parse-input.js';

/**
 * Where the store keeps its data.
 *
 * - `{ dataDir }`: embedded PGlite in a folder (the default deployment). One process at a time:
 *   a second opener gets `DATA_FOLDER_IN_USE`. A new folder's database is created by a child
 *   process, so this one does not keep initdb's memory (about 500 MB).
 * - `{ memory: true }`: embedded PGlite in memory, gone on close (tests). `loadDataDir` starts
 *   from a `pglite.dumpDataDir()` tarball; without it, from a new database a child process
 *   created once per process (for the same reason).
 * - `{ url }`: a `postgres://` URL; the store creates and owns a `pg` pool.
 * - `{ pool }` / `{ pglite }`: a pool or PGlite instance the app owns (a `pg.Pool`, a `PGlite`);
 *   the store never closes it and never changes its global settings. `exclusive: true` on a
 *   PGlite says no other store uses it (the app opened it for this store and its own tables):
 *   then the store is {@link MessageStore.exclusive}, as on `dataDir`.
 */
export type StoreSource =
  | { dataDir: string }
  | { memory: true; loadDataDir?: Blob }
  | { url: string; maxConnections?: number }
  | { pool: PostgresPool }
  | { pglite: PGliteInstance; exclusive?: boolean };

const positiveInteger = z.int().min(1, 'expected a positive integer');

const leaseSchema = z
  .strictObject({
    /**
     * How often an owning worker refreshes its heartbeat rows. The store does not heartbeat
     * itself: the engine reads this from {@link MessageStore.lease}, so every process that
     * shares the database agrees with the stale threshold below.
     * @default 10_000
     */
    heartbeatIntervalMs: positiveInteger.default(10_000),
    /**
     * A heartbeat older than this (by database time) means the owner is gone: ownership hints
     * are published and other workers may acquire the chat. Must exceed the heartbeat interval.
     * @default 30_000
     */
    staleAfterMs: positiveInteger.default(30_000),
  })
  .refine((lease) => lease.staleAfterMs > lease.heartbeatIntervalMs, {
    path: ['staleAfterMs'],
    message: 'must exceed lease.heartbeatIntervalMs',
  });

const limitsSchema = z.strictObject({
  /**
   * Largest serialised content (UTF-8 bytes of its JSON) of one message, queued message or
   * tool output; larger content is refused with `CONTENT_TOO_LARGE`.
   * @default 4 * 1024 * 1024
   */
  maxContentBytes: positiveInteger.default(4 * 1024 * 1024),
});

/** The ownership lease: how often owners heartbeat and when a lease counts as stale. */
export interface LeaseOptions extends z.input<typeof leaseSchema> {}
/** {@link LeaseOptions} with every default applied. */
export interface ResolvedLease extends Readonly<z.output<typeof leaseSchema>> {}
/** Size limits, checked before anything is written. */
export interface StoreLimits extends z.input<typeof limitsSchema> {}
/** {@link StoreLimits} with every default applied. */
export interface ResolvedLimits extends Readonly<z.output<typeof limitsSchema>> {}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Where `chat:update:<id>` and `chat:ownership` are published after commit. */
  pubsub: PubSub;
  /**
   * Receives migration progress and connection warnings; never message content.
   * @default silentLogger
   */
  logger?: Logger;
  /** How often owners heartbeat and when a lease counts as stale, in database time. */
  lease?: LeaseOptions;
  /** Size limits checked before anything is written. */
  limits?: StoreLimits;
  /** The draft writer's throttle (see `store.drafts`). */
  drafts?: DraftOptions;
  /**
   * Time for the draft writer's throttle and retries (tests pass a manual clock).
   * @default realClock
   */
  clock?: Clock;
  /**
   * Whether the store tracks which of its transactions the calling code runs in.
   *
   * `true`: a store method called inside an `update` / `lock` / `readLock` callback joins that
   * transaction (it reads the callback's uncommitted writes and commits with it), and a call
   * that would wait for the open transaction (a draft flush, another store on the same PGlite)
   * is refused with `ROOT_HANDLE_IN_TRANSACTION` instead of hanging.
   *
   * `false`: callbacks must use only the transitions or snapshot they are given. A store method
   * called inside one runs outside the transaction: a read sees only committed data, and a write
   * to the locked chat, or anything on PGlite, waits for the transaction, which waits for it:
   * a deadlock. Why turn it off: the tracking uses an AsyncLocalStorage, and on Node 20 an
   * enabled AsyncLocalStorage makes every promise in the process dearer while any transaction
   * is open (measured in chatd's reference server under load: about 16% of its CPU). The chatd
   * engine never calls the store inside a callback and runs with either value.
   * @default true
   */
  ambientTransactions?: boolean;
}

// Objects the app passes in (pubsub, logger, pool, PGlite) are typed, not inspected; the
// schemas check the values a user may write in a config, and refuse unknown keys.
const optionsSchema = z.strictObject({
  pubsub: z.custom<PubSub>(),
  logger: z.custom<Logger>().optional(),
  lease: z.unknown().optional(),
  limits: z.unknown().optional(),
  drafts: z.unknown().optional(),
  clock: z.custom<Clock>().optional(),
  ambientTransactions: z.boolean('expected a boolean').default(true),
});

const draftsSchema = z.strictObject({
  windowMs: z.number().int().min(1, 'expected a positive integer').optional(),
  remoteFollowers: z.boolean('expected a boolean').optional(),
});

const sourceSchemas = {
  dataDir: z.strictObject({
    dataDir: z
      .string()
      .min(1, 'expected a non-empty path')
      .refine((path) => !path.includes('\u0000'), 'a path cannot contain a NUL character'),
  }),
  memory: z.strictObject({
    memory: z.literal(true, 'expected true'),
    loadDataDir: z.instanceof(Blob, { message: 'expected a Blob' }).optional(),
  }),
  url: z.strictObject({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
    maxConnections: positiveInteger.default(10),
  }),
  pool: z.strictObject({ pool: z.custom<PostgresPool>() }),
  pglite: z.strictObject({
    pglite: z.custom<PGliteInstance>(),
    exclusive: z.boolean('expected a boolean').default(false),
  }),
};

/** A parsed source: which kind, with its options. */
export type ParsedSource = {
  [Kind in keyof typeof sourceSchemas]: { kind: Kind } & z.output<(typeof sourceSchemas)[Kind]>;
}[keyof typeof sourceSchemas];

/**
 * Parses `openStore`'s arguments.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the bad field.
 */
export function parseOpenStoreArguments(source: unknown, options: unknown) {
  if (typeof source !== 'object' || source === null) {
    throw new InvalidArgumentError('source', 'expected an object');
  }
  const kinds = (Object.keys(sourceSchemas) as (keyof typeof sourceSchemas)[]).filter(
    (kind) => kind in source,
  );
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) {
    throw new InvalidArgumentError(
      'source',
      'expected exactly one of dataDir, memory, url, pool or pglite',
    );
  }
  const parsedSource = {
    kind,
    ...parseInput(sourceSchemas[kind], source, 'source'),
  } as ParsedSource;
  const parsedOptions = parseInput(optionsSchema, options, 'options');
  return {
    ...parsedOptions,
    source: parsedSource,
    lease: parseInput(leaseSchema, parsedOptions.lease ?? {}, 'lease') as ResolvedLease,
    limits: parseInput(limitsSchema, parsedOptions.limits ?? {}, 'limits') as ResolvedLimits,
    drafts: parseInput(draftsSchema, parsedOptions.drafts ?? {}, 'drafts'),
  };
}
