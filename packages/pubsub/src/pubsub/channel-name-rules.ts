import { InvalidChannelError } from '../errors/pubsub-errors.js';

/** The longest channel name, in UTF-16 code units (JavaScript string length). */
export const MAX_CHANNEL_NAME_LENGTH = 200;

/**
 * Checks a channel name: any non-empty string of at most {@link MAX_CHANNEL_NAME_LENGTH}
 * characters. Transports whose medium is narrower (Postgres identifiers are 63 bytes) map names
 * themselves.
 * @throws InvalidChannelError `INVALID_CHANNEL`
 */
export function assertChannelName(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string') {
    throw new InvalidChannelError(channel, `must be a string, got ${typeof channel}`);
  }
  if (channel.length === 0) throw new InvalidChannelError(channel, 'must not be empty');
  if (channel.length > MAX_CHANNEL_NAME_LENGTH) {
    throw new InvalidChannelError(
      channel,
      `must be at most ${MAX_CHANNEL_NAME_LENGTH} characters, got ${channel.length}`,
    );
  }
}
