import { InvalidArgumentError, requirePositiveInteger, requirePositiveNumber } from '@chatd/core';

/**
 * Tuning of a chatd instance. Every field is optional; the defaults suit production. The
 * ownership lease (heartbeat interval, stale threshold) is not here: it is the store's
 * (`openStore({ lease })`), so every process sharing the database uses one value.
 */
export interface ChatdOptions {
  /**
   * How often the worker looks for chats without a live owner. An ownership hint (a chat
   * became runnable, or another replica handed one over) wakes it at once in between.
   * @default 1000
   */
  acquireIntervalMs?: number;
  /**
   * Chats read per acquisition query.
   * @default 10
   */
  acquireBatchSize?: number;
  /**
   * How often runners re-read their chats from the database, to catch changes whose
   * notification was lost and to clean up runners of deleted chats.
   * @default 15000
   */
  runnerSyncIntervalMs?: number;
  /**
   * How often heartbeat rows older than the lease are deleted.
   * @default 30000
   */
  heartbeatCleanupIntervalMs?: number;
  /**
   * State hints buffered per runner; when full the newest hint is dropped (see
   * `Chatd.stats().droppedHints`).
   * @default 64
   */
  hintQueueSize?: number;
  /**
   * The longest one attempt of a task may run before it is cancelled and retried. Longer than
   * the stream-silence guard, so a silent model stream is reported as such first.
   * @default 900000 (15 minutes)
   */
  taskTimeoutMs?: number;
  /**
   * First delay before a failed task attempt is retried; doubles up to `taskRetryMaxDelayMs`.
   * @default 100
   */
  taskRetryInitialDelayMs?: number;
  /**
   * Longest delay between task attempts.
   * @default 5000
   */
  taskRetryMaxDelayMs?: number;
  /**
   * Model steps after the latest user message before the turn ends.
   * @default 1200
   */
  maxSteps?: number;
  /**
   * A model stream that produces no part for this long is cancelled and retried.
   * @default 600000 (10 minutes)
   */
  streamSilenceTimeoutMs?: number;
  /**
   * Generation attempts of one history version before the chat ends in `error`.
   * @default 25
   */
  maxGenerationAttempts?: number;
  /**
   * First delay before a retryable model error is retried; doubles up to
   * `generationRetryMaxDelayMs`, and is raised to the provider's `Retry-After`.
   * @default 1000
   */
  generationRetryInitialDelayMs?: number;
  /**
   * Longest delay between generation attempts (unless the provider asks for more).
   * @default 60000
   */
  generationRetryMaxDelayMs?: number;
  /**
   * How long a turn waits for the client to post the results of its tools before the calls
   * are cancelled (with an error result the model sees) and the turn runs on.
   * @default 300000 (5 minutes)
   */
  requiresActionTimeoutMs?: number;
  /**
   * The model configuration that writes chat titles; the chat's own model when omitted. `null`
   * writes none: a chat created without a title keeps its fallback (its first words), and no
   * model call is made for it (one per new chat otherwise).
   */
  titleModelConfigId?: string | null;
  /**
   * The longest a title generation may take. The title is asked for once the chat's first step
   * is committed; a chat that has none after this long (no worker runs it) is titled anyway.
   * @default 30000
   */
  titleTimeoutMs?: number;
  /**
   * Root chats whose family has been idle (no busy member, no message) for more than this many
   * days are archived with their family, once at start and then every `autoArchiveIntervalMs`.
   * The cutoff is counted from the start of the current UTC day, so it is the same for every
   * pass of one day. `0` turns auto-archive off.
   * @default 0
   */
  autoArchiveDays?: number;
  /**
   * How often auto-archive runs (when on).
   * @default 3600000 (1 hour)
   */
  autoArchiveIntervalMs?: number;
  /**
   * The longest follow-up work after a commit (titles, events) is retried before it is given
   * up and logged.
   * @default 10000
   */
  sideEffectBudgetMs?: number;
  /**
   * How often the replica re-reads the versions of every chat it streams (one query for all),
   * in case a hint was lost.
   * @default 10000
   */
  streamSyncIntervalMs?: number;
}

/** {@link ChatdOptions} with every default applied. */
export type ResolvedChatdOptions = Readonly<
  Required<Omit<ChatdOptions, 'titleModelConfigId'>> & {
    titleModelConfigId: string | null | undefined;
  }
>;

function titleModel(value: unknown): string | null | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value !== '')) {
    return value;
  }
  throw new InvalidArgumentError(
    'options.titleModelConfigId',
    'expected a model config id, or null for no titles',
  );
}

/**
 * Applies the defaults and checks every number.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the option.
 */
export function resolveChatdOptions(options: ChatdOptions = {}): ResolvedChatdOptions {
  const duration = (name: keyof ChatdOptions, fallback: number) =>
    requirePositiveNumber(`options.${name}`, options[name] ?? fallback);
  const count = (name: keyof ChatdOptions, fallback: number) =>
    requirePositiveInteger(`options.${name}`, options[name] ?? fallback);
  const autoArchiveDays = options.autoArchiveDays ?? 0;
  return {
    acquireIntervalMs: duration('acquireIntervalMs', 1000),
    acquireBatchSize: count('acquireBatchSize', 10),
    runnerSyncIntervalMs: duration('runnerSyncIntervalMs', 15_000),
    heartbeatCleanupIntervalMs: duration('heartbeatCleanupIntervalMs', 30_000),
    hintQueueSize: count('hintQueueSize', 64),
    taskTimeoutMs: duration('taskTimeoutMs', 15 * 60_000),
    taskRetryInitialDelayMs: duration('taskRetryInitialDelayMs', 100),
    taskRetryMaxDelayMs: duration('taskRetryMaxDelayMs', 5000),
    maxSteps: count('maxSteps', 1200),
    streamSilenceTimeoutMs: duration('streamSilenceTimeoutMs', 10 * 60_000),
    maxGenerationAttempts: count('maxGenerationAttempts', 25),
    generationRetryInitialDelayMs: duration('generationRetryInitialDelayMs', 1000),
    generationRetryMaxDelayMs: duration('generationRetryMaxDelayMs', 60_000),
    requiresActionTimeoutMs: count('requiresActionTimeoutMs', 5 * 60_000),
    titleModelConfigId: titleModel(options.titleModelConfigId),
    titleTimeoutMs: duration('titleTimeoutMs', 30_000),
    autoArchiveDays:
      autoArchiveDays === 0 ? 0 : requirePositiveNumber('options.autoArchiveDays', autoArchiveDays),
    autoArchiveIntervalMs: duration('autoArchiveIntervalMs', 60 * 60_000),
    sideEffectBudgetMs: duration('sideEffectBudgetMs', 10_000),
    streamSyncIntervalMs: duration('streamSyncIntervalMs', 10_000),
  };
}
