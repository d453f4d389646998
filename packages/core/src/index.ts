/**
 * The shared vocabulary of chatd and the small runtime pieces every package needs.
 *
 * - **Protocol types**: {@link ChatMessage} and its {@link ChatMessageContent} of
 *   {@link ChatMessagePart}s; {@link ChatStreamPart}s, which map one to one onto the AI SDK's UI
 *   message stream chunks; {@link ChatStreamEvent}s; {@link ChatStatus} and
 *   {@link ChatErrorInfo}. Each union is told apart by `type`; take one member with
 *   `Extract<ChatStreamPart, { type: 'text-delta' }>`.
 * - **One `parse*`/`read*` pair per document**: content ({@link parseChatMessageContent},
 *   {@link readChatMessageContent}) and stream events ({@link parseChatStreamEvent},
 *   {@link readChatStreamEvent}); error payloads are read with {@link readChatErrorInfo}.
 *   `parse*` is strict, for what this version writes: unknown types and fields are rejected with
 *   a `VALIDATION_FAILED` error naming each path. `read*` is tolerant, for stored data and peers
 *   that may be newer: unknown part types and fields are kept verbatim, unknown events come back
 *   as `unrecognized`, and only malformed data of a known type is rejected. The zod schemas that
 *   other packages compose into their own ({@link chatMessageContentSchema},
 *   {@link chatErrorInfoSchema}, {@link chatMessageUsageSchema}, {@link jsonValueSchema}) are
 *   the strict ones.
 * - **{@link ChatdError}**: the error base class with stable codes and a cross-copy
 *   `isInstance`.
 * - **{@link Clock}**: the one source of time, so every timeout can be driven by tests
 *   (`ManualClock` in `@chatd/core/testing`); {@link withDeadline} builds a deadline on it.
 * - **{@link Logger}**: the pino subset libraries accept, silent by default; {@link redactUrl}.
 * - **{@link parseArgument}**: parses a public method's argument with a zod schema, throwing
 *   `INVALID_ARGUMENT` or `VALIDATION_FAILED` that name the bad field.
 * - **{@link BoundedQueue}**: the one bounded push-to-pull bridge with a named overflow policy.
 *
 * Depends on zod only.
 *
 * @packageDocumentation
 */
export {
  type Clock,
  realClock,
  type TimerHandle,
  withDeadline,
} from './clock/index.js';
export {
  ChatdError,
  type ChatdErrorOptions,
  InvalidArgumentError,
  ValidationFailedError,
  type ValidationIssue,
} from './errors/index.js';
export { type LogFields, type Logger, silentLogger } from './logger/index.js';
export {
  type KnownOptions,
  parseArgument,
  requireKnownOptions,
  requirePositiveInteger,
  requirePositiveNumber,
} from './options/index.js';
export {
  CHAT_MESSAGE_CONTENT_VERSION,
  CHAT_MESSAGE_ROLES,
  CHAT_STATUSES,
  type Chat,
  type ChatErrorInfo,
  type ChatErrorKind,
  type ChatMessage,
  type ChatMessageContent,
  type ChatMessagePart,
  type ChatMessageRole,
  type ChatMessageUsage,
  type ChatStatus,
  type ChatStreamEvent,
  type ChatStreamPart,
  chatErrorInfoSchema,
  chatMessageContentSchema,
  chatMessageUsageSchema,
  findJsonIssues,
  type JsonObject,
  type JsonValue,
  jsonValueSchema,
  type PendingToolCall,
  type ProviderMetadata,
  parseChatMessageContent,
  parseChatStreamEvent,
  type QueuedChatMessage,
  readChatErrorInfo,
  readChatMessageContent,
  readChatStreamEvent,
  type StoredChatMessageContent,
  type StoredChatMessagePart,
  type ToolCallPart,
  type ToolResultPart,
} from './protocol/index.js';
export { BoundedQueue, fromSubscribable } from './queue/index.js';
export { redactUrl } from './url/index.js';
