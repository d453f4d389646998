import { z } from 'zod';
import {
  type ChatMessage,
  chatMessageSchema,
  type QueuedChatMessage,
  queuedChatMessageSchema,
} from './chat-message.js';
import { type ChatStatus, chatStatusSchema } from './chat-status.js';
import {
  identifierSchema,
  nonNegativeIntegerSchema,
  positiveIntegerSchema,
  timestampSchema,
  unknownDiscriminatorMessage,
} from './common.js';
import { type ChatErrorInfo, chatErrorInfoSchema } from './error-info.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { type ChatMessageRole, chatMessageRoleSchema } from './message-role.js';
import { type ChatStreamPart, chatStreamPartSchema } from './stream-part.js';

/** Every {@link ChatStreamEvent} `type` this version knows. */
export const CHAT_STREAM_EVENT_TYPES = [
  'message-part',
  'message',
  'status',
  'error',
  'retry',
  'queue-update',
  'action-required',
  'preview-reset',
  'history-reset',
] as const;

/** The `type` of a {@link ChatStreamEvent}. */
export type ChatStreamEventType = (typeof CHAT_STREAM_EVENT_TYPES)[number];

/**
 * One streamed part of the in-flight message (the preview).
 *
 * Parts are keyed by episode, `(historyVersion, generationAttempt)`, and numbered by `seq`
 * within it, so a subscriber never mixes parts of a stale worker or an earlier attempt with the
 * current ones: it drops parts of another episode, drops a `seq` it has already seen, and
 * resynchronises when it sees a gap.
 */
export interface ChatMessagePartEvent {
  /** Discriminator. */
  type: 'message-part';
  /** The chat. */
  chatId: string;
  /** The history version the generation started from. */
  historyVersion: number;
  /** Which attempt at generating from that history this is, from 1. */
  generationAttempt: number;
  /** Position of the part within its episode: 1, 2, 3, … without gaps. */
  seq: number;
  /** Role of the message being streamed (normally `assistant`). */
  role: ChatMessageRole;
  /** The part itself. */
  part: ChatStreamPart;
}

/** A message was committed to history, or an already sent one changed (same `id`). */
export interface ChatMessageEvent {
  /** Discriminator. */
  type: 'message';
  /** The chat. */
  chatId: string;
  /** The committed message; clients upsert it by `id`. */
  message: ChatMessage;
}

/** The chat's status changed (or is being reported on subscribe). */
export interface ChatStatusEvent {
  /** Discriminator. */
  type: 'status';
  /** The chat. */
  chatId: string;
  /** The new status. */
  status: ChatStatus;
}

/** The chat's generation failed for good; the status is now `error`. */
export interface ChatErrorEvent {
  /** Discriminator. */
  type: 'error';
  /** The chat. */
  chatId: string;
  /** Why it failed. */
  error: ChatErrorInfo;
}

/** A generation attempt failed with a retryable error and will be retried after a delay. */
export interface ChatRetryEvent {
  /** Discriminator. */
  type: 'retry';
  /** The chat. */
  chatId: string;
  /** Which retry is coming: 1 for the first retry after the initial attempt failed. */
  attempt: number;
  /** How long the worker waits before retrying, in milliseconds. */
  delayMs: number;
  /** When the retry is due (ISO 8601), for countdowns that survive reconnects. */
  retryAt: string;
  /** The failure that caused the retry. */
  error: ChatErrorInfo;
}

/** The chat's queue of waiting user messages changed; carries the whole queue. */
export interface ChatQueueUpdateEvent {
  /** Discriminator. */
  type: 'queue-update';
  /** The chat. */
  chatId: string;
  /** Every queued message, in the order they will run; empty when the queue is empty. */
  queuedMessages: QueuedChatMessage[];
}

/** A tool call that waits for the client to execute it and post the result. */
export interface PendingToolCall {
  /** Id of the tool call; the client posts its result under this id. */
  toolCallId: string;
  /** Name of the tool to execute. */
  toolName: string;
  /** The arguments the model passed. */
  input: JsonValue;
}

/** The chat is `requires-action`: the client must execute these tool calls and post results. */
export interface ChatActionRequiredEvent {
  /** Discriminator. */
  type: 'action-required';
  /** The chat. */
  chatId: string;
  /** Every tool call still waiting for a result. */
  toolCalls: PendingToolCall[];
}

/**
 * Discard every preview part received so far: the history changed or a new generation attempt
 * started, and any further `message-part` events belong to the new episode.
 */
export interface ChatPreviewResetEvent {
  /** Discriminator. */
  type: 'preview-reset';
  /** The chat. */
  chatId: string;
}

/**
 * Discard every committed message received so far and rebuild from the `message` events that
 * follow: a message was deleted or history was rewritten.
 */
export interface ChatHistoryResetEvent {
  /** Discriminator. */
  type: 'history-reset';
  /** The chat. */
  chatId: string;
}

/**
 * One event of a chat's subscription stream: preview parts, committed messages and state
 * changes, each carrying its `chatId`. Discriminated by `type`; see
 * {@link CHAT_STREAM_EVENT_TYPES}.
 */
export type ChatStreamEvent =
  | ChatMessagePartEvent
  | ChatMessageEvent
  | ChatStatusEvent
  | ChatErrorEvent
  | ChatRetryEvent
  | ChatQueueUpdateEvent
  | ChatActionRequiredEvent
  | ChatPreviewResetEvent
  | ChatHistoryResetEvent;

/** Why {@link readChatStreamEvent} could not represent an event. */
export type UnrecognizedChatStreamEventReason =
  | 'unknown-event-type'
  | 'unknown-part-type'
  | 'unknown-status';

/**
 * What the tolerant {@link readChatStreamEvent} returns for an event from a newer version that
 * this version cannot represent: a new event type, a `message-part` event carrying a new stream
 * part type, or a `status` event with a new status. Consumers skip it.
 *
 * Never sent: `unrecognized` is not a {@link ChatStreamEventType}.
 */
export interface UnrecognizedChatStreamEvent {
  /** Marker, distinct from every {@link ChatStreamEventType}. */
  type: 'unrecognized';
  /** What was not recognised. */
  reason: UnrecognizedChatStreamEventReason;
  /**
   * The event as received, verbatim. For `unknown-part-type` its envelope (`chatId`,
   * `historyVersion`, `generationAttempt`, `seq`, `role`) has been validated, so a subscriber
   * that checks `seq` continuity can advance past the part it skips.
   */
  raw: Readonly<Record<string, unknown>>;
}

/** Schema of {@link ChatMessagePartEvent}. Rejects unknown fields. */
export const chatMessagePartEventSchema = z.strictObject({
  type: z.literal('message-part'),
  chatId: identifierSchema,
  historyVersion: nonNegativeIntegerSchema,
  generationAttempt: positiveIntegerSchema,
  seq: positiveIntegerSchema,
  role: chatMessageRoleSchema,
  part: chatStreamPartSchema,
}) satisfies z.ZodType<ChatMessagePartEvent>;

/** Schema of {@link ChatMessageEvent}. Rejects unknown fields. */
export const chatMessageEventSchema = z.strictObject({
  type: z.literal('message'),
  chatId: identifierSchema,
  message: chatMessageSchema,
}) satisfies z.ZodType<ChatMessageEvent>;

/** Schema of {@link ChatStatusEvent}. Rejects unknown fields. */
export const chatStatusEventSchema = z.strictObject({
  type: z.literal('status'),
  chatId: identifierSchema,
  status: chatStatusSchema,
}) satisfies z.ZodType<ChatStatusEvent>;

/** Schema of {@link ChatErrorEvent}. Rejects unknown fields. */
export const chatErrorEventSchema = z.strictObject({
  type: z.literal('error'),
  chatId: identifierSchema,
  error: chatErrorInfoSchema,
}) satisfies z.ZodType<ChatErrorEvent>;

/** Schema of {@link ChatRetryEvent}. Rejects unknown fields. */
export const chatRetryEventSchema = z.strictObject({
  type: z.literal('retry'),
  chatId: identifierSchema,
  attempt: positiveIntegerSchema,
  delayMs: nonNegativeIntegerSchema,
  retryAt: timestampSchema,
  error: chatErrorInfoSchema,
}) satisfies z.ZodType<ChatRetryEvent>;

/** Schema of {@link ChatQueueUpdateEvent}. Rejects unknown fields. */
export const chatQueueUpdateEventSchema = z.strictObject({
  type: z.literal('queue-update'),
  chatId: identifierSchema,
  queuedMessages: z.array(queuedChatMessageSchema),
}) satisfies z.ZodType<ChatQueueUpdateEvent>;

/** Schema of {@link PendingToolCall}. Rejects unknown fields. */
export const pendingToolCallSchema = z.strictObject({
  toolCallId: identifierSchema,
  toolName: identifierSchema,
  input: jsonValueSchema,
}) satisfies z.ZodType<PendingToolCall>;

/** Schema of {@link ChatActionRequiredEvent}. Rejects unknown fields. */
export const chatActionRequiredEventSchema = z.strictObject({
  type: z.literal('action-required'),
  chatId: identifierSchema,
  toolCalls: z.array(pendingToolCallSchema),
}) satisfies z.ZodType<ChatActionRequiredEvent>;

/** Schema of {@link ChatPreviewResetEvent}. Rejects unknown fields. */
export const chatPreviewResetEventSchema = z.strictObject({
  type: z.literal('preview-reset'),
  chatId: identifierSchema,
}) satisfies z.ZodType<ChatPreviewResetEvent>;

/** Schema of {@link ChatHistoryResetEvent}. Rejects unknown fields. */
export const chatHistoryResetEventSchema = z.strictObject({
  type: z.literal('history-reset'),
  chatId: identifierSchema,
}) satisfies z.ZodType<ChatHistoryResetEvent>;

/**
 * Schema of {@link ChatStreamEvent}, strict: rejects unknown event types, missing or invalid
 * fields and unknown fields (except inside stored message content, see
 * {@link chatMessageSchema}).
 */
export const chatStreamEventSchema = z.discriminatedUnion(
  'type',
  [
    chatMessagePartEventSchema,
    chatMessageEventSchema,
    chatStatusEventSchema,
    chatErrorEventSchema,
    chatRetryEventSchema,
    chatQueueUpdateEventSchema,
    chatActionRequiredEventSchema,
    chatPreviewResetEventSchema,
    chatHistoryResetEventSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('event type', issue.input, 'type', CHAT_STREAM_EVENT_TYPES)
        : undefined,
  },
) satisfies z.ZodType<ChatStreamEvent>;
