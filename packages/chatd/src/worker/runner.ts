import { randomUUID } from 'node:crypto';
import { BoundedQueue, ChatdError, type Logger } from '@chatd/core';
import { type ChatRow, type ChatUpdatePayload, chatUpdateChannel } from '@chatd/message-store';
import { TaskExit } from '../tasks/task-exit.js';
import { isChatUpdate } from './chat-update.js';
import { type Handover, ReservedAttempt, type RunnerState } from './handover.js';
import { KeyedLock } from './keyed-lock.js';
import type { TaskInput, TaskKind, WorkerContext } from './task-types.js';

/** What a state may come with from the read or write that produced it. */
type Seed = Pick<TaskInput, 'chat' | 'promptHistory'>;

/** What a runner needs from its manager and the engine. */
export interface RunnerContext extends WorkerContext {
  /** Asks the manager to clean this runner up (it stops and leaves the registries). */
  readonly requestCleanup: (runner: Runner) => void;
}

/** How long a runner handed its chat waits before its catch-up read (see `#catchUpLater`). */
const HANDOVER_CATCH_UP_DELAY_MS = 100;

/** Thrown into a task attempt that ran past `taskTimeoutMs`; the attempt is retried. */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  constructor(timeoutMs: number) {
    super(`task attempt exceeded ${timeoutMs} ms`);
  }
}

interface TaskRecord {
  readonly id: string;
  readonly kind: TaskKind;
  readonly key: string;
  readonly controller: AbortController;
  done: Promise<void>;
}

function taskKindFor(state: RunnerState): TaskKind {
  if (state.archived) return 'abandon';
  switch (state.status) {
    case 'running':
      return 'generation';
    case 'interrupting':
      return 'interrupt';
    case 'requires-action':
      return 'requires-action-timeout';
    default:
      return 'abandon';
  }
}

/**
 * The event loop of one owned chat, with no side effects of its own: it keeps the newest state
 * it has seen, and starts or cancels tasks so the task the state calls for is the one running.
 *
 * - States come as hints (`chat:update` notifications, the manager's database sync) into a
 *   bounded queue; any hint not newer than the last accepted snapshot version is dropped.
 * - The watermark is seeded from the database before any queued hint is read: a stale
 *   "unowned" hint from before the acquisition would otherwise make a fresh runner clean
 *   itself up and leave the chat owned by nobody alive until its lease expired. A runner
 *   handed its chat by this instance's own write starts from what that write committed at
 *   once, reads hints from then on, and reads the database a moment after its subscription
 *   listens, for a change another replica made before it did; on an exclusive store (no
 *   other replica) it skips that read.
 * - Another owner in a state means the chat moved on: the runner cleans itself up without
 *   touching the chat.
 * - A change of history version, status or archived flag cancels the running task (without
 *   waiting) and starts the task for the new state. A replacement for the same (history
 *   version, status) waits for the cancelled task to finish, through a lock on that key, so
 *   two tasks never work on the same state at once.
 */
export class Runner {
  readonly chatId: string;
  readonly runnerId: string;
  readonly #context: RunnerContext;
  readonly #logger: Logger;
  readonly #hints: BoundedQueue<ChatUpdatePayload>;
  readonly #stop = new AbortController();
  readonly #locks = new KeyedLock();
  readonly #tasks = new Set<TaskRecord>();
  #active: TaskRecord | undefined;
  #accepted: RunnerState | undefined;
  /** What the state being processed came with, handed to the task started for it. */
  #seed: Seed = {};
  readonly #handover: Handover | undefined;
  #watermark = 0;
  /** Handed to the first task whose state it was recorded for, then dropped. */
  #reserved: ReservedAttempt | undefined;
  #started = false;
  #done: Promise<void> = Promise.resolve();

  constructor(chatId: string, runnerId: string, context: RunnerContext, handover?: Handover) {
    this.chatId = chatId;
    this.runnerId = runnerId;
    this.#context = context;
    this.#handover = handover;
    if (handover?.attemptRecorded === true) {
      this.#reserved = new ReservedAttempt(
        handover.state.historyVersion,
        handover.state.generationAttempt,
        handover.earlyCall,
      );
    } else {
      handover?.earlyCall?.discard();
    }
    this.#logger = context.logger.child({ component: 'runner', chatId, runnerId });
    this.#hints = new BoundedQueue({ capacity: context.options.hintQueueSize });
  }

  /** Resolves when the loop and every task it started have finished. */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Whether cleanup started. */
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /**
   * Offers a state hint; `false` when it was dropped because the queue is full (the newest
   * hint is the one dropped: see the manager's `routeHint`) or the runner stopped.
   */
  offer(hint: ChatUpdatePayload): boolean {
    return this.#hints.push(hint);
  }

  /** Starts the loop. A second call is refused and logged (one loop per runner). */
  run(): void {
    if (this.#started) {
      this.#logger.error('runner: run() called twice; ignoring the second call');
      return;
    }
    this.#started = true;
    this.#done = this.#loop().catch((error: unknown) => {
      this.#logger.error({ err: error }, 'runner loop failed');
      this.#context.requestCleanup(this);
    });
  }

  /** Stops the loop and cancels every task; `done` resolves once they have finished. */
  stop(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort(new TaskExit('cancelled', 'runner stopped'));
    this.#hints.close();
  }

  async #loop(): Promise<void> {
    const subscription = this.#context.store.pubsub.subscribe(chatUpdateChannel(this.chatId), {
      signal: this.#stop.signal,
    });
    const forwarding = this.#forward(subscription);
    let catchingUp: Promise<void> = Promise.resolve();
    try {
      if (this.#handover === undefined) {
        await subscription.ready;
        if (!(await this.#catchUp())) return;
      } else {
        // What the acquiring write committed needs no wait: the first task starts now, and
        // it seeds the watermark, so hints can be read at once too.
        this.#processWithRow(this.#handover.state, this.#handover);
        // Alone on its database, every change comes from this store, as a hint published
        // before its write returns: there is nothing to catch up on.
        if (!this.#context.store.exclusive) catchingUp = this.#catchUpLater(subscription.ready);
      }
      for await (const hint of this.#hints) {
        if (this.stopped) break;
        this.#process(hint);
      }
    } catch (error) {
      if (!this.stopped) throw error;
    } finally {
      // Never given to a task (the runner stopped first): its early model call is not wanted.
      this.#reserved?.release();
      subscription.cancel();
      this.#hints.close();
      this.#active?.controller.abort(new TaskExit('cancelled', 'runner stopped'));
      await forwarding;
      await catchingUp;
      await Promise.allSettled([...this.#tasks].map((task) => task.done));
    }
  }

  /**
   * Reads the chat and processes it: catches what changed before the subscription listened
   * (ignored when nothing did). `false` when the chat is gone (cleanup requested).
   */
  async #catchUp(): Promise<boolean> {
    const current = await this.#readChat();
    if (current === undefined) {
      this.#context.requestCleanup(this);
      return false;
    }
    this.#processWithRow(current, { chat: current });
    return true;
  }

  /**
   * The catch-up read of a runner handed its chat by this instance's write. Local changes
   * since that write reach the runner as hints (it subscribed before the write's caller got
   * control back); only another replica's change in the instant before LISTEN took effect can
   * be missed. So the read waits a moment, out of the way of the first task, which is usually
   * preparing its model call right now.
   */
  async #catchUpLater(listening: Promise<void>): Promise<void> {
    try {
      await listening;
      await this.#context.clock.sleep(HANDOVER_CATCH_UP_DELAY_MS, this.#stop.signal);
      if (!this.stopped) await this.#catchUp();
    } catch (error) {
      if (!this.stopped) this.#logger.warn({ err: error }, 'runner: catch-up read failed');
    }
  }

  /** The whole chat row (the first task prepares from it); `undefined` once it is deleted. */
  async #readChat(): Promise<ChatRow | undefined> {
    try {
      return await this.#context.store.getChat(this.chatId);
    } catch (error) {
      if (ChatdError.isInstance(error, 'CHAT_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** Moves notifications into the hint queue; a resync reads the chat from the database. */
  async #forward(subscription: AsyncIterable<{ type: string; payload?: unknown }>): Promise<void> {
    try {
      for await (const event of subscription) {
        if (event.type === 'message' && isChatUpdate(event.payload)) {
          this.offer(event.payload);
        } else if (event.type === 'resync') {
          const [current] = await this.#context.store.getRunnerSyncRows([this.chatId]);
          if (current !== undefined) this.offer(current);
        }
      }
    } catch (error) {
      if (!this.stopped) this.#logger.warn({ err: error }, 'runner: chat updates failed');
    }
  }

  /**
   * {@link #process} for a state that comes with more: the chat's whole row and, for a chat
   * created here, its prompt history: the task started for it reads neither again.
   */
  #processWithRow(state: RunnerState, seed: Seed): void {
    this.#seed = seed;
    try {
      this.#process(state);
    } finally {
      this.#seed = {};
    }
  }

  #process(state: RunnerState): void {
    if (state.snapshotVersion <= this.#watermark) return;
    this.#watermark = state.snapshotVersion;
    if (state.workerId !== this.#context.workerId || state.runnerId !== this.runnerId) {
      this.#accepted = state;
      this.#context.requestCleanup(this);
      return;
    }
    const previous = this.#accepted;
    this.#accepted = state;
    const changed =
      previous === undefined ||
      previous.historyVersion !== state.historyVersion ||
      previous.status !== state.status ||
      previous.archived !== state.archived;
    if (!changed) return;
    if (previous !== undefined) {
      this.#active?.controller.abort(new TaskExit('cancelled', 'the chat changed'));
    }
    this.#start(taskKindFor(state), state);
  }

  #start(kind: TaskKind, state: RunnerState): void {
    const key = `${state.historyVersion}:${state.status}`;
    if (this.#active !== undefined && this.#active.kind === kind && this.#active.key === key) {
      if (!this.#active.controller.signal.aborted) return;
    }
    const record: TaskRecord = {
      id: randomUUID(),
      kind,
      key,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    const reserved = this.#reserved;
    this.#reserved = undefined;
    // Only for the state it was recorded in: once the chat moved on, the attempt is stale.
    const reservedHere =
      reserved !== undefined &&
      kind === 'generation' &&
      reserved.historyVersion === state.historyVersion &&
      reserved.attempt === state.generationAttempt;
    if (!reservedHere) reserved?.release();
    const input: TaskInput = {
      taskId: record.id,
      chatId: this.chatId,
      workerId: this.#context.workerId,
      runnerId: this.runnerId,
      historyVersion: state.historyVersion,
      generationAttempt: state.generationAttempt,
      status: state.status,
      ...(this.#seed.chat === undefined ? {} : { chat: this.#seed.chat }),
      ...(this.#seed.promptHistory === undefined
        ? {}
        : { promptHistory: this.#seed.promptHistory }),
      ...(reservedHere ? { reservedAttempt: reserved } : {}),
    };
    this.#tasks.add(record);
    this.#active = record;
    record.done = this.#runWithRetry(record, input).finally(() => {
      input.reservedAttempt?.release();
      this.#tasks.delete(record);
      if (this.#active === record) this.#active = undefined;
    });
  }

  /**
   * Runs a task until it is done: each attempt under `taskTimeoutMs`, retried after a backoff
   * (`taskRetryInitialDelayMs` doubling to `taskRetryMaxDelayMs`) unless it ended because its
   * chat moved on ({@link TaskExit}) or the runner cancelled it. A refused transition is not
   * retried either: the state machine would refuse it again forever (a stuck chat is better
   * reported than spun on).
   */
  async #runWithRetry(record: TaskRecord, input: TaskInput): Promise<void> {
    const { options, clock } = this.#context;
    const logger = this.#logger.child({ taskId: record.id, task: record.kind });
    const signal = record.controller.signal;
    for (let failures = 0; ; ) {
      let release: (() => void) | undefined;
      try {
        release = await this.#locks.acquire(record.key, signal);
        // Cancelled while it waited for the lock (the lock resolved first).
        if (signal.aborted) return;
        await this.#attempt(record.kind, input, signal, options.taskTimeoutMs);
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (TaskExit.isInstance(error)) {
          logger.debug({ reason: error.reason, detail: error.message }, 'task ended');
          return;
        }
        if (ChatdError.isInstance(error, 'TRANSITION_NOT_ALLOWED')) {
          logger.warn({ err: error }, 'task stopped: the chat refused its transition');
          return;
        }
        failures += 1;
        const delayMs = Math.min(
          options.taskRetryInitialDelayMs * 2 ** (failures - 1),
          options.taskRetryMaxDelayMs,
        );
        logger.warn({ err: error, delayMs, failures }, `${record.kind} task failed; retrying`);
        try {
          await clock.sleep(delayMs, signal);
        } catch {
          return;
        }
      } finally {
        release?.();
      }
    }
  }

  /** One attempt, cancelled with a {@link TaskTimeoutError} past `timeoutMs`; waits for it to end. */
  async #attempt(kind: TaskKind, input: TaskInput, signal: AbortSignal, timeoutMs: number) {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Cancelled while it waited for the lock: the listener above will never fire.
    if (signal.aborted) onAbort();
    const timer = this.#context.clock
      .setTimeout(() => attempt.abort(new TaskTimeoutError(timeoutMs)), timeoutMs)
      .unref();
    try {
      await this.#context.tasks.run(kind, input, attempt.signal);
    } catch (error) {
      // A task that gave up because its attempt timed out is retried like any failure.
      if (attempt.signal.reason instanceof TaskTimeoutError && !signal.aborted) {
        throw attempt.signal.reason;
      }
      throw error;
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
