import { randomUUID } from 'node:crypto';
import { ChatdError, type Logger } from '@chatd/core';
import {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatStateSnapshot,
  type ChatTransitions,
  type MessageStore,
} from '@chatd/message-store';
import type { ChannelSubscription } from '@chatd/pubsub';
import { AlreadyStartedError } from '../errors/chatd-errors.js';
import { AutoArchiver } from './auto-archiver.js';
import type { Handover } from './handover.js';
import { RunnerManager, type RunnerStats, shouldLogLoopError } from './runner-manager.js';
import type { WorkerContext } from './task-types.js';

const RUNNABLE = new Set(['running', 'interrupting', 'requires-action']);

/** Rolls back an {@link updateIf} whose check declined. */
const DECLINED = Symbol('declined');

/**
 * A `store.update` whose callback checks the locked chat first and may decline (returns
 * `false`): the update then rolls back, so a declined check writes and publishes nothing. One
 * transaction and no store call inside it, so it works whether or not the store joins nested
 * calls (`ambientTransactions`).
 */
async function updateIf(
  store: MessageStore,
  chatId: string,
  fn: (transitions: ChatTransitions) => Promise<boolean>,
): Promise<boolean> {
  try {
    return await store.update(chatId, async (transitions) => {
      if (!(await fn(transitions))) throw DECLINED;
      return true;
    });
  } catch (error) {
    if (error === DECLINED) return false;
    throw error;
  }
}

/** Whether the chat's owner holds a lease younger than `staleAfterMs` (database time). */
export function hasLiveOwner(
  chat: Pick<ChatStateSnapshot, 'row' | 'ownerHeartbeatAgeMs'>,
  staleAfterMs: number,
): boolean {
  return (
    chat.row.workerId !== null &&
    chat.ownerHeartbeatAgeMs !== null &&
    chat.ownerHeartbeatAgeMs < staleAfterMs
  );
}

/**
 * Acquires runnable chats without a live owner and hands each to a runner.
 *
 * It looks every `acquireIntervalMs`, and at once when an ownership hint arrives (a chat
 * became runnable, or another replica handed its chats over); a hint during a pass schedules
 * one more pass, no more. Candidates are read `acquireBatchSize` at a time with `SKIP LOCKED`,
 * so workers looking at the same moment see different chats, and each acquisition re-checks
 * the chat under its row lock, so exactly one worker wins a chat.
 */
export class Worker {
  readonly #options: WorkerContext;
  readonly #logger: Logger;
  readonly #manager: RunnerManager;
  readonly #archiver: AutoArchiver | undefined;
  readonly #stop = new AbortController();
  #wake: AbortController | undefined;
  #wakeRequested = false;
  #subscription: ChannelSubscription | undefined;
  #loop: Promise<void> | undefined;
  #listening: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: WorkerContext) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'worker', workerId: options.workerId });
    this.#manager = new RunnerManager(options);
    if (options.options.autoArchiveDays > 0) this.#archiver = new AutoArchiver(options);
  }

  /** The manager's counters and the chats auto-archived. */
  stats(): RunnerStats & { autoArchivedChats: number } {
    return { ...this.#manager.stats(), autoArchivedChats: this.#archiver?.archivedChats ?? 0 };
  }

  /**
   * Starts listening for ownership hints, the runner manager, the acquisition loop and, when
   * `autoArchiveDays` is set, the auto-archive loop.
   * @throws AlreadyStartedError `ALREADY_STARTED` on a second call.
   */
  async start(): Promise<void> {
    if (this.#loop !== undefined || this.#closed !== undefined) throw new AlreadyStartedError();
    const subscription = this.#options.store.pubsub.subscribe(CHAT_OWNERSHIP_CHANNEL, {
      signal: this.#stop.signal,
    });
    this.#subscription = subscription;
    this.#listening = (async () => {
      try {
        for await (const _event of subscription) this.wake();
      } catch (error) {
        if (!this.#stop.signal.aborted) this.#logger.warn({ err: error }, 'ownership hints failed');
      }
    })();
    await subscription.ready;
    this.#manager.start();
    this.#archiver?.start();
    this.#loop = this.#acquireLoop();
  }

  /** Runs an acquisition pass now (or right after the one in progress). */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.abort();
  }

  /**
   * Stops acquiring, stops every runner and hands their chats over. Idempotent; afterwards no
   * timer, subscription or task of the worker remains.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stop.abort();
      this.#wake?.abort();
      this.#subscription?.cancel();
      await this.#loop;
      await this.#listening;
      await this.#archiver?.close();
      await this.#manager.close();
    })();
    return this.#closed;
  }

  async #acquireLoop(): Promise<void> {
    const { clock, options } = this.#options;
    while (!this.#stop.signal.aborted) {
      this.#wakeRequested = false;
      try {
        await this.acquireOnce();
      } catch (error) {
        if (shouldLogLoopError(error, this.#stop.signal.aborted)) {
          this.#logger.warn({ err: error }, 'acquisition failed');
        }
      }
      if (this.#stop.signal.aborted) break;
      if (this.#wakeRequested) continue;
      this.#wake = new AbortController();
      try {
        await clock.sleep(options.acquireIntervalMs, this.#wake.signal);
      } catch {
        // Woken early.
      }
      this.#wake = undefined;
    }
  }

  /** One acquisition pass: reads candidates page by page and acquires what it can. */
  async acquireOnce(): Promise<void> {
    const { store, options } = this.#options;
    const attempted = new Set<string>();
    while (!this.#stop.signal.aborted) {
      const candidates = await store.getAcquisitionCandidates(options.acquireBatchSize);
      const fresh = candidates.filter((candidate) => !attempted.has(candidate.chatId));
      for (const candidate of fresh) {
        if (this.#stop.signal.aborted) return;
        attempted.add(candidate.chatId);
        await this.#tryAcquire(candidate.chatId);
      }
      if (candidates.length < options.acquireBatchSize || fresh.length === 0) return;
    }
  }

  async #tryAcquire(chatId: string): Promise<void> {
    const { store, workerId } = this.#options;
    const runnerId = randomUUID();
    let acquired = false;
    try {
      // The row lock serialises competing workers; the checks repeat what the candidate query
      // saw, because another worker may have acquired the chat since.
      acquired = await updateIf(store, chatId, async (transitions) => {
        const chat = await transitions.snapshot();
        if (chat.row.archived || !RUNNABLE.has(chat.row.status)) return false;
        if (hasLiveOwner(chat, store.lease.staleAfterMs)) return false;
        await transitions.acquire({ workerId, runnerId });
        return true;
      });
    } catch (error) {
      if (ChatdError.isInstance(error, 'CHAT_NOT_FOUND')) return;
      throw error;
    }
    if (!acquired) return;
    this.#logger.debug({ chatId, runnerId }, 'chat acquired');
    await this.adopt(chatId, runnerId);
  }

  /** Stops this replica's runner of a chat it just deleted, without waiting for the sync. */
  chatDeleted(chatId: string): void {
    this.#manager.stopChat(chatId);
  }

  /**
   * An owner for a chat this instance is about to make runnable, while the worker runs: the
   * chat is written already acquired by it (in the same transaction) and {@link adopt} starts
   * its runner, so the turn does not wait for an acquisition pass. `undefined` when the worker
   * is not running.
   */
  localOwner(): { workerId: string; runnerId: string } | undefined {
    if (this.#loop === undefined || this.#stop.signal.aborted) return undefined;
    return { workerId: this.#options.workerId, runnerId: randomUUID() };
  }

  /**
   * Starts the runner of a chat this worker acquired (from what the acquiring write committed,
   * when this instance made it); gives the chat back when no runner can start (the worker is
   * closing), so another worker takes it.
   */
  async adopt(chatId: string, runnerId: string, handover?: Handover): Promise<void> {
    if (!this.#manager.spawn(chatId, runnerId, handover)) {
      handover?.earlyCall?.discard();
      await this.#abandon(chatId, runnerId);
      return;
    }
    // The runner starts the turn in the microtasks that follow and, unless it waits for I/O
    // (tools connecting, say), sends the model request before they run out. Resolving only
    // after them keeps the caller's next work (its response, its own database writes, which on
    // embedded PGlite block the process) from delaying that request: in the reference server,
    // runner start to model request went from 3.4 to 2.2 ms.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Gives back a chat whose runner could not start, if this worker and runner still own it. */
  async #abandon(chatId: string, runnerId: string): Promise<void> {
    const { store, workerId } = this.#options;
    try {
      await updateIf(store, chatId, async (transitions) => {
        const { row } = await transitions.snapshot();
        if (row.workerId !== workerId || row.runnerId !== runnerId) return false;
        await transitions.abandon();
        return true;
      });
    } catch (error) {
      this.#logger.warn({ err: error, chatId }, 'abandoning an unstarted chat failed');
    }
  }
}
