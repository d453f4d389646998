import type { Logger } from '@chatd/core';
import type { MessageStore } from '@chatd/message-store';
import type { EpisodeKey, MessagePartBuffer } from '@chatd/messagepartbuffer';
import type { FeedPart } from './chat-feed.js';

/** Where a part source delivers: the feed's copy of the episode. */
export interface PartSink {
  /** The seq of the last part the feed has. */
  afterSeq(): number;
  /** Offers the next part; `false` when it leaves a gap (the source then re-reads). */
  accept(part: FeedPart): boolean;
}

/** A running part source; `stop()` releases everything it holds. */
export interface PartSource {
  stop(): void;
}

/** Starts following `key`'s parts: from this replica's buffer when `local`, else from drafts. */
export type PartSourceFactory = (key: EpisodeKey, local: boolean, sink: PartSink) => PartSource;

/** The part sources of one chatd instance. */
export function partSources(
  store: MessageStore,
  buffer: MessagePartBuffer,
  logger: Logger,
): PartSourceFactory {
  void store;
  return (key, local, sink) => (local ? followBuffer(buffer, key, sink, logger) : { stop() {} });
}

/**
 * Follows the episode in this replica's buffer (the generating task adds to it here): parts
 * arrive as they are added. A subscription the buffer ended for being slow, or a gap, is
 * followed again from the last part the feed has.
 */
function followBuffer(
  buffer: MessagePartBuffer,
  key: EpisodeKey,
  sink: PartSink,
  logger: Logger,
): PartSource {
  const controller = new AbortController();
  const { signal } = controller;
  void (async () => {
    while (!signal.aborted) {
      const subscription = buffer.subscribe(key, { signal, afterSeq: sink.afterSeq() });
      let gap = false;
      for await (const stored of subscription) {
        if (!sink.accept(stored)) {
          gap = true;
          subscription.cancel();
          break;
        }
      }
      if (gap) continue;
      const reason = await subscription.ended;
      if (reason !== 'too-slow') return;
    }
  })().catch((error: unknown) => {
    if (!signal.aborted) logger.warn({ err: error, chatId: key.chatId }, 'following parts failed');
  });
  return { stop: () => controller.abort() };
}
