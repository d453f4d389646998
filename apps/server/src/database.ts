import { join } from 'node:path';
import { ChatdError, type Logger } from '@chatd/core';
import { type MessageStore, openStore, type PGliteInstance } from '@chatd/message-store';
import { PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import pg from 'pg';

/**
 * Neither chatd nor this server calls the store inside a transaction's callback, so the store
 * need not track which transaction the calling code runs in: that tracking (an
 * AsyncLocalStorage) makes every promise in the process dearer on Node 20, about 16% of this
 * server's CPU under load.
 */
const ambientTransactions = false;

/** The server's own queries (users and tokens), on the database the store uses. */
export interface ServerDatabase {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** The store, its PubSub and the server's database handle, opened together. */
export interface OpenedDatabase {
  store: MessageStore;
  pubsub: PubSub;
  db: ServerDatabase;
  /** `pglite` (embedded, one process) or `postgres` (any number of replicas). */
  kind: 'pglite' | 'postgres';
  /** Whether the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Another process serves the data folder. */
export class DataDirInUseError extends ChatdError<'DATA_DIR_IN_USE'> {
  constructor(dataDir: string, pid: number) {
    super(
      'DATA_DIR_IN_USE',
      `The data folder ${dataDir} is in use by process ${pid}; stop it or set CHATD_DATA_DIR`,
    );
    this.name = 'DataDirInUseError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS server_users (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  is_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS server_tokens (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES server_users (id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS server_client_chats (
  user_id uuid NOT NULL REFERENCES server_users (id) ON DELETE CASCADE,
  client_chat_id text NOT NULL,
  chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, client_chat_id)
);
CREATE TABLE IF NOT EXISTS server_model_configs (
  id text PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'openai-compatible')),
  model text NOT NULL,
  label text NOT NULL,
  base_url text,
  api_key_sealed text,
  context_limit_tokens integer,
  max_output_tokens integer,
  pricing jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS server_mcp_servers (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  config_sealed text NOT NULL,
  info jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS server_mcp_tokens (
  user_id uuid NOT NULL REFERENCES server_users (id) ON DELETE CASCADE,
  server_id uuid NOT NULL REFERENCES server_mcp_servers (id) ON DELETE CASCADE,
  token_sealed text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, server_id)
);`;

/**
 * Opens Postgres (`databaseUrl`) or embedded PGlite in `dataDir`, the message store on it with
 * a PubSub that reaches every replica (LISTEN/NOTIFY on Postgres), and the server's tables.
 */
export async function openDatabase(
  {
    databaseUrl,
    dataDir,
    leaseStaleAfterMs,
  }: { databaseUrl: string | undefined; dataDir: string; leaseStaleAfterMs: number },
  logger: Logger,
): Promise<OpenedDatabase> {
  // Owners heartbeat three times per lease, so one late heartbeat never loses a chat.
  const lease = {
    staleAfterMs: leaseStaleAfterMs,
    heartbeatIntervalMs: Math.floor(leaseStaleAfterMs / 3),
  };
  if (databaseUrl !== undefined) {
    // Pipelined (no statement waits for the replies before it): the store's transactions send
    // BEGIN with their first statement, one round trip less each. Nothing here reads through a
    // cursor, which pipelining refuses.
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 20, pipeline: true });
    pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
    const pubsub = new PubSub({
      transport: new PostgresTransport({ connectionString: databaseUrl, pool, logger }),
      logger,
    });
    const db: ServerDatabase = {
      query: async <Row>(sql: string, params?: unknown[]) =>
        (await pool.query(sql, params)).rows as Row[],
    };
    let store: MessageStore | undefined;
    try {
      // The store's migrations first: the server's tables refer to its chats.
      store = await openStore({ pool }, { pubsub, logger, lease, ambientTransactions });
      const opened = store;
      // Replicas starting together: one creates the tables, the others wait for it.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(81357)');
        await client.query(SCHEMA);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
      return {
        store: opened,
        pubsub,
        db,
        kind: 'postgres',
        ping: () =>
          pool.query('SELECT 1').then(
            () => true,
            () => false,
          ),
        async close() {
          await opened.close();
          await pubsub.close();
          await pool.end();
        },
      };
    } catch (error) {
      await store?.close();
      await pubsub.close();
      await pool.end();
      throw error;
    }
  }
  const pubsub = new PubSub({ logger });
  let store: MessageStore | undefined;
  try {
    // The store opens the folder: it locks it to this process and creates a new database in a
    // child process, so this one does not keep initdb's memory (about 500 MB). The store is
    // alone on the database (no follower for its drafts to hurry for, no other writer).
    store = await openStore(
      { dataDir: join(dataDir, 'pglite') },
      { pubsub, logger, lease, ambientTransactions },
    ).catch((error: unknown) => {
      if (!ChatdError.isInstance(error, 'DATA_FOLDER_IN_USE')) throw error;
      throw new DataDirInUseError(dataDir, (error as { pid?: number }).pid ?? 0);
    });
    const opened = store;
    const pglite = opened.pglite as PGliteInstance;
    const db: ServerDatabase = {
      query: async <Row>(sql: string, params?: unknown[]) =>
        (await pglite.query(sql, params)).rows as Row[],
    };
    // The store's migrations first: the server's tables refer to its chats.
    await pglite.exec(SCHEMA);
    return {
      store: opened,
      pubsub,
      db,
      kind: 'pglite',
      ping: () =>
        pglite.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      async close() {
        await opened.close();
        await pubsub.close();
      },
    };
  } catch (error) {
    await store?.close();
    await pubsub.close();
    throw error;
  }
}
