import { z } from 'zod';
import { ValidationFailedError, type ValidationIssue } from '../errors/core-errors.js';
import { CHAT_STATUSES } from './chat-status.js';
import { fieldOf, hasOnlyUnrecognizedKeys } from './common.js';
import { CHAT_ERROR_KINDS, type ChatErrorInfo, chatErrorInfoSchema } from './error-info.js';
import {
  type ChatMessageContent,
  chatMessageContentSchema,
  type StoredChatMessageContent,
  storedChatMessageContentSchema,
} from './message-content.js';
import { type ChatMessagePart, chatMessagePartSchema } from './message-part.js';
import {
  CHAT_STREAM_EVENT_TYPES,
  type ChatStreamEvent,
  chatMessagePartEventSchema,
  chatStreamEventSchema,
  type UnrecognizedChatStreamEvent,
} from './stream-event.js';
import {
  CHAT_STREAM_PART_TYPES,
  type ChatStreamPart,
  chatStreamPartSchema,
} from './stream-part.js';

/*
 * Strict on write, tolerant on read.
 *
 * - `parse*` (write path: what this version produces) rejects unknown types, missing or invalid
 *   fields and unknown fields. Unknown fields are rejected rather than stripped: stripping would
 *   silently drop a misspelt `providerMetadata`, the kind of loss this protocol exists to stop.
 * - `read*` (read path: what storage or a peer hands back, possibly written by a newer version)
 *   reuses the same schemas but keeps unknown fields, keeps unknown message part types verbatim,
 *   maps unknown error kinds to `generic` and reports unknown events as `unrecognized`. It still
 *   throws on malformed data of known types: that is corruption or a bug, not version skew.
 */

const knownEventTypes: ReadonlySet<string> = new Set(CHAT_STREAM_EVENT_TYPES);
const knownStreamPartTypes: ReadonlySet<string> = new Set(CHAT_STREAM_PART_TYPES);
const knownStatuses: ReadonlySet<string> = new Set(CHAT_STATUSES);
const knownErrorKinds: ReadonlySet<string> = new Set(CHAT_ERROR_KINDS);

/** A `message-part` event whose part is only checked to be an object with a string type. */
const messagePartEnvelopeSchema = chatMessagePartEventSchema.extend({
  part: z.looseObject({ type: z.string() }),
});

function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'symbol' ? key.toString() : key)),
    message: issue.message,
  }));
}

function fail(what: string, error: z.ZodError, { tolerant }: { tolerant: boolean }): never {
  // A tolerant read accepts unknown keys, so it does not report them among the real problems.
  const issues = tolerant
    ? error.issues.filter((issue) => issue.code !== 'unrecognized_keys')
    : error.issues;
  throw new ValidationFailedError(what, toValidationIssues(issues), { cause: error });
}

function parseStrictly<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) fail(what, result.error, { tolerant: false });
  return result.data;
}

/**
 * Parses with a strict schema but accepts a value whose only problem is fields this version
 * does not know; such a value is returned as given, extra fields included (see
 * `hasOnlyUnrecognizedKeys` for why that is sound).
 */
function parseTolerantly<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  if (hasOnlyUnrecognizedKeys(result.error.issues)) return value as T;
  fail(what, result.error, { tolerant: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of an error info with an unknown (newer) `kind` replaced by `generic`. */
function withKnownErrorKind(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const kind = value.kind;
  if (typeof kind !== 'string' || knownErrorKinds.has(kind)) return value;
  return { ...value, kind: 'generic' };
}

/**
 * Validates a message part this version is about to write or send.
 *
 * @param value - The candidate part, e.g. built by a stream accumulator or received from a
 *   client.
 * @returns The part, typed; a copy with the same fields.
 * @throws ValidationFailedError `VALIDATION_FAILED` on an unknown part type, a missing or
 *   invalid field or an unknown field; `issues` name each path (`toolCallId`,
 *   `providerMetadata.anthropic.signature`) and problem.
 */
export function parseChatMessagePart(value: unknown): ChatMessagePart {
  return parseStrictly(chatMessagePartSchema, value, 'chat message part');
}

/**
 * Validates message content this version is about to write: version
 * {@link CHAT_MESSAGE_CONTENT_VERSION}, known part types only, no unknown fields.
 *
 * To write back content obtained from {@link readChatMessageContent}, serialise it as is
 * instead: it may legitimately hold parts and fields from a newer version, which this function
 * would reject.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` naming each offending path, e.g.
 *   `parts.1.toolCallId`.
 * @example
 * ```ts
 * const content = parseChatMessageContent({
 *   version: CHAT_MESSAGE_CONTENT_VERSION,
 *   parts: [{ type: 'text', text: 'Hello' }],
 * });
 * ```
 */
export function parseChatMessageContent(value: unknown): ChatMessageContent {
  return parseStrictly(chatMessageContentSchema, value, 'chat message content');
}

/**
 * Reads stored message content (a parsed JSON value), tolerating content from a newer version
 * so that one new part type never makes a chat's history unreadable.
 *
 * - Any positive `version` is accepted, including ones newer than
 *   {@link CHAT_MESSAGE_CONTENT_VERSION}.
 * - Parts of unknown types are kept verbatim as {@link UnknownChatMessagePart}s, in place;
 *   skip them with {@link isKnownChatMessagePart}.
 * - Unknown fields, on the content or on known parts, are kept verbatim.
 * - Serialising the result writes back exactly what was read.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` when the value is not content at all (no
 *   positive integer `version`, no `parts` array, a part that is not an object with a string
 *   `type`) or a part of a known type is malformed (a missing or invalid field): the write path
 *   never produces that, so it is corruption or a bug and is reported rather than hidden.
 */
export function readChatMessageContent(value: unknown): StoredChatMessageContent {
  return parseStrictly(storedChatMessageContentSchema, value, 'chat message content');
}

/**
 * Validates a stream part this version is about to publish.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` on an unknown part type, a missing or
 *   invalid field or an unknown field.
 */
export function parseChatStreamPart(value: unknown): ChatStreamPart {
  return parseStrictly(chatStreamPartSchema, value, 'chat stream part');
}

/**
 * Validates a stream event this version is about to publish. Strict everywhere except inside
 * committed messages' `content`, which is stored data and follows
 * {@link readChatMessageContent}'s rules (a message written by a newer version can be relayed).
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` on an unknown event or part type, a missing
 *   or invalid field or an unknown field, naming each path (e.g. `part.delta`).
 */
export function parseChatStreamEvent(value: unknown): ChatStreamEvent {
  return parseStrictly(chatStreamEventSchema, value, 'chat stream event');
}

/**
 * Reads a stream event received from a server or a peer, tolerating a newer sender.
 *
 * - An unknown event type, a `message-part` event with an unknown stream part type and a
 *   `status` event with an unknown status return an {@link UnrecognizedChatStreamEvent}
 *   (`type: 'unrecognized'`), which the caller skips.
 * - Unknown error kinds (in `error` and `retry` events) become `generic`.
 * - Unknown fields are kept; message content follows {@link readChatMessageContent}.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` when the value is not an object with a
 *   string `type`, or an event of a known type is malformed (for `unknown-part-type`, when the
 *   `message-part` envelope is malformed).
 */
export function readChatStreamEvent(value: unknown): ChatStreamEvent | UnrecognizedChatStreamEvent {
  const what = 'chat stream event';
  if (!isRecord(value) || typeof value.type !== 'string') {
    return parseStrictly(chatStreamEventSchema, value, what);
  }
  const type = value.type;
  if (!knownEventTypes.has(type)) {
    return { type: 'unrecognized', reason: 'unknown-event-type', raw: value };
  }
  if (type === 'message-part') {
    const partType = fieldOf(value.part, 'type');
    if (typeof partType === 'string' && !knownStreamPartTypes.has(partType)) {
      parseTolerantly(messagePartEnvelopeSchema, value, what);
      return { type: 'unrecognized', reason: 'unknown-part-type', raw: value };
    }
  }
  if (type === 'status' && typeof value.status === 'string' && !knownStatuses.has(value.status)) {
    return { type: 'unrecognized', reason: 'unknown-status', raw: value };
  }
  const normalized =
    type === 'error' || type === 'retry'
      ? { ...value, error: withKnownErrorKind(value.error) }
      : value;
  return parseTolerantly(chatStreamEventSchema, normalized, what);
}

/**
 * Validates an error payload this version is about to store or send.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` on a missing or invalid field, an unknown
 *   `kind` or an unknown field.
 */
export function parseChatErrorInfo(value: unknown): ChatErrorInfo {
  return parseStrictly(chatErrorInfoSchema, value, 'chat error info');
}

/**
 * Reads a stored or received error payload, tolerating a newer writer: an unknown `kind` is
 * read as `generic` (the message still explains the failure) and unknown fields are kept.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` on a missing or invalid field.
 */
export function readChatErrorInfo(value: unknown): ChatErrorInfo {
  return parseTolerantly(chatErrorInfoSchema, withKnownErrorKind(value), 'chat error info');
}
