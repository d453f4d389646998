/**
 * The typed client of a chatd server: one method per route of `/v1`, chat streams that
 * reconnect and resume by themselves, and {@link ChatView}, the reducer every chat UI needs.
 *
 * @packageDocumentation
 */

export type { Chat } from '@chatd/core';
export { ChatView, type PreviewPart, type RetryInfo } from './chat-view.js';
export { ChatdClient, type ClientOptions, createClient } from './client.js';
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
  ToolResultInput,
  User,
} from './types.js';
