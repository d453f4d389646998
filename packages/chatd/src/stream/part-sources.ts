import type { Logger } from '@chatd/core';
import { type MessageStore, readDraftAnnouncement } from '@chatd/message-store';
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
  return (key, local, sink) =>
    local ? followBuffer(buffer, key, sink, logger) : followDrafts(store, key, sink, logger);
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

/**
 * Follows an episode another replica generates, through the draft rows it writes: each
 * announcement on `chat:draft:<chatId>` carries a batch's seq range and, when it fit, the
 * parts. Parts that did not come inline, that follow a gap, or that were published while the
 * channel was reconnecting (`resync`) are read from the rows; reads run one at a time and
 * start after the last part the feed has, so nothing is taken twice or skipped. Inline parts
 * that arrive ahead of a gap are kept until a read fills it: the commit that ends the episode
 * deletes its rows, so a read after it finds nothing, and the announcement may be the only
 * copy of the last parts left.
 */
function followDrafts(
  store: MessageStore,
  key: EpisodeKey,
  sink: PartSink,
  logger: Logger,
): PartSource {
  const announcements = store.pubsub.subscribe(`chat:draft:${key.chatId}`);
  /** Inline parts past a gap, by seq, until the gap is filled. */
  const ahead = new Map<number, FeedPart>();
  let stopped = false;
  let reading: Promise<void> | undefined;
  let readAgain = false;

  /** Hands the sink every part it can take next from `ahead`; `false` while a gap remains. */
  const drainAhead = (): boolean => {
    for (;;) {
      const next = ahead.get(sink.afterSeq() + 1);
      if (next === undefined) break;
      ahead.delete(next.seq);
      sink.accept(next);
    }
    for (const seq of ahead.keys()) if (seq <= sink.afterSeq()) ahead.delete(seq);
    return ahead.size === 0;
  };

  const catchUp = (): Promise<void> => {
    if (reading !== undefined) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      try {
        do {
          readAgain = false;
          const envelopes = await store.readDraft(key, { afterSeq: sink.afterSeq() });
          if (stopped) return;
          for (const envelope of envelopes) sink.accept(envelope);
          drainAhead();
        } while (readAgain && !stopped);
      } catch (error) {
        if (!stopped) logger.warn({ err: error, chatId: key.chatId }, 'reading drafts failed');
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };

  void (async () => {
    await announcements.ready;
    await catchUp();
    for await (const event of announcements) {
      if (event.type === 'resync') {
        void catchUp();
        continue;
      }
      const announcement = readDraftAnnouncement(event.payload);
      if (
        announcement === undefined ||
        announcement.historyVersion !== key.historyVersion ||
        announcement.generationAttempt !== key.generationAttempt ||
        announcement.lastSeq <= sink.afterSeq()
      ) {
        continue;
      }
      const inline = announcement.envelopes;
      if (inline !== undefined) {
        for (const envelope of inline) {
          if (envelope.seq > sink.afterSeq()) ahead.set(envelope.seq, envelope);
        }
        if (drainAhead()) continue;
      }
      void catchUp();
    }
  })().catch((error: unknown) => {
    if (!stopped) logger.warn({ err: error, chatId: key.chatId }, 'following drafts failed');
  });

  return {
    stop() {
      stopped = true;
      ahead.clear();
      announcements.cancel();
    },
  };
}
