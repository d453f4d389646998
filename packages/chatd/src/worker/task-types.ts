import type { ChatStatus, Clock, Logger } from '@chatd/core';
import type { ChatMessageRow, ChatRow, MessageStore } from '@chatd/message-store';
import type { ResolvedChatdOptions } from '../chatd/options.js';
import type { ReservedAttempt } from './handover.js';

/**
 * What a runner runs for the state it last accepted: `generation` for a running chat,
 * `interrupt` for an interrupting one, `requires-action-timeout` while the client runs its
 * tools, `abandon` for any other state (archived, waiting, error), which hands the chat back.
 */
export type TaskKind = 'generation' | 'interrupt' | 'requires-action-timeout' | 'abandon';

/**
 * The state a task was started for. Every transaction of the task checks the chat still
 * matches it (owner, runner, status, history version) before it writes: the fence.
 */
export interface TaskInput {
  /** Random id of this task, for logs. */
  readonly taskId: string;
  /** The chat. */
  readonly chatId: string;
  /** This process's worker id: the owner the fence expects. */
  readonly workerId: string;
  /** The runner that started the task: the runner the fence expects. */
  readonly runnerId: string;
  /** The history version the task works on. */
  readonly historyVersion: number;
  /** The chat's generation attempt when the task started. */
  readonly generationAttempt: number;
  /** The status the task works on. */
  readonly status: ChatStatus;
  /**
   * The chat row this task's state was read from, when the runner read it just before starting
   * the task (its first task): preparing the task uses it instead of reading the chat again.
   * Anything that changed the chat since also cancels the task, and the commit's fence would
   * refuse it anyway.
   */
  readonly chat?: ChatRow;
  /**
   * The prompt history at `chat`, when the write that handed the chat over returned it (a chat
   * created on this instance): preparing the first task uses it instead of reading it.
   */
  readonly promptHistory?: readonly ChatMessageRow[];
  /** The attempt already recorded for this task's state, when the runner was given one. */
  readonly reservedAttempt?: ReservedAttempt;
}

/**
 * Runs one attempt of a task. The runner wraps every call in its retry loop: it returns when
 * the task is done, throws {@link TaskExit} when the task has nothing (more) to do, and throws
 * anything else to be retried after a backoff. `signal` aborts when the runner cancels the task
 * (a newer state, cleanup, shutdown) or the attempt's timeout passes.
 */
export interface TaskRunner {
  run(kind: TaskKind, input: TaskInput, signal: AbortSignal): Promise<void>;
}

/** What the worker, its runner manager and their runners share: one per chatd instance. */
export interface WorkerContext {
  readonly store: MessageStore;
  /** This process's id; the owner of the chats it acquires. */
  readonly workerId: string;
  readonly tasks: TaskRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ResolvedChatdOptions;
}
