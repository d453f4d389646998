import { ChatdError } from '@chatd/core';
import type {
  ChatMessageRow,
  ChatRow,
  ChatStateRow,
  ChatStateSnapshot,
  ChatTransitions,
  ChatUpdateOptions,
  MessageStore,
} from '@chatd/message-store';
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
  row: Pick<
    ChatStateRow,
    'workerId' | 'runnerId' | 'status' | 'historyVersion' | 'archived' | 'generationAttempt'
  >,
  input: TaskInput,
  { allowArchived = false, attempt }: FenceOptions = {},
): void {
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
  {
    durable,
    pipelined,
    ...fence
  }: FenceOptions & Pick<ChatUpdateOptions, 'durable' | 'pipelined'> = {},
): Promise<T> {
  try {
    return await store.update(
      input.chatId,
      async (chat) => {
        const snapshot = await chat.snapshot();
        checkFence(snapshot.row, input, fence);
        return fn(chat, snapshot);
      },
      {
        signal,
        ...(durable === undefined ? {} : { durable }),
        ...(pipelined === undefined ? {} : { pipelined }),
      },
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
        checkFence(snapshot.row, input, fence);
        return fn(snapshot);
      },
      { signal },
    );
  } catch (error) {
    throw normalize(error, signal);
  }
}

/**
 * Reads the chat (checking the fence on it; the row the runner read just before starting the
 * task, when it has one) and its prompt history for a task, without a transaction: plain reads
 * instead of a locked read. A change that lands between them
 * (an edit, say) can only make the history newer than the chat row; the task then works on
 * a state that has moved on, and the fence of its commit refuses it, as it would refuse any
 * change made after a locked read.
 */
export async function readForTask(
  store: MessageStore,
  input: TaskInput,
  signal: AbortSignal,
): Promise<{ chat: ChatRow; history: readonly ChatMessageRow[] }> {
  try {
    const chat = input.chat ?? (await store.getChat(input.chatId));
    checkFence(chat, input);
    signal.throwIfAborted();
    return { chat, history: input.promptHistory ?? (await store.getPromptHistory(input.chatId)) };
  } catch (error) {
    throw normalize(error, signal);
  }
}
