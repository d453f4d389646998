import type { z } from 'zod';
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
import {
  type ChatStreamEvent,
  chatStreamEventSchema,
  chatStreamEventTypes,
  messagePartEnvelopeSchema,
} from './stream-event.js';
import { chatStreamPartTypes } from './stream-part.js';

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

const knownEventTypes: ReadonlySet<string> = new Set(chatStreamEventTypes);
const knownStreamPartTypes: ReadonlySet<string> = new Set(chatStreamPartTypes);
const knownStatuses: ReadonlySet<string> = new Set(CHAT_STATUSES);
const knownErrorKinds: ReadonlySet<string> = new Set(CHAT_ERROR_KINDS);

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
 * - Parts of unknown types are kept verbatim, in place (see {@link StoredChatMessagePart});
 *   a renderer skips every `type` it does not know.
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
 *   `status` event with an unknown status return `{ type: 'unrecognized', reason, raw }`, which
 *   the caller skips. `unrecognized` is never sent: no {@link ChatStreamEvent} has that type.
 * - Unknown error kinds (in `error` and `retry` events) become `generic`.
 * - Unknown fields are kept; message content follows {@link readChatMessageContent}.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` when the value is not an object with a
 *   string `type`, or an event of a known type is malformed (for `unknown-part-type`, when the
 *   `message-part` envelope is malformed).
 */
export function readChatStreamEvent(value: unknown):
  | ChatStreamEvent
  | {
      /** Marks an event from a newer version that this version cannot represent. */
      type: 'unrecognized';
      /**
       * What was not recognised: the event type, the stream part type of a `message-part`
       * event, or the status of a `status` event.
       */
      reason: 'unknown-event-type' | 'unknown-part-type' | 'unknown-status';
      /**
       * The event as received, verbatim. For `unknown-part-type` its envelope (`chatId`,
       * `historyVersion`, `generationAttempt`, `seq`, `role`) has been validated, so a
       * subscriber that checks `seq` continuity can advance past the part it skips.
       */
      raw: Readonly<Record<string, unknown>>;
    } {
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
 * Reads a stored or received error payload, tolerating a newer writer: an unknown `kind` is
 * read as `generic` (the message still explains the failure) and unknown fields are kept.
 *
 * @throws ValidationFailedError `VALIDATION_FAILED` on a missing or invalid field.
 */
export function readChatErrorInfo(value: unknown): ChatErrorInfo {
  return parseTolerantly(chatErrorInfoSchema, withKnownErrorKind(value), 'chat error info');
}
