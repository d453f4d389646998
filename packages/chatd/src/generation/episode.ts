import type { ChatMessageRole, ChatStreamPart } from '@chatd/core';
import type { EpisodeKey } from '@chatd/messagepartbuffer';
import type { EngineContext } from '../tasks/engine-context.js';

/** Adds one streamed part to the attempt's episode (best effort). */
export type Publish = (role: ChatMessageRole, part: ChatStreamPart) => void;

/**
 * Parts a follower on another replica should see without waiting for the draft writer's
 * window: a tool call's input complete, a tool's result. The end of a step is not among them:
 * `settle` announces the step's last parts before its commit without writing them, where an
 * urgent write would add an insert per step, and its round trip, ahead of the commit.
 */
const URGENT_PARTS: ReadonlySet<string> = new Set([
  'tool-input-available',
  'tool-output-available',
  'tool-output-error',
]);

/** `append`'s options, made once: `publish` runs once per streamed token. */
const URGENT = { urgent: true } as const;
const NOT_URGENT = { urgent: false } as const;

/** How an episode ended. */
export interface EpisodeCloseOptions {
  /**
   * The attempt's step was committed. The commit deletes the episode's draft rows and every
   * replica reads the committed messages instead, so parts not yet written as drafts are
   * dropped rather than written.
   * @default false
   */
  committed?: boolean;
}

/** The parts one generation attempt streams, and how to end them. */
export interface Episode {
  readonly publish: Publish;
  /**
   * Call before committing the step: when other replicas may follow the episode, resolves once
   * every part so far is announced to them (the last ones without being written: the commit
   * deletes the episode's rows). A part still waiting for its batch would otherwise never reach
   * them, and a stream there would end with its text cut short. At once without followers.
   * A failure is logged, never thrown.
   */
  settle(signal: AbortSignal): Promise<void>;
  /**
   * Ends the episode: closed in the buffer; its drafts flushed in the background, or, once the
   * step is committed (`committed: true`), its unwritten drafts dropped.
   */
  close(options?: EpisodeCloseOptions): void;
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
  let full = false;
  return {
    publish(role, part) {
      let stored: ReturnType<typeof buffer.addPart>;
      try {
        stored = buffer.addPart(key, role, part);
      } catch (error) {
        // Said once an episode: every later part of a full episode is refused the same way.
        if (!full) {
          full = true;
          logger.warn(
            { err: error, chatId: key.chatId },
            'the buffer refused a streamed part; the rest of this reply arrives with its commit',
          );
        }
        return;
      }
      try {
        // The buffer's frozen `{ seq, role, part }` is the draft envelope as it is.
        store.drafts.append(key, [stored], URGENT_PARTS.has(part.type) ? URGENT : NOT_URGENT);
      } catch (error) {
        logger.warn({ err: error, chatId: key.chatId }, 'appending to the draft failed');
      }
    },
    async settle(signal) {
      if (!store.drafts.remoteFollowers) return;
      try {
        await store.drafts.announceUnwritten(key, { signal });
      } catch (error) {
        if (!signal.aborted) {
          logger.warn({ err: error, chatId: key.chatId }, 'announcing the draft failed');
        }
      }
    },
    close({ committed = false } = {}) {
      try {
        buffer.closeEpisode(key);
      } catch {}
      if (committed) {
        try {
          store.drafts.discard(key);
        } catch (error) {
          logger.warn({ err: error, chatId: key.chatId }, 'discarding the draft failed');
        }
        return;
      }
      // Not awaited: a commit that follows deletes the rows in its own transaction, and a
      // batch written after it finds the chat moved on and writes nothing.
      store.drafts.end(key).catch((error: unknown) => {
        logger.warn({ err: error, chatId: key.chatId }, 'flushing the draft failed');
      });
    },
  };
}
