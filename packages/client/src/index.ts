/**
 * The typed client of a chatd server: one method per route of `/v1`, chat streams that
 * reconnect and resume by themselves, {@link ChatView}, the reducer every chat UI needs, and
 * {@link toUiMessageChunks}, which turns a chat stream into the AI SDK's UI message stream
 * (`@chatd/client/use-chat` builds a `useChat` transport on it).
 *
 * @packageDocumentation
 */

export type { Chat } from '@chatd/core';
export { ChatView, type PreviewPart, type RetryInfo } from './chat-view.js';
export { ChatdClient, type ClientOptions, createClient, type ListChatsQuery } from './client.js';
export { ChatdClientError } from './errors.js';
export type { StreamOptions } from './stream.js';
export type {
  ClientStreamEvent,
  ConnectionState,
  ContentInput,
  CreateChatRequest,
  MessagePage,
  ModelInfo,
  SendMessageRequest,
  SendMessageResult,
  TokenInfo,
  ToolResultInput,
  User,
} from './types.js';
export {
  type QueuedMessageRef,
  toUiMessageChunks,
  turnOfQueuedMessage,
  type UiMessageChunk,
  type UiMessageChunkOptions,
} from './ui-chunks.js';
