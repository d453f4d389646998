import { z } from 'zod';
import { type JsonValue, jsonValueSchema } from './json.js';

/**
 * Provider-specific data attached to a part, keyed by provider and then by field:
 * `{ anthropic: { signature: '…' } }`, `{ openai: { itemId: 'rs_…' } }`.
 *
 * The same shape as the AI SDK's `ProviderMetadata` (`Record<string, Record<string,
 * JSONValue>>`), so it passes between the two unchanged. It carries what a provider needs to
 * continue a conversation: reasoning signatures, encrypted reasoning, response item ids. A
 * server that rebuilds parts from the fields it knows loses it; chatd keeps the whole object on
 * every part type, in storage and on the wire.
 */
export type ProviderMetadata = Record<string, Record<string, JsonValue>>;

/** An optional `providerMetadata` field: an object of objects of JSON values. */
export const optionalProviderMetadataSchema = z
  .record(z.string(), z.record(z.string(), jsonValueSchema))
  .exactOptional() satisfies z.ZodType<ProviderMetadata | undefined>;
