import { ChatdError } from '@chatd/core';
import type { ChatStateSnapshot, ChatTransitions, MessageStore } from '@chatd/message-store';
import type { TaskInput } from '../worker/task-types.js';
import { TaskExit } from './task-exit.js';

/** What the fence checks besides ownership, status and history version. */
export interface FenceOptions {
  /** Accept an archived chat (only abandoning does). @default false */
  allowArchived?: boolean;
  /**
   * The generation attempt that produced what is being committed: a newer attempt (another
   * task retried meanwhile) makes this one stale.
   */
  attempt?: number;
}

/**
 * Throws {@link TaskExit} (`fence`) unless the chat is still what the task was started for:
 * owned by this worker and runner, in the task's status, at the task's history version, not
 * archived, and (when given) at the attempt that produced the output. Checked inside every
 * transaction a task runs, never across a model call, so a task that lost the chat while the
 * model was streaming commits nothing.
 */
export function checkFence(
  chat: ChatStateSnapshot,
  input: TaskInput,
  { allowArchived = false, attempt }: FenceOptions = {},
): void {
  const { row } = chat;
  const mismatch =
    row.workerId !== input.workerId
      ? 'owner'
      : row.runnerId !== input.runnerId
        ? 'runner'
        : row.status !== input.status
          ? 'status'
          : row.historyVersion !== input.historyVersion
            ? 'history version'
            : row.archived && !allowArchived
              ? 'archived'
              : attempt !== undefined && row.generationAttempt !== attempt
                ? 'generation attempt'
                : undefined;
  if (mismatch !== undefined) {
    throw new TaskExit('fence', `the chat's ${mismatch} changed since the task started`);
  }
}

/** Turns what a task's database call threw into {@link TaskExit} where the task is simply over. */
function normalize(error: unknown, signal: AbortSignal): unknown {
  if (TaskExit.isInstance(error)) return error;
  if (ChatdError.isInstance(error, 'CHAT_NOT_FOUND')) return new TaskExit('chat-deleted');
  if (signal.aborted) return new TaskExit('cancelled');
  return error;
}

/**
 * Runs transitions for a task: one `store.update` whose callback first checks the fence.
 * A deleted chat, a lost fence or a cancelled task end the task ({@link TaskExit}).
 */
export async function updateFenced<T>(
  store: MessageStore,
  input: TaskInput,
  signal: AbortSignal,
  fn: (chat: ChatTransitions, snapshot: ChatStateSnapshot) => Promise<T>,
  fence?: FenceOptions,
): Promise<T> {
  try {
    return await store.update(
      input.chatId,
      async (chat) => {
        const snapshot = await chat.snapshot();
        checkFence(snapshot, input, fence);
        return fn(chat, snapshot);
      },
      { signal },
    );
  } catch (error) {
    throw normalize(error, signal);
  }
}

/**
 * Reads under a share lock for a task, after checking the fence; see {@link updateFenced}.
 */
export async function readFenced<T>(
  store: MessageStore,
  input: TaskInput,
  signal: AbortSignal,
  fn: (snapshot: ChatStateSnapshot) => Promise<T>,
  fence?: FenceOptions,
): Promise<T> {
  try {
    return await store.readLock(
      input.chatId,
      async (snapshot) => {
        checkFence(snapshot, input, fence);
        return fn(snapshot);
      },
      { signal },
    );
  } catch (error) {
    throw normalize(error, signal);
  }
}
