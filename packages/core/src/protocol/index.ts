export type { Chat } from './chat.js';
export {
  type ChatMessage,
  type ChatMessageUsage,
  chatMessageUsageSchema,
  type QueuedChatMessage,
} from './chat-message.js';
export { CHAT_STATUSES, type ChatStatus } from './chat-status.js';
export { type ChatErrorInfo, type ChatErrorKind, chatErrorInfoSchema } from './error-info.js';
export { findJsonIssues, type JsonObject, type JsonValue, jsonValueSchema } from './json.js';
export {
  CHAT_MESSAGE_CONTENT_VERSION,
  type ChatMessageContent,
  chatMessageContentSchema,
  type StoredChatMessageContent,
} from './message-content.js';
export type {
  ChatMessagePart,
  StoredChatMessagePart,
  ToolCallPart,
  ToolResultPart,
} from './message-part.js';
export { CHAT_MESSAGE_ROLES, type ChatMessageRole } from './message-role.js';
export {
  parseChatMessageContent,
  parseChatStreamEvent,
  readChatErrorInfo,
  readChatMessageContent,
  readChatStreamEvent,
} from './parse.js';
export type { ProviderMetadata } from './provider-metadata.js';
export type { ChatStreamEvent, PendingToolCall } from './stream-event.js';
export type { ChatStreamPart } from './stream-part.js';
