import type { TaskInput } from '../worker/task-types.js';
import type { EngineContext } from './engine-context.js';
import { updateFenced } from './fence.js';

/**
 * The abandon task: hands a chat that needs no work from this runner (waiting, in error,
 * archived) back, so the runner cleans itself up when the update arrives. A chat that moved on
 * meanwhile fails the fence, and the runner follows the newer state instead.
 */
export async function runAbandon(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
): Promise<void> {
  await updateFenced(context.store, input, signal, (chat) => chat.abandon(), {
    allowArchived: true,
  });
}
