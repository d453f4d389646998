import { ChatdError, type Logger } from '@chatd/core';
import { shouldLogLoopError } from './runner-manager.js';
import type { WorkerContext } from './task-types.js';

const DAY_MS = 86_400_000;
/** Root chats archived per pass; the rest wait for the next pass. */
const BATCH_SIZE = 1000;
/** A family that became busy, was deleted or moved since it was listed is simply skipped. */
const SKIPPED_CODES = ['CHAT_NOT_FOUND', 'CHAT_NOT_ROOT', 'TRANSITION_NOT_ALLOWED'] as const;

/**
 * The moment before which a family must have been quiet to be archived: the start of the
 * current UTC day minus `days`. Rounding to the day keeps the cutoff the same for every pass
 * of one day, so hourly passes do not archive a chat one hour at a time.
 */
export function autoArchiveCutoff(now: number, days: number): Date {
  return new Date(Math.floor(now / DAY_MS) * DAY_MS - days * DAY_MS);
}

/**
 * Archives idle root chats (with their sub-chats) once at start, then every
 * `autoArchiveIntervalMs`. The next pass is scheduled after the previous one ends, so a slow
 * pass can never be followed by another at once.
 */
export class AutoArchiver {
  readonly #context: WorkerContext;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #archived = 0;

  constructor(context: WorkerContext) {
    this.#context = context;
    this.#logger = context.logger.child({ component: 'auto-archive' });
  }

  /** Chats archived so far (sub-chats included). */
  get archivedChats(): number {
    return this.#archived;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { clock, options } = this.#context;
    while (!this.#stop.signal.aborted) {
      try {
        await this.archiveOnce();
      } catch (error) {
        if (shouldLogLoopError(error, this.#stop.signal.aborted)) {
          this.#logger.warn({ err: error }, 'auto-archive pass failed');
        }
      }
      try {
        await clock.sleep(options.autoArchiveIntervalMs, this.#stop.signal);
      } catch {
        return;
      }
    }
  }

  /** One pass: archives up to one batch of idle families. Returns the chats archived. */
  async archiveOnce(): Promise<number> {
    const { store, clock, options } = this.#context;
    const cutoff = autoArchiveCutoff(clock.now(), options.autoArchiveDays);
    const roots = await store.getIdleRootChats(cutoff, BATCH_SIZE);
    let archived = 0;
    for (const rootChatId of roots) {
      if (this.#stop.signal.aborted) break;
      try {
        const { chatIds } = await store.setFamilyArchived(rootChatId, true);
        archived += chatIds.length;
      } catch (error) {
        if (!SKIPPED_CODES.some((code) => ChatdError.isInstance(error, code))) throw error;
        this.#logger.debug({ err: error, chatId: rootChatId }, 'auto-archive skipped a chat');
      }
    }
    this.#archived += archived;
    if (archived > 0) this.#logger.info({ archived, cutoff }, 'auto-archived idle chats');
    return archived;
  }
}
