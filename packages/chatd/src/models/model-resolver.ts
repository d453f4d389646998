import type { LanguageModel, streamText } from 'ai';

/** Provider-specific options, as `streamText` takes them (`{ openai: { … } }`). */
export type ProviderOptions = NonNullable<Parameters<typeof streamText>[0]['providerOptions']>;

/** A language model object (not a provider-registry string id). */
export type ChatModel = Exclude<LanguageModel, string>;

/**
 * Prices of one model in micro-dollars per million tokens. A category without a price costs
 * nothing; a model without any price has no cost (`costMicros` stays unset).
 */
export interface ModelPricing {
  /** Input tokens not read from the provider's cache. */
  input?: number;
  /** Output tokens, reasoning included (providers count reasoning as output). */
  output?: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheRead?: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWrite?: number;
}

/** Everything chatd needs to run a turn on one model configuration. */
export interface ResolvedModel {
  /** The AI SDK model. */
  model: ChatModel;
  /**
   * The model's context window in tokens; compaction needs it. Unknown: no automatic
   * compaction, and tool results get a 64 KiB budget.
   */
  contextLimitTokens?: number;
  /**
   * The most tokens one step may produce.
   * @default 32000
   */
  maxOutputTokens?: number;
  /** Prices, for the cost on every assistant message. */
  pricing?: ModelPricing;
  /** Passed to the provider on every call (`streamText({ providerOptions })`). */
  providerOptions?: ProviderOptions;
  /**
   * Compact the history when the context reaches this percentage of `contextLimitTokens`.
   * `100` turns automatic compaction off (a manual `compact` still runs).
   * @default 70
   */
  compactionThresholdPercent?: number;
}

/** Who a model is resolved for, so a resolver can pick per-owner keys or models. */
export interface ModelResolveContext {
  /** The chat the model runs for. */
  chatId: string;
  /** The chat's owner. */
  ownerId: string;
}

/**
 * Maps a model configuration id (what chats store) to a model. chatd asks `has` before it
 * writes a chat or message naming a configuration, and `resolve` before each model call.
 */
export interface ModelResolver {
  /** Whether `modelConfigId` names a usable configuration. */
  has(modelConfigId: string): boolean | Promise<boolean>;
  /**
   * The model for `modelConfigId`. Throws when it is unknown or cannot be built (the turn
   * then ends in `error` with kind `config`).
   */
  resolve(
    modelConfigId: string,
    context: ModelResolveContext,
  ): ResolvedModel | Promise<ResolvedModel>;
  /**
   * The configuration used when a chat is created without one.
   * A resolver without a default requires `modelConfigId` on every new chat.
   */
  readonly defaultModelConfigId?: string;
}
