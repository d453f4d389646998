import { z } from 'zod';
import { positiveIntegerSchema } from './common.js';
import {
  type ChatMessagePart,
  chatMessagePartSchema,
  type StoredChatMessagePart,
  storedChatMessagePartSchema,
} from './message-part.js';

/**
 * The content version this package writes. Bumped only for a change old readers cannot
 * tolerate; adding a part type or an optional field does not need a bump, because tolerant
 * reads keep unknown part types and unknown fields verbatim.
 */
export const CHAT_MESSAGE_CONTENT_VERSION = 1;

/**
 * A message's content as this version writes it: a version tag and the ordered parts.
 *
 * Stored as one JSON value (a `jsonb` column, say). The version lets a reader recognise content
 * from a newer writer; see {@link StoredChatMessageContent} for what readers get back.
 */
export interface ChatMessageContent {
  /** Always {@link CHAT_MESSAGE_CONTENT_VERSION} when written by this version. */
  version: typeof CHAT_MESSAGE_CONTENT_VERSION;
  /** The parts, in the order they were produced. May be empty. */
  parts: ChatMessagePart[];
}

/**
 * A message's content as read back from storage or the wire, possibly written by a newer
 * version: any positive `version`, and parts that may include types this version does not know
 * (see {@link StoredChatMessagePart}).
 *
 * Everything unknown (part types, fields of known parts, fields next to `version` and `parts`)
 * is kept verbatim, so serialising this object writes back exactly what was read plus whatever
 * the caller changed. Every {@link ChatMessageContent} is also a valid value of this type.
 */
export interface StoredChatMessageContent {
  /** The writer's content version: {@link CHAT_MESSAGE_CONTENT_VERSION} or a newer one. */
  version: number;
  /** The parts, known and unknown, in their stored order. */
  parts: StoredChatMessagePart[];
}

/**
 * Schema of {@link ChatMessageContent}, the strict write-path schema: the current version only,
 * known part types only, no unknown fields.
 */
export const chatMessageContentSchema = z.strictObject({
  version: z.literal(CHAT_MESSAGE_CONTENT_VERSION, {
    error: `expected content version ${CHAT_MESSAGE_CONTENT_VERSION}`,
  }),
  parts: z.array(chatMessagePartSchema),
}) satisfies z.ZodType<ChatMessageContent>;

/**
 * Schema of {@link StoredChatMessageContent}, the tolerant read-path schema: any positive
 * version, unknown part types and unknown fields kept verbatim, known part types validated
 * (see {@link storedChatMessagePartSchema} for the exact rules).
 */
export const storedChatMessageContentSchema = z
  .looseObject({
    version: positiveIntegerSchema,
    parts: z.array(storedChatMessagePartSchema),
  })
  .transform(
    (content): StoredChatMessageContent => content,
  ) satisfies z.ZodType<StoredChatMessageContent>;
