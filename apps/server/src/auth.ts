import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
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

const TOKEN_PREFIX = 'chatd_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

interface UserRow {
  id: string;
  name: string;
  is_admin: boolean;
  token_hash: string;
}

/** Users and their API tokens. */
export class Users {
  readonly #db: ServerDatabase;

  constructor(db: ServerDatabase) {
    this.#db = db;
  }

  /** The user a bearer token belongs to, or `undefined`. */
  async authenticate(token: string): Promise<User | undefined> {
    if (token.length === 0 || token.length > 512) return undefined;
    const hash = hashToken(token);
    const [row] = await this.#db.query<UserRow>(
      `SELECT u.id, u.name, u.is_admin, t.token_hash FROM server_tokens t
       JOIN server_users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [hash],
    );
    // The lookup is by hash; the final comparison is constant-time all the same.
    if (row === undefined) return undefined;
    if (!timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return undefined;
    return { id: row.id, name: row.name, isAdmin: row.is_admin };
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

  /** Revokes a token. @returns whether it existed. */
  async revokeToken(tokenId: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM server_tokens WHERE id = $1 RETURNING id', [
      tokenId,
    ]);
    return rows.length > 0;
  }

  /**
   * On first start (no user yet), creates the `admin` user with `token` (or a generated one)
   * and returns the token to show once; otherwise `undefined`.
   */
  async bootstrapAdmin(token: string | undefined): Promise<string | undefined> {
    const [existing] = await this.#db.query('SELECT 1 FROM server_users LIMIT 1');
    if (existing !== undefined) return undefined;
    const admin = await this.create('admin', true);
    if (admin === undefined) return undefined; // another replica created it first
    return (await this.issueToken(admin.id, 'first admin token', token)).token;
  }
}
