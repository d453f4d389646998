/**
 * A generation attempt recorded for a runner in the transaction that gave it the chat (a local
 * acquisition), so that the runner's first attempt needs no transaction of its own. It can be
 * taken once: a retried task, and every attempt after it, records its own.
 */
export class ReservedAttempt {
  readonly historyVersion: number;
  readonly attempt: number;
  #taken = false;

  constructor(historyVersion: number, attempt: number) {
    this.historyVersion = historyVersion;
    this.attempt = attempt;
  }

  /** The attempt number the first time; `undefined` after. */
  take(): number | undefined {
    if (this.#taken) return undefined;
    this.#taken = true;
    return this.attempt;
  }
}
