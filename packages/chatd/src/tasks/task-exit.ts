/**
 * Why a task stopped without error: the chat moved on (another owner, status or history: the
 * fence no longer matches), the chat was deleted, or the task was cancelled. The retry loop
 * never retries it and logs it at debug level only.
 */
export type TaskExitReason = 'fence' | 'chat-deleted' | 'cancelled';

/** Thrown by a task attempt that has nothing (more) to do; see {@link TaskExitReason}. */
export class TaskExit extends Error {
  override readonly name = 'TaskExit';

  constructor(
    readonly reason: TaskExitReason,
    message: string = reason,
  ) {
    super(message);
  }

  /** Whether `value` is a {@link TaskExit} (also across copies of this package). */
  static isInstance(value: unknown): value is TaskExit {
    return value instanceof Error && value.name === 'TaskExit' && 'reason' in value;
  }
}
