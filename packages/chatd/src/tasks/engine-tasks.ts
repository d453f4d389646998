import { runGeneration } from '../generation/generation-task.js';
import type { TaskInput, TaskKind, TaskRunner } from '../worker/task-types.js';
import { runAbandon } from './abandon-task.js';
import type { EngineContext } from './engine-context.js';
import { runInterrupt } from './interrupt-task.js';
import { runRequiresActionTimeout } from './requires-action-timeout-task.js';

const TASKS = {
  generation: runGeneration,
  interrupt: runInterrupt,
  'requires-action-timeout': runRequiresActionTimeout,
  abandon: runAbandon,
} satisfies Record<
  TaskKind,
  (context: EngineContext, input: TaskInput, signal: AbortSignal) => Promise<void>
>;

/** The engine's tasks behind the runner's {@link TaskRunner} seam. */
export function createEngineTasks(context: EngineContext): TaskRunner {
  return { run: (kind, input, signal) => TASKS[kind](context, input, signal) };
}
