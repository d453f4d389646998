/**
 * The chatd engine: turns durable chat state (`@chatd/message-store`) into model turns on the
 * Vercel AI SDK.
 *
 * - {@link createChatd} wires a store, a {@link ModelResolver} and optionally a
 *   {@link ToolProvider}; its methods change chats (each one store transition) and read them.
 * - `start()` runs the worker: it acquires runnable chats by lease, runs each chat's turn in a
 *   runner, streams the model's parts into a `@chatd/messagepartbuffer` episode, and commits
 *   every finished step in one transaction fenced on ownership and versions.
 * - `close()` hands the chats over to another replica at once; a crashed replica's chats are
 *   taken over after the store's lease.
 *
 * @packageDocumentation
 */
export type { Chat } from '@chatd/core';
export type { MessageContentInput } from './chatd/chat-info.js';
export {
  Chatd,
  type ChatdStats,
  type CreateChatdOptions,
  type CreateChatInput,
  type CreatedChat,
  createChatd,
  type EditMessageInput,
  type SendMessageInput,
  type SendMessageResult,
} from './chatd/chatd.js';
export type { ChatdOptions } from './chatd/options.js';
export {
  AlreadyStartedError,
  ChatdClosedError,
  type ChatdEngineErrorCode,
  NoDefaultModelConfigError,
  NothingToCompactError,
  UnknownModelConfigError,
} from './errors/chatd-errors.js';
export type {
  ChatModel,
  ModelPricing,
  ModelResolveContext,
  ModelResolver,
  ProviderOptions,
  ResolvedModel,
} from './models/model-resolver.js';
export { staticModels } from './models/static-models.js';
export type { SubscribeOptions } from './stream/stream-hub.js';
export type { ChatStreamEventWithCursor } from './stream/subscriber-events.js';
export type { ToolProvider, ToolTurnContext, TurnTools } from './tools/tool-provider.js';
