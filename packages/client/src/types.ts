import type { ChatMessage, ChatStreamEvent, QueuedChatMessage } from '@chatd/core';

/** Message content in a request: a string (one text part) or an array of core's input parts. */
export type ContentInput = string | Array<Record<string, unknown> & { type: string }>;

/** `POST /v1/chats`. */
export interface CreateChatRequest {
  content: ContentInput;
  modelConfigId?: string;
  title?: string;
  systemPrompt?: string;
  labels?: Record<string, string>;
  /**
   * Client tools the chat declares: the model may call them, the chat then waits in
   * `requires-action` until the client posts their results with `actions.submitToolResults`.
   */
  dynamicTools?: Array<{
    name: string;
    description?: string;
    inputSchema: Record<string, unknown>;
  }>;
}

/** `POST /v1/chats/:id/messages`. */
export interface SendMessageRequest {
  content: ContentInput;
  /** While a turn runs: wait in the queue (default) or stop the turn and answer this next. */
  busy?: 'queue' | 'interrupt';
  modelConfigId?: string;
}

/** What sending did: answered next (`message`) or queued (`queuedMessage`). */
export interface SendMessageResult {
  queued: boolean;
  message?: ChatMessage;
  queuedMessage?: QueuedChatMessage;
}

/** A page of messages, newest first unless only `afterId` was given. */
export interface MessagePage {
  messages: ChatMessage[];
  hasMore: boolean;
}

/** A model configuration of `GET /v1/models`. */
export interface ModelInfo {
  id: string;
  provider: string;
  label: string;
  demo: boolean;
  /** The model a new chat gets when it names none. */
  default: boolean;
}

/** A user of the server. */
export interface User {
  id: string;
  name: string;
  isAdmin: boolean;
}

/** An API token as listed: never the token itself. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** A client tool's result for `submitToolResults`. */
export interface ToolResultInput {
  toolCallId: string;
  output: unknown;
  isError?: boolean;
}

/** The state of a stream's connection, reported as `{ type: 'connection' }` events. */
export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: string };

/** What `client.stream` yields: server events with their cursor, and connection changes. */
export type ClientStreamEvent =
  | (ChatStreamEvent & { cursor: string | undefined })
  | ({ type: 'connection' } & ConnectionState);
