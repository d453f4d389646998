import type { ChatMessageRole, ChatStreamPart } from '@chatd/core';
import type { EpisodeKey } from '@chatd/messagepartbuffer';
import type { EngineContext } from '../tasks/engine-context.js';

/** Adds one streamed part to the attempt's episode (best effort). */
export type Publish = (role: ChatMessageRole, part: ChatStreamPart) => void;

/**
 * Parts a follower on another replica should see without waiting for the draft writer's
 * window: a tool call's input complete, a tool's result, the end of a step.
 */
const URGENT_PARTS: ReadonlySet<string> = new Set([
  'tool-input-available',
  'tool-output-available',
  'tool-output-error',
  'finish-step',
]);

/** The parts one generation attempt streams, and how to end them. */
export interface Episode {
  readonly publish: Publish;
  /** Ends the episode: closed in the buffer, its drafts flushed (in the background). */
  close(): void;
}

/**
 * Opens the episode of one attempt. Its parts go into the buffer, for this replica's
 * subscribers and for interrupt recovery, and into the store's draft rows, which other
 * replicas follow and a replica that takes the chat over after a crash recovers from. Both
 * numbered by the buffer's seq. Best effort: a full episode drops parts (the committed step is
 * the truth), and a draft that cannot be written is logged by the writer, never thrown here.
 */
export function openEpisode(context: EngineContext, key: EpisodeKey): Episode {
  const { buffer, store, logger } = context;
  buffer.createEpisode(key);
  return {
    publish(role, part) {
      let seq: number;
      try {
        seq = buffer.addPart(key, role, part).seq;
      } catch {
        return;
      }
      try {
        store.drafts.append(key, [{ seq, role, part }], { urgent: URGENT_PARTS.has(part.type) });
      } catch (error) {
        logger.warn({ err: error, chatId: key.chatId }, 'appending to the draft failed');
      }
    },
    close() {
      try {
        buffer.closeEpisode(key);
      } catch {}
      // Not awaited: the commit that follows deletes the rows in its own transaction, and a
      // batch written after it finds the chat moved on and writes nothing.
      store.drafts.end(key).catch((error: unknown) => {
        logger.warn({ err: error, chatId: key.chatId }, 'flushing the draft failed');
      });
    },
  };
}
