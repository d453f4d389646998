import type { ChatMessageRow, ChatRow, ChatUpdatePayload } from '@chatd/message-store';
import type { EarlyModelCall, StartedEarlyCall } from '../generation/early-model-call.js';

/**
 * A generation attempt recorded for a runner in the transaction that gave it the chat (a local
 * acquisition, see {@link Handover}), so that the runner's first attempt needs no transaction
 * of its own. It can be taken once: a retried task, and every attempt after it, records its own.
 * With it may come the attempt's model call, started before the chat was written.
 */
export class ReservedAttempt {
  readonly historyVersion: number;
  readonly attempt: number;
  #taken = false;
  #earlyCall: EarlyModelCall | undefined;

  constructor(historyVersion: number, attempt: number, earlyCall?: EarlyModelCall) {
    this.historyVersion = historyVersion;
    this.attempt = attempt;
    this.#earlyCall = earlyCall;
  }

  /** The attempt number the first time; `undefined` after. */
  take(): number | undefined {
    if (this.#taken) return undefined;
    this.#taken = true;
    return this.attempt;
  }

  /**
   * The early model call, once and only before the attempt is taken, for a step of
   * `modelConfigId` (see {@link EarlyModelCall.take}).
   */
  async takeEarlyCall(modelConfigId: string): Promise<StartedEarlyCall | undefined> {
    const earlyCall = this.#earlyCall;
    this.#earlyCall = undefined;
    if (this.#taken) earlyCall?.discard();
    return this.#taken ? undefined : earlyCall?.take(modelConfigId);
  }

  /** Discards the early model call unless it was taken: the attempt's task ended, or none ran. */
  release(): void {
    this.#earlyCall?.discard();
    this.#earlyCall = undefined;
  }
}

/** What a runner decides on: a hint's fields, which a chat row read from the database has too. */
export type RunnerState = Pick<
  ChatUpdatePayload,
  | 'snapshotVersion'
  | 'workerId'
  | 'runnerId'
  | 'historyVersion'
  | 'generationAttempt'
  | 'status'
  | 'archived'
>;

/**
 * What the write that gave a chat to this instance's runner (a local acquisition) committed.
 * The runner starts its first task from it at once, without waiting for its hint subscription
 * and its own read of the chat; both still follow, and anything newer they find takes over as
 * it would from any hint.
 */
export interface Handover {
  /** The chat's state as the acquiring write committed it. */
  readonly state: RunnerState;
  /** The whole row, when the write returned it: the first task prepares from it. */
  readonly chat?: ChatRow;
  /**
   * The chat's prompt history as the write committed it, when the write returned it (a chat
   * created here): the first task builds its prompt from it instead of reading it.
   */
  readonly promptHistory?: readonly ChatMessageRow[];
  /** Whether the write also recorded the first generation attempt (`state`'s) for the runner. */
  readonly attemptRecorded?: boolean;
  /**
   * That attempt's model call, started before the write (with `attemptRecorded`): the runner
   * owns it, and its first task takes it or it is discarded.
   */
  readonly earlyCall?: EarlyModelCall;
}
