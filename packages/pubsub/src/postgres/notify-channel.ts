import { createHash } from 'node:crypto';

/** Postgres identifiers, and so LISTEN/NOTIFY channel names, hold at most 63 bytes (NAMEDATALEN - 1). */
export const MAX_POSTGRES_CHANNEL_BYTES = 63;

/** Starts every hashed name; names starting with it are hashed too, so the mapping stays one to one. */
const HASH_MARK = '#';
/** 128 bits of SHA-256 in hex: collisions are out of reach for any realistic number of channels. */
const HASH_HEX_LENGTH = 32;
/** Room left for a readable head: 63 - `#` - 32 hex - `:`. */
const HEAD_LENGTH = MAX_POSTGRES_CHANNEL_BYTES - HASH_MARK.length - HASH_HEX_LENGTH - 1;

/**
 * The Postgres channel that carries a `PubSub` channel, for SQL that notifies subscribers
 * directly (a trigger calling `pg_notify(…)` with the `{"payload": …}` envelope).
 *
 * A name is used as it is when Postgres can hold it unchanged: at most 63 UTF-8 bytes, no `"`,
 * no NUL, no lone surrogate, and not starting with `#`. Any other name maps to a stable short
 * form: `#`, 32 hex digits of the SHA-256 of the name, `:`, and the name's first characters
 * (letters, digits and `:_.-/` kept, others as `_`) for readability in `pg_listening_channels()`.
 * Every process computes the same form, so they meet on the same Postgres channel.
 *
 * @example
 * ```ts
 * postgresChannelName('chat:update:42'); // 'chat:update:42'
 * postgresChannelName(`chat:update:${'x'.repeat(80)}`); // '#<32 hex>:chat:update:xxxxxxxxxxxxxxxxx'
 * ```
 */
export function postgresChannelName(channel: string): string {
  if (
    !channel.startsWith(HASH_MARK) &&
    !channel.includes('"') &&
    !channel.includes('\0') &&
    channel.isWellFormed() &&
    Buffer.byteLength(channel, 'utf8') <= MAX_POSTGRES_CHANNEL_BYTES
  ) {
    return channel;
  }
  // UTF-16 code units, so even names with lone surrogates hash one to one.
  const hash = createHash('sha256')
    .update(Buffer.from(channel, 'utf16le'))
    .digest('hex')
    .slice(0, HASH_HEX_LENGTH);
  const head = channel.slice(0, HEAD_LENGTH).replace(/[^A-Za-z0-9:_./-]/g, '_');
  return `${HASH_MARK}${hash}:${head}`;
}

/**
 * Quotes `name` as a Postgres identifier (`"…"`, inner quotes doubled), for LISTEN and UNLISTEN,
 * which take an identifier rather than a parameter.
 * @internal
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
