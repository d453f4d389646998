import type { TaskInput } from '../worker/task-types.js';
import type { EngineContext } from './engine-context.js';
import { readFenced, updateFenced } from './fence.js';
import { TaskExit } from './task-exit.js';

const TIMED_OUT = 'Tool execution timed out';
const MISSING_DEADLINE = 'Tool execution was cancelled because its deadline was missing';

/**
 * The requires-action timeout task: waits until the chat's deadline (database time, so every
 * replica agrees) and then cancels the client's tool calls, which lets the turn run on. Tool
 * results that arrive first change the status, and the task's fence ends it.
 */
export async function runRequiresActionTimeout(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
): Promise<void> {
  const { store, clock } = context;
  for (;;) {
    // Database time, read before the lock: the store is not called inside its own callbacks.
    // Read a moment early, it can only make the wait longer, and the check below repeats it.
    const now = await store.getDatabaseTime();
    const remainingMs = await readFenced(store, input, signal, async (snapshot) => {
      const deadline = snapshot.row.requiresActionDeadlineAt;
      return deadline === null ? undefined : deadline.getTime() - now.getTime();
    });
    if (remainingMs !== undefined && remainingMs > 0) {
      await clock.sleep(remainingMs, signal).catch(() => {
        throw new TaskExit('cancelled');
      });
      continue;
    }
    const reason = remainingMs === undefined ? MISSING_DEADLINE : TIMED_OUT;
    const checkedAt = await store.getDatabaseTime();
    const cancelled = await updateFenced(store, input, signal, async (chat, snapshot) => {
      const deadline = snapshot.row.requiresActionDeadlineAt;
      // The deadline moved meanwhile (database time decides): wait again.
      if (deadline !== null && deadline > checkedAt) return false;
      await chat.cancelRequiresAction(reason);
      return true;
    });
    if (cancelled) return;
  }
}
