/**
 * The chatd engine: turns durable chat state (`@chatd/message-store`) into model turns on the
 * Vercel AI SDK.
 *
 * @packageDocumentation
 */
export type { ChatdOptions, ResolvedChatdOptions } from './chatd/options.js';
export type {
  ChatModel,
  ModelPricing,
  ModelResolveContext,
  ModelResolver,
  ProviderOptions,
  ResolvedModel,
} from './models/model-resolver.js';
export type { ToolProvider, ToolTurnContext, TurnTools } from './tools/tool-provider.js';
