import { type Logger, type TimerHandle, withDeadline } from '@chatd/core';
import {
  CHAT_OWNERSHIP_CHANNEL,
  type ChatUpdatePayload,
  type HeartbeatEntry,
} from '@chatd/message-store';
import type { Handover } from './handover.js';
import { Runner } from './runner.js';
import type { WorkerContext } from './task-types.js';

/** The longest a shutdown's hand-over (heartbeat delete, ownership hints) may take. */
const HANDOVER_TIMEOUT_MS = 5000;

/** Counters of a {@link RunnerManager}. */
export interface RunnerStats {
  /** Hints dropped because a runner's queue was full. */
  droppedHints: number;
  /** Runners working. */
  liveRunners: number;
  /** Runners stopped and still finishing their tasks. */
  cleaningRunners: number;
}

const keyOf = (chatId: string, runnerId: string) => `${chatId}/${runnerId}`;

/**
 * Whether an error of a background loop is worth a log line: cancellation during shutdown is
 * not (the loop is simply being stopped), anything else is, including an AggregateError that
 * wraps a timeout among cancellations.
 */
export function shouldLogLoopError(error: unknown, closing: boolean): boolean {
  if (!closing) return true;
  const isCancellation = (candidate: unknown): boolean =>
    candidate instanceof Error &&
    (candidate.name === 'AbortError' ||
      candidate.name === 'TaskExit' ||
      (candidate as { code?: unknown }).code === 'STORE_CLOSED');
  if (error instanceof AggregateError) return !error.errors.every(isCancellation);
  return !isCancellation(error);
}

/**
 * Owns the runners of this worker: spawns them, routes state hints to them, cleans them up,
 * and keeps their leases alive.
 *
 * - One runner per (chat, runner id). A spawn for a key that is live or still cleaning is
 *   ignored and logged: two loops for one key would run every task twice.
 * - Cleanup stops a runner and keeps it under *cleaning* until its loop and tasks exit; the
 *   manager is idle only when no runner is live or cleaning.
 * - Every `lease.heartbeatIntervalMs` the heartbeats of all live runners are refreshed in one
 *   statement; every `heartbeatCleanupIntervalMs` heartbeats older than the lease are deleted,
 *   and draft rows older than an hour (episodes whose writer died before the chat moved on);
 *   every `runnerSyncIntervalMs` the chats of all runners are re-read, so a change whose
 *   notification was lost still arrives and runners of deleted chats are cleaned up.
 * - `close()` stops every runner, waits for their tasks, then hands the chats over: it deletes
 *   their heartbeat rows and publishes one ownership hint per chat, so another replica acquires
 *   them at once instead of after the lease.
 */
export class RunnerManager {
  readonly #context: WorkerContext;
  readonly #logger: Logger;
  readonly #live = new Map<string, Runner>();
  readonly #cleaning = new Map<string, Runner>();
  readonly #timers: TimerHandle[] = [];
  /** Loop runs in flight, awaited by close. */
  readonly #inFlight = new Set<Promise<void>>();
  #droppedHints = 0;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(context: WorkerContext) {
    this.#context = context;
    this.#logger = context.logger.child({ component: 'runner-manager' });
  }

  /** Starts the heartbeat, heartbeat-cleanup and sync loops. */
  start(): void {
    const { options, store } = this.#context;
    this.#every(store.lease.heartbeatIntervalMs, 'heartbeat', () => this.heartbeat());
    this.#every(options.heartbeatCleanupIntervalMs, 'heartbeat cleanup', async () => {
      await store.deleteStaleHeartbeats();
      await store.sweepDrafts();
    });
    this.#every(options.runnerSyncIntervalMs, 'runner sync', () => this.sync());
  }

  /** Whether no runner is live or cleaning. */
  get idle(): boolean {
    return this.#live.size === 0 && this.#cleaning.size === 0;
  }

  /** Counters for `Chatd.stats()`. */
  stats(): RunnerStats {
    return {
      droppedHints: this.#droppedHints,
      liveRunners: this.#live.size,
      cleaningRunners: this.#cleaning.size,
    };
  }

  /**
   * Starts a runner for a chat this worker just acquired (from what the acquiring write
   * committed, when this instance made it). Returns `false` (and logs) when the key is already
   * live or cleaning, or the manager is closing.
   */
  spawn(chatId: string, runnerId: string, handover?: Handover): boolean {
    const key = keyOf(chatId, runnerId);
    if (this.#closing) return false;
    if (this.#live.has(key) || this.#cleaning.has(key)) {
      this.#logger.error({ chatId, runnerId }, 'duplicate runner spawn ignored');
      return false;
    }
    const runner = new Runner(
      chatId,
      runnerId,
      { ...this.#context, requestCleanup: (target) => this.cleanup(target) },
      handover,
    );
    this.#live.set(key, runner);
    runner.run();
    return true;
  }

  /**
   * Offers a state hint to every runner of its chat. A runner whose queue is full drops this
   * newest hint and keeps the older ones: hints carry snapshot versions and the runner
   * discards stale ones anyway, a later notification or the periodic sync brings the newer
   * state, and tasks re-check the database before they commit; waiting for room instead would
   * push back-pressure into the PubSub and the sync loop. Drops are counted.
   */
  routeHint(hint: ChatUpdatePayload): void {
    for (const runner of this.#live.values()) {
      if (runner.chatId !== hint.chatId) continue;
      if (!runner.offer(hint) && !runner.stopped) {
        this.#droppedHints += 1;
        this.#logger.debug({ chatId: hint.chatId, runnerId: runner.runnerId }, 'hint dropped');
      }
    }
  }

  /** Stops a live runner; it stays under *cleaning* until it has finished. */
  cleanup(runner: Runner): void {
    const key = keyOf(runner.chatId, runner.runnerId);
    if (this.#live.get(key) !== runner) return;
    this.#live.delete(key);
    this.#cleaning.set(key, runner);
    runner.stop();
    void runner.done.finally(() => {
      if (this.#cleaning.get(key) === runner) this.#cleaning.delete(key);
    });
  }

  /** Stops the live runners of a chat this instance deleted (no read: the chat is gone). */
  stopChat(chatId: string): void {
    for (const runner of [...this.#live.values()]) {
      if (runner.chatId === chatId) this.cleanup(runner);
    }
  }

  /** Refreshes the heartbeats of all live runners in one statement. */
  async heartbeat(): Promise<void> {
    const entries = this.#entries(this.#live.values());
    if (entries.length > 0)
      await this.#context.store.upsertHeartbeats(this.#context.workerId, entries);
  }

  /** Re-reads the chats of all live runners: routes their state, cleans up deleted ones. */
  async sync(): Promise<void> {
    const runners = [...this.#live.values()];
    const chatIds = [...new Set(runners.map((runner) => runner.chatId))];
    if (chatIds.length === 0) return;
    const rows = await this.#context.store.getRunnerSyncRows(chatIds);
    const present = new Set(rows.map((row) => row.chatId));
    for (const row of rows) this.routeHint(row);
    // Only the runners the read was about: one spawned while it ran has a chat it did not ask
    // for, which is not a deleted chat (cleaning it up left the chat owned by no running
    // runner until its lease expired).
    for (const runner of runners) {
      if (!present.has(runner.chatId)) this.cleanup(runner);
    }
  }

  /**
   * Stops every runner, waits for their tasks, and hands their chats over. Idempotent; the
   * hand-over is bounded by 5 s and its failures are only logged (the lease is the fallback).
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#timers.splice(0)) timer.cancel();
    await Promise.allSettled(this.#inFlight);
    const held = [...this.#live.values(), ...this.#cleaning.values()];
    for (const runner of [...this.#live.values()]) this.cleanup(runner);
    await Promise.allSettled(held.map((runner) => runner.done));
    await this.#handOver(held);
  }

  async #handOver(runners: readonly Runner[]): Promise<void> {
    if (runners.length === 0) return;
    const { store, clock } = this.#context;
    try {
      await withDeadline(
        {
          clock,
          timeoutMs: HANDOVER_TIMEOUT_MS,
          onTimeout: () => new Error('hand-over timed out'),
        },
        async () => {
          await store.deleteHeartbeats(this.#entries(runners));
          const chatIds = [...new Set(runners.map((runner) => runner.chatId))];
          for (const row of await store.getRunnerSyncRows(chatIds)) {
            store.pubsub.publish(CHAT_OWNERSHIP_CHANNEL, {
              chatId: row.chatId,
              snapshotVersion: row.snapshotVersion,
            });
          }
        },
      );
    } catch (error) {
      this.#logger.warn({ err: error }, 'hand-over failed; other workers wait for the lease');
    }
  }

  #entries(runners: Iterable<Runner>): HeartbeatEntry[] {
    return [...runners].map((runner) => ({ chatId: runner.chatId, runnerId: runner.runnerId }));
  }

  /** Runs `work` every `intervalMs` (from the end of one run to the start of the next). */
  #every(intervalMs: number, name: string, work: () => Promise<void>): void {
    const schedule = () => {
      const run = async () => {
        try {
          await work();
        } catch (error) {
          if (shouldLogLoopError(error, this.#closing)) {
            this.#logger.warn({ err: error }, `${name} failed`);
          }
        }
      };
      const timer = this.#context.clock
        .setTimeout(() => {
          const index = this.#timers.indexOf(timer);
          if (index !== -1) this.#timers.splice(index, 1);
          if (this.#closing) return;
          const running = run();
          this.#inFlight.add(running);
          void running.finally(() => {
            this.#inFlight.delete(running);
            if (!this.#closing) schedule();
          });
        }, intervalMs)
        .unref();
      this.#timers.push(timer);
    };
    schedule();
  }
}
