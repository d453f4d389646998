import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Clock, realClock } from '@chatd/core';
import type { ChannelSubscription, PubSub } from '@chatd/pubsub';
import type { ServerDatabase } from './database.js';

/** A user of the server. */
export interface User {
  id: string;
  name: string;
  isAdmin: boolean;
}

/** A new API token: `token` is shown once and stored only as a hash. */
export interface IssuedToken {
  id: string;
  token: string;
}

/** An API token as listed: never the token itself, which only its hash stands for. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
}

const TOKEN_PREFIX = 'chatd_';
/** Postgres's code for a duplicate key. */
const UNIQUE_VIOLATION = '23505';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

interface UserRow {
  id: string;
  name: string;
  is_admin: boolean;
  token_hash: string;
}

/**
 * Where a replica that revokes a token tells the others (payload: `{ tokenId }`), or that
 * changes a user (`{ userId }`: the checks of that user's tokens are forgotten, so a demoted
 * admin is no admin on the next request).
 */
const REVOKED_TOKENS_CHANNEL = 'server:token-revoked';

/**
 * How long a checked token is trusted without reading the database again: the bound on a
 * revocation that every hint about it missed (a hint lost to a broken connection also clears
 * the cache, on the resync that follows).
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;
/** Tokens kept checked at most; the oldest check goes first. */
const MAX_VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  readonly user: User;
  readonly tokenId: string;
  readonly checkedAt: number;
}

/**
 * Users and their API tokens.
 *
 * A token once checked is kept (by its hash) so the requests that follow do not read the
 * database to authenticate: one statement fewer on every request. Revoking a token forgets it
 * here before `revokeToken` returns, and on the other replicas when the hint published on
 * {@link REVOKED_TOKENS_CHANNEL} arrives (they forget every checked token when hints may have
 * been lost); a check older than a minute is repeated regardless. Only valid tokens are kept,
 * so guessing fills nothing.
 */
export class Users {
  readonly #db: ServerDatabase;
  readonly #pubsub: PubSub;
  readonly #clock: Clock;
  readonly #verified = new Map<string, VerifiedToken>();
  readonly #revocations: ChannelSubscription;
  /**
   * Counts revocations heard of. A check whose read began before one may have read the
   * revoked token: its result is used once but not kept.
   */
  #revocationsSeen = 0;
  readonly #revokedListeners: Array<(tokenId: string) => void> = [];

  constructor(
    db: ServerDatabase,
    { pubsub, clock = realClock }: { pubsub: PubSub; clock?: Clock },
  ) {
    this.#db = db;
    this.#pubsub = pubsub;
    this.#clock = clock;
    this.#revocations = pubsub.subscribe(REVOKED_TOKENS_CHANNEL);
    void this.#forgetRevoked();
  }

  /** The user a bearer token belongs to, with the token's id, or `undefined`. */
  async authenticate(token: string): Promise<{ user: User; tokenId: string } | undefined> {
    if (token.length === 0 || token.length > 512) return undefined;
    const hash = hashToken(token);
    const verified = this.#verified.get(hash);
    if (verified !== undefined && this.#clock.now() - verified.checkedAt < VERIFIED_TOKEN_TTL_MS) {
      return { user: verified.user, tokenId: verified.tokenId };
    }
    const revocationsBefore = this.#revocationsSeen;
    const [row] = await this.#db.query<UserRow & { token_id: string }>(
      `SELECT u.id, u.name, u.is_admin, t.token_hash, t.id AS token_id FROM server_tokens t
       JOIN server_users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [hash],
    );
    // The lookup is by hash; the final comparison is constant-time all the same.
    if (row === undefined) return undefined;
    if (!timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return undefined;
    const user = { id: row.id, name: row.name, isAdmin: row.is_admin };
    if (this.#revocationsSeen === revocationsBefore) {
      this.#remember(hash, { user, tokenId: row.token_id, checkedAt: this.#clock.now() });
    }
    return { user, tokenId: row.token_id };
  }

  /**
   * Calls `listener` with the id of every token revoked from now on, here or (once its hint
   * arrives) on another replica: what was opened with it, such as a stream, can end.
   */
  onRevoked(listener: (tokenId: string) => void): void {
    this.#revokedListeners.push(listener);
  }

  /** Stops following revocations made on other replicas. */
  close(): void {
    this.#revocations.cancel();
  }

  #remember(hash: string, verified: VerifiedToken): void {
    this.#verified.delete(hash);
    this.#verified.set(hash, verified);
    if (this.#verified.size > MAX_VERIFIED_TOKENS) {
      const oldest = this.#verified.keys().next().value as string;
      this.#verified.delete(oldest);
    }
  }

  #forget(tokenId: string): void {
    for (const listener of this.#revokedListeners) listener(tokenId);
    this.#revocationsSeen += 1;
    for (const [hash, verified] of this.#verified) {
      if (verified.tokenId === tokenId) this.#verified.delete(hash);
    }
  }

  /** Forgets the checks of a user's tokens (they stay valid): the next request reads the user. */
  #forgetUser(userId: string): void {
    this.#revocationsSeen += 1;
    for (const [hash, verified] of this.#verified) {
      if (verified.user.id === userId) this.#verified.delete(hash);
    }
  }

  async #forgetRevoked(): Promise<void> {
    for await (const event of this.#revocations) {
      if (event.type === 'resync') {
        this.#revocationsSeen += 1;
        this.#verified.clear();
      } else {
        const { tokenId, userId } = (event.payload ?? {}) as {
          tokenId?: unknown;
          userId?: unknown;
        };
        if (typeof tokenId === 'string') this.#forget(tokenId);
        if (typeof userId === 'string') this.#forgetUser(userId);
      }
    }
  }

  /** Creates a user. @returns undefined when the name is taken. */
  async create(name: string, isAdmin: boolean): Promise<User | undefined> {
    const id = randomUUID();
    const rows = await this.#db.query<{ id: string }>(
      `INSERT INTO server_users (id, name, is_admin) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO NOTHING RETURNING id`,
      [id, name, isAdmin],
    );
    return rows.length === 0 ? undefined : { id, name, isAdmin };
  }

  /**
   * Renames a user or makes them an admin or not; the change holds from the next request on
   * every replica (their tokens' checks are forgotten).
   * @returns the user as changed, `undefined` when there is no such user, or `'name-taken'`.
   */
  async update(
    userId: string,
    { name, isAdmin }: { name?: string; isAdmin?: boolean },
  ): Promise<User | undefined | 'name-taken'> {
    let row: Omit<UserRow, 'token_hash'> | undefined;
    try {
      [row] = await this.#db.query<Omit<UserRow, 'token_hash'>>(
        `UPDATE server_users SET name = coalesce($2, name), is_admin = coalesce($3, is_admin)
         WHERE id = $1 RETURNING id, name, is_admin`,
        [userId, name ?? null, isAdmin ?? null],
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return 'name-taken';
      throw error;
    }
    if (row === undefined) return undefined;
    this.#forgetUser(userId);
    this.#pubsub.publish(REVOKED_TOKENS_CHANNEL, { userId });
    return { id: row.id, name: row.name, isAdmin: row.is_admin };
  }

  async list(): Promise<User[]> {
    const rows = await this.#db.query<Omit<UserRow, 'token_hash'>>(
      'SELECT id, name, is_admin FROM server_users ORDER BY created_at, name',
    );
    return rows.map((row) => ({ id: row.id, name: row.name, isAdmin: row.is_admin }));
  }

  async get(userId: string): Promise<User | undefined> {
    const [row] = await this.#db.query<Omit<UserRow, 'token_hash'>>(
      'SELECT id, name, is_admin FROM server_users WHERE id = $1',
      [userId],
    );
    return row === undefined ? undefined : { id: row.id, name: row.name, isAdmin: row.is_admin };
  }

  /** Issues a token for a user; `token` given (the configured admin token) or generated. */
  async issueToken(userId: string, name: string, token?: string): Promise<IssuedToken> {
    const value = token ?? `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    await this.#db.query(
      'INSERT INTO server_tokens (id, user_id, name, token_hash) VALUES ($1, $2, $3, $4)',
      [id, userId, name, hashToken(value)],
    );
    return { id, token: value };
  }

  /** A user's tokens, oldest first. */
  async listTokens(userId: string): Promise<TokenInfo[]> {
    const rows = await this.#db.query<{ id: string; name: string; created_at: Date | string }>(
      'SELECT id, name, created_at FROM server_tokens WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }

  /** Revokes a token. @returns whether it existed. */
  async revokeToken(tokenId: string): Promise<boolean> {
    const rows = await this.#db.query<{ id: string }>(
      'DELETE FROM server_tokens WHERE id = $1 RETURNING id',
      [tokenId],
    );
    this.#revoked(rows);
    return rows.length > 0;
  }

  /** Revokes every token of a user: nothing signs in as them from now on. */
  async revokeAllTokens(userId: string): Promise<void> {
    this.#revoked(
      await this.#db.query<{ id: string }>(
        'DELETE FROM server_tokens WHERE user_id = $1 RETURNING id',
        [userId],
      ),
    );
  }

  /** Forgets deleted tokens here and tells the other replicas. */
  #revoked(rows: ReadonlyArray<{ id: string }>): void {
    for (const { id: tokenId } of rows) {
      this.#forget(tokenId);
      this.#pubsub.publish(REVOKED_TOKENS_CHANNEL, { tokenId });
    }
  }

  /**
   * Deletes a user, with the tokens, MCP tokens and client chat ids that are theirs (their
   * chats are the engine's: delete those first). @returns whether the user existed.
   */
  async delete(userId: string): Promise<boolean> {
    // Revoked here even after a caller's own `revokeAllTokens`: a token issued since (while the
    // chats were deleted) would otherwise go with the row's cascade and stay trusted for up to
    // a minute by the replicas that checked it.
    await this.revokeAllTokens(userId);
    const rows = await this.#db.query('DELETE FROM server_users WHERE id = $1 RETURNING id', [
      userId,
    ]);
    return rows.length > 0;
  }

  /**
   * On first start (no user yet), creates the `admin` user with `token` (or a generated one)
   * and returns the token to show once; otherwise `undefined`.
   *
   * The user and its token are one statement, so they exist together or not at all: a start
   * that stops halfway never leaves an admin without a token. Call it once the server is
   * listening (see `ChatdServer.listen`): a start that fails before it creates nothing, and the
   * next start shows the token.
   */
  async bootstrapAdmin(token: string | undefined): Promise<string | undefined> {
    const value = token ?? `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    // `ON CONFLICT`: another replica created the admin first; nothing is returned then.
    const rows = await this.#db.query<{ id: string }>(
      `WITH admin AS (
         INSERT INTO server_users (id, name, is_admin)
         SELECT $1, 'admin', true WHERE NOT EXISTS (SELECT 1 FROM server_users)
         ON CONFLICT (name) DO NOTHING
         RETURNING id
       )
       INSERT INTO server_tokens (id, user_id, name, token_hash)
       SELECT $2, id, 'first admin token', $3 FROM admin
       RETURNING id`,
      [randomUUID(), randomUUID(), hashToken(value)],
    );
    return rows.length === 0 ? undefined : value;
  }
}
