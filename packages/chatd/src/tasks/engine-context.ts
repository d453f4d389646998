import type { Clock, Logger } from '@chatd/core';
import type { MessageStore } from '@chatd/message-store';
import type { MessagePartBuffer } from '@chatd/messagepartbuffer';
import type { ResolvedChatdOptions } from '../chatd/options.js';
import type { ModelResolver } from '../models/model-resolver.js';
import type { ToolProvider } from '../tools/tool-provider.js';

/** Counters the tasks keep for `Chatd.stats()`. */
export interface EngineCounters {
  inputTokens: number;
  outputTokens: number;
  /** Failed model calls by error kind (`rate-limit`, `overloaded`, `auth`, …). */
  readonly providerErrors: Map<string, number>;
}

/** What every task works with: one per chatd instance. */
export interface EngineContext {
  readonly store: MessageStore;
  readonly buffer: MessagePartBuffer;
  readonly models: ModelResolver;
  readonly tools: ToolProvider | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ResolvedChatdOptions;
  readonly counters: EngineCounters;
}
