import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChatdError, InvalidArgumentError } from '@chatd/core';
import type { ServerDatabase } from './database.js';

const ALGORITHM = 'aes-256-gcm';
const FORMAT = 'v1';

/** A stored secret that does not open with this server's key (another key, or tampered). */
export class SecretUnreadableError extends ChatdError<'SECRET_UNREADABLE'> {
  constructor() {
    super(
      'SECRET_UNREADABLE',
      'A stored secret cannot be decrypted: CHATD_SECRET_KEY differs from the key it was written with',
    );
    this.name = 'SecretUnreadableError';
  }
}

/**
 * Encrypts provider keys and MCP secrets before they reach the database, and decrypts them when
 * a turn needs them: AES-256-GCM with a random IV per value, so a database dump or backup alone
 * reveals no secret, and a changed ciphertext is refused instead of decrypting to garbage.
 */
export class SecretBox {
  readonly #key: Buffer;

  /** @param secret - `CHATD_SECRET_KEY`: any string of at least 32 characters. */
  constructor(secret: string) {
    if (secret.length < 32) {
      throw new InvalidArgumentError('CHATD_SECRET_KEY', 'expected at least 32 characters');
    }
    // Hashing turns any long passphrase into exactly the 32 bytes AES-256 needs.
    this.#key = createHash('sha256').update(secret).digest();
  }

  /** `v1:<iv>:<tag>:<ciphertext>`, each part base64url. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), sealed]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  /** @throws SecretUnreadableError `SECRET_UNREADABLE` for another key or a changed value. */
  open(sealed: string): string {
    const [format, iv, tag, data] = sealed.split(':');
    if (format !== FORMAT || iv === undefined || tag === undefined || data === undefined) {
      throw new SecretUnreadableError();
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(data, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretUnreadableError();
    }
  }
}

/**
 * Refuses a key that does not open the secrets already stored (provider keys, MCP configs and
 * tokens): a replica started with another `CHATD_SECRET_KEY` would otherwise serve requests and
 * fail every turn that needs one of them. The newest sealed value is tried; a database without
 * any passes.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming `CHATD_SECRET_KEY`.
 */
export async function checkSecretKey(db: ServerDatabase, box: SecretBox): Promise<void> {
  const [newest] = await db.query<{ sealed: string }>(
    `SELECT sealed FROM (
       SELECT api_key_sealed AS sealed, created_at AS at FROM server_model_configs
        WHERE api_key_sealed IS NOT NULL
       UNION ALL SELECT config_sealed, created_at FROM server_mcp_servers
       UNION ALL SELECT token_sealed, updated_at FROM server_mcp_tokens
     ) secrets ORDER BY at DESC LIMIT 1`,
  );
  if (newest === undefined) return;
  try {
    box.open(newest.sealed);
  } catch {
    throw new InvalidArgumentError(
      'CHATD_SECRET_KEY',
      'does not open the secrets stored in the database (provider keys, MCP secrets): use the ' +
        'key they were stored with, the same on every replica. If that key is lost, clear them ' +
        '(UPDATE server_model_configs SET api_key_sealed = NULL; DELETE FROM server_mcp_tokens; ' +
        'DELETE FROM server_mcp_servers) and enter them again',
    );
  }
}

/**
 * The key for {@link SecretBox}: `CHATD_SECRET_KEY` when set. Embedded PGlite without it keeps
 * a generated key in the data folder (mode 0600), beside the data it protects, so `npm start`
 * needs no setup; with Postgres the key must come from the environment, because replicas share
 * the database and must share the key, and the database alone must not be enough to read it.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming `CHATD_SECRET_KEY`.
 */
export async function loadSecretKey(config: {
  secretKey: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
}): Promise<string> {
  if (config.secretKey !== undefined) return config.secretKey;
  if (config.databaseUrl !== undefined) {
    throw new InvalidArgumentError(
      'CHATD_SECRET_KEY',
      'is required with DATABASE_URL (the same value on every replica; e.g. `openssl rand -base64 48`)',
    );
  }
  const path = join(config.dataDir, 'secret.key');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = randomBytes(48).toString('base64url');
  // `wx`: of two first starts racing, one writes and the other reads what it wrote.
  try {
    await writeFile(path, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    return generated;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(path, 'utf8')).trim();
  }
}
