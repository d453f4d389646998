import { z } from 'zod';
import {
  identifierSchema,
  nonNegativeIntegerSchema,
  positiveIntegerSchema,
  timestampSchema,
} from './common.js';
import {
  type StoredChatMessageContent,
  storedChatMessageContentSchema,
} from './message-content.js';
import { type ChatMessageRole, chatMessageRoleSchema } from './message-role.js';

/**
 * Token counts of the model call(s) that produced an assistant message. Every field is
 * optional: providers report different subsets.
 */
export interface ChatMessageUsage {
  /** Tokens sent to the model (prompt), including cached ones. */
  inputTokens?: number;
  /** Tokens the model generated, including reasoning tokens. */
  outputTokens?: number;
  /** Input plus output tokens, as the provider reported it. */
  totalTokens?: number;
  /** Of the output tokens, those spent on reasoning. */
  reasoningTokens?: number;
  /** Of the input tokens, those written to the provider's prompt cache. */
  cacheCreationTokens?: number;
  /** Of the input tokens, those read from the provider's prompt cache. */
  cacheReadTokens?: number;
  /** The model's context window, in tokens, to show how full the conversation is. */
  contextLimit?: number;
}

/**
 * A committed message of a chat's history, as read from storage and sent in `message` events.
 *
 * Committed means durable: it has a database id and survives restarts, unlike the preview
 * parts of the in-flight message (`message-part` events). Clients treat `message` events as
 * upserts by `id`: an edit re-sends the same id with a higher `revision`.
 */
export interface ChatMessage {
  /** Database id; positive and increasing in history order within a deployment. */
  id: number;
  /** The chat the message belongs to. */
  chatId: string;
  /** Who the message is from. */
  role: ChatMessageRole;
  /**
   * The message's content as stored. May come from a newer version: see
   * {@link StoredChatMessageContent} for how unknown parts are kept.
   */
  content: StoredChatMessageContent;
  /** When the message was committed (ISO 8601). */
  createdAt: string;
  /**
   * The history version at which this message was last written. Absent for messages that were
   * never edited and stores that do not track revisions.
   */
  revision?: number;
  /** The user who wrote the message (user messages). */
  createdBy?: string;
  /** The model configuration that produced the message (assistant messages). */
  modelConfigId?: string;
  /** Token usage of the model calls that produced the message (assistant messages). */
  usage?: ChatMessageUsage;
  /**
   * What the model call cost, in micro-dollars, rounded up (assistant messages of models with
   * prices).
   */
  costMicros?: number;
  /** How long the model call took, in milliseconds (assistant messages). */
  runtimeMs?: number;
}

/**
 * A user message waiting in the chat's queue: sent while the chat was busy, it becomes a
 * {@link ChatMessage} when its turn comes (or is deleted by the user).
 */
export interface QueuedChatMessage {
  /** Id of the queue entry (not a message id). */
  id: number;
  /** The chat the entry belongs to. */
  chatId: string;
  /** What the user wrote, as stored. */
  content: StoredChatMessageContent;
  /** When the message was queued (ISO 8601). */
  createdAt: string;
  /** The user who queued it. */
  createdBy?: string;
  /** The model configuration the user chose for it, when not the chat's default. */
  modelConfigId?: string;
}

/** Schema of {@link ChatMessageUsage}: non-negative integers. Rejects unknown fields. */
export const chatMessageUsageSchema = z.strictObject({
  inputTokens: nonNegativeIntegerSchema.exactOptional(),
  outputTokens: nonNegativeIntegerSchema.exactOptional(),
  totalTokens: nonNegativeIntegerSchema.exactOptional(),
  reasoningTokens: nonNegativeIntegerSchema.exactOptional(),
  cacheCreationTokens: nonNegativeIntegerSchema.exactOptional(),
  cacheReadTokens: nonNegativeIntegerSchema.exactOptional(),
  contextLimit: nonNegativeIntegerSchema.exactOptional(),
}) satisfies z.ZodType<ChatMessageUsage>;

/**
 * Schema of {@link ChatMessage}. Rejects unknown fields on the message itself; its `content` is
 * stored data and is always validated with the tolerant rules of
 * {@link storedChatMessageContentSchema}, so a message written by a newer version can be relayed.
 */
export const chatMessageSchema = z.strictObject({
  id: positiveIntegerSchema,
  chatId: identifierSchema,
  role: chatMessageRoleSchema,
  content: storedChatMessageContentSchema,
  createdAt: timestampSchema,
  revision: nonNegativeIntegerSchema.exactOptional(),
  createdBy: identifierSchema.exactOptional(),
  modelConfigId: identifierSchema.exactOptional(),
  usage: chatMessageUsageSchema.exactOptional(),
  costMicros: nonNegativeIntegerSchema.exactOptional(),
  runtimeMs: nonNegativeIntegerSchema.exactOptional(),
}) satisfies z.ZodType<ChatMessage>;

/**
 * Schema of {@link QueuedChatMessage}. Rejects unknown fields; `content` is validated like
 * {@link ChatMessage.content}.
 */
export const queuedChatMessageSchema = z.strictObject({
  id: positiveIntegerSchema,
  chatId: identifierSchema,
  content: storedChatMessageContentSchema,
  createdAt: timestampSchema,
  createdBy: identifierSchema.exactOptional(),
  modelConfigId: identifierSchema.exactOptional(),
}) satisfies z.ZodType<QueuedChatMessage>;
