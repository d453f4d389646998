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
  memberTypes,
  nonNegativeIntegerSchema,
  positiveIntegerSchema,
  timestampSchema,
  unknownDiscriminatorMessage,
} from './common.js';
import { type ChatErrorInfo, chatErrorInfoSchema } from './error-info.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { type ChatMessageRole, chatMessageRoleSchema } from './message-role.js';
import { type ChatStreamPart, chatStreamPartSchema } from './stream-part.js';

/** A tool call that waits for the client to execute it and post the result. */
export interface PendingToolCall {
  /** Id of the tool call; the client posts its result under this id. */
  toolCallId: string;
  /** Name of the tool to execute. */
  toolName: string;
  /** The arguments the model passed. */
  input: JsonValue;
}

/**
 * One event of a chat's subscription stream: preview parts, committed messages and state
 * changes, each carrying its `chatId`, told apart by `type`. Pick one kind with
 * `Extract<ChatStreamEvent, { type: 'message-part' }>`.
 */
export type ChatStreamEvent =
  | {
      /**
       * `message-part`: one streamed part of the in-flight message (the preview).
       *
       * Parts are keyed by episode, `(historyVersion, generationAttempt)`, and numbered by
       * `seq` within it, so a subscriber never mixes parts of a stale worker or an earlier
       * attempt with the current ones: it drops parts of another episode, drops a `seq` it has
       * already seen, and resynchronises when it sees a gap.
       */
      type: 'message-part';
      /** Id of the chat the event is about. */
      chatId: string;
      /** The history version the generation started from. */
      historyVersion: number;
      /** Which attempt at generating from that history this is, from 1. */
      generationAttempt: number;
      /** Position of the part within its episode: 1, 2, 3, … without gaps. */
      seq: number;
      /** Role of the message being streamed (normally `assistant`). */
      role: ChatMessageRole;
      /** The streamed part: an AI SDK UI message stream chunk. */
      part: ChatStreamPart;
    }
  | {
      /** `message`: a message was committed to history, or an already sent one changed (same `id`). */
      type: 'message';
      /** Id of the chat the event is about. */
      chatId: string;
      /** The committed message; clients upsert it by `id`. */
      message: ChatMessage;
    }
  | {
      /** `status`: the chat's status changed (or is being reported on subscribe). */
      type: 'status';
      /** Id of the chat the event is about. */
      chatId: string;
      /** The new status. */
      status: ChatStatus;
    }
  | {
      /** `error`: the chat's generation failed for good; the status is now `error`. */
      type: 'error';
      /** Id of the chat the event is about. */
      chatId: string;
      /** Why it failed. */
      error: ChatErrorInfo;
    }
  | {
      /** `retry`: a generation attempt failed with a retryable error and will be retried after a delay. */
      type: 'retry';
      /** Id of the chat the event is about. */
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
  | {
      /** `queue-update`: the chat's queue of waiting user messages changed; carries the whole queue. */
      type: 'queue-update';
      /** Id of the chat the event is about. */
      chatId: string;
      /** Every queued message, in the order they will run; empty when the queue is empty. */
      queuedMessages: QueuedChatMessage[];
    }
  | {
      /**
       * `action-required`: the chat is `requires-action`; the client must execute these tool
       * calls and post their results.
       */
      type: 'action-required';
      /** Id of the chat the event is about. */
      chatId: string;
      /** Every tool call still waiting for a result. */
      toolCalls: PendingToolCall[];
    }
  | {
      /**
       * `preview-reset`: discard every preview part received so far. The history changed or a
       * new generation attempt started, and any further `message-part` events belong to the new
       * episode.
       */
      type: 'preview-reset';
      /** Id of the chat the event is about. */
      chatId: string;
    }
  | {
      /**
       * `history-reset`: discard every committed message received so far and rebuild from the
       * `message` events that follow: a message was deleted or history was rewritten.
       */
      type: 'history-reset';
      /** Id of the chat the event is about. */
      chatId: string;
    };

const messagePartEventSchema = z.strictObject({
  type: z.literal('message-part'),
  chatId: identifierSchema,
  historyVersion: nonNegativeIntegerSchema,
  generationAttempt: positiveIntegerSchema,
  seq: positiveIntegerSchema,
  role: chatMessageRoleSchema,
  part: chatStreamPartSchema,
});

/**
 * Schema of {@link ChatStreamEvent}, strict: rejects unknown event types, missing or invalid
 * fields and unknown fields (except inside stored message content, which committed messages
 * carry with the tolerant rules of stored data, so a message written by a newer version can be
 * relayed).
 */
export const chatStreamEventSchema = z.discriminatedUnion(
  'type',
  [
    messagePartEventSchema,
    z.strictObject({
      type: z.literal('message'),
      chatId: identifierSchema,
      message: chatMessageSchema,
    }),
    z.strictObject({
      type: z.literal('status'),
      chatId: identifierSchema,
      status: chatStatusSchema,
    }),
    z.strictObject({
      type: z.literal('error'),
      chatId: identifierSchema,
      error: chatErrorInfoSchema,
    }),
    z.strictObject({
      type: z.literal('retry'),
      chatId: identifierSchema,
      attempt: positiveIntegerSchema,
      delayMs: nonNegativeIntegerSchema,
      retryAt: timestampSchema,
      error: chatErrorInfoSchema,
    }),
    z.strictObject({
      type: z.literal('queue-update'),
      chatId: identifierSchema,
      queuedMessages: z.array(queuedChatMessageSchema),
    }),
    z.strictObject({
      type: z.literal('action-required'),
      chatId: identifierSchema,
      toolCalls: z.array(
        z.strictObject({
          toolCallId: identifierSchema,
          toolName: identifierSchema,
          input: jsonValueSchema,
        }) satisfies z.ZodType<PendingToolCall>,
      ),
    }),
    z.strictObject({
      type: z.literal('preview-reset'),
      chatId: identifierSchema,
    }),
    z.strictObject({
      type: z.literal('history-reset'),
      chatId: identifierSchema,
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('event type', issue.input, 'type', chatStreamEventTypes)
        : undefined,
  },
) satisfies z.ZodType<ChatStreamEvent>;

/** Every event `type` this version knows, in schema order. */
export const chatStreamEventTypes = memberTypes(chatStreamEventSchema.options);

/**
 * A `message-part` event whose part is only checked to be an object with a string `type`: the
 * envelope a tolerant reader validates before it skips a part type from a newer version.
 */
export const messagePartEnvelopeSchema = messagePartEventSchema.extend({
  part: z.looseObject({ type: z.string() }),
});
