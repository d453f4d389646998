import type { Clock, Logger } from '@chatd/core';
import type { MessageStore } from '@chatd/message-store';
import type { MessagePartBuffer } from '@chatd/messagepartbuffer';
import type { ResolvedChatdOptions } from '../chatd/options.js';
import type { ModelResolver } from '../models/model-resolver.js';
import type { CommittedChat } from '../stream/chat-feed.js';
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
  /**
   * Called once a step's commit is in, before its hint goes out, with the chat as the commit
   * left it and every message it wrote: this replica's streams of the chat take it instead of
   * reading the chat again.
   */
  readonly onCommitted: (chatId: string, commit: CommittedChat) => void;
}
