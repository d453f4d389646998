import type { ExecutionState } from '../classify.js';
import type { ChatStateRow, ExecutionWrite, StateQueries } from '../state-queries.js';
import { buildCancellationMessages, findOutstandingToolCalls } from '../tool-calls.js';

/** Lease and deadline settings the transitions need. */
export interface TransitionSettings {
  /** How long a requires-action chat waits for client tool results. */
  requiresActionTimeoutMs: number;
  /** Queue capacity per chat. */
  maxQueuedMessages: number;
}

/**
 * What one transition sees: the chat as it was when the transition started (re-read, so a
 * previous transition in the same update is visible), and helpers for the writes every
 * transition shares. @internal
 */
export class TransitionScope {
  readonly chatId: string;
  readonly q: StateQueries;
  readonly row: ChatStateRow;
  readonly state: ExecutionState;
  readonly queuedCount: number;
  readonly settings: TransitionSettings;

  constructor(init: {
    chatId: string;
    q: StateQueries;
    row: ChatStateRow;
    state: ExecutionState;
    queuedCount: number;
    settings: TransitionSettings;
  }) {
    this.chatId = init.chatId;
    this.q = init.q;
    this.row = init.row;
    this.state = init.state;
    this.queuedCount = init.queuedCount;
    this.settings = init.settings;
  }

  /**
   * Writes the execution state: the current values overlaid with `changes`. The compaction
   * marker is cleared unless `changes` sets it or `carryCompaction` keeps it: a marker that
   * outlived the turn it was meant for would compact a conversation nobody asked to compact.
   */
  async set(changes: Partial<ExecutionWrite>, { carryCompaction = false } = {}): Promise<void> {
    const { row } = this;
    await this.q.writeExecution(this.chatId, {
      status: row.status,
      archived: row.archived,
      workerId: row.workerId,
      runnerId: row.runnerId,
      lastError: row.lastError,
      requiresActionDeadlineAt: row.requiresActionDeadlineAt,
      compactionRequestedAt: carryCompaction ? row.compactionRequestedAt : null,
      ...changes,
    });
  }

  /**
   * Inserts synthetic error results for the outstanding tool calls of the last assistant
   * message (only client-executed ones when `dynamicOnly`).
   * @returns The inserted message ids (empty when nothing was outstanding).
   */
  async cancelOutstanding(reason: string, { dynamicOnly }: { dynamicOnly: boolean }) {
    const calls = await this.outstanding({ dynamicOnly });
    if (calls.length === 0) return [];
    return this.q.insertMessages(
      this.chatId,
      buildCancellationMessages(calls, reason, this.row.lastModelConfigId),
    );
  }

  /** The outstanding tool calls of the last assistant message. */
  async outstanding({ dynamicOnly }: { dynamicOnly: boolean }) {
    return findOutstandingToolCalls(await this.q.historyTail(this.chatId), {
      dynamicOnly,
      dynamicToolNames: this.row.dynamicToolNames,
    });
  }
}
