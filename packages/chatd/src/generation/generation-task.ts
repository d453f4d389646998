import type { ChatErrorInfo } from '@chatd/core';
import type {
  ChatMessageRow,
  ChatRow,
  ChatStateSnapshot,
  ChatTransitions,
  NewMessage,
} from '@chatd/message-store';
import type { EpisodeKey } from '@chatd/messagepartbuffer';
import { generateText } from 'ai';
import { classifyModelError, toChatErrorInfo } from '../errors/classify-error.js';
import { ContentFilterError, StreamSilenceError } from '../errors/model-errors.js';
import { generationRetryDelayMs } from '../errors/retry-delay.js';
import { costMicros, toMessageUsage } from '../models/cost.js';
import type { ResolvedModel } from '../models/model-resolver.js';
import type { EngineContext } from '../tasks/engine-context.js';
import { readForTask, updateFenced } from '../tasks/fence.js';
import { TaskExit } from '../tasks/task-exit.js';
import { closeTools } from '../tools/close-tools.js';
import type { TurnTools } from '../tools/tool-provider.js';
import type { TaskInput } from '../worker/task-types.js';
import {
  COMPACTION_TOOL_NAME,
  contextTokens,
  type DecisionMessage,
  decide,
  type GenerationDecision,
} from './decide.js';
import type { StartedEarlyCall } from './early-model-call.js';
import { type Episode, openEpisode, type Publish } from './episode.js';
import { toModelMessages, toStepOutput } from './message-parts.js';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  type ModelStep,
  modelTools,
  requestKey,
  startModelStep,
} from './model-step.js';
import { promptWindow } from './prompt.js';
import { toChatStreamPart } from './stream-parts.js';
import { executeToolCalls } from './tool-execution.js';

const DEFAULT_COMPACTION_THRESHOLD = 70;
/** Preparing and deciding are retried this often, 200 ms then 400 ms apart. */
const PHASE_ATTEMPTS = 3;
const PHASE_RETRY_DELAY_MS = 200;

const COMPACTION_PROMPT =
  'Summarise the conversation so far for your own later use: the goal, decisions made, facts learned, work done and what remains. Be dense and complete; it replaces the conversation.';
const SUMMARY_PREFIX =
  'This is a summary of the earlier conversation, which it replaces. Continue the work from here.\n\n';

/** A failure that retrying cannot fix: the turn ends in `error` at once. */
class TerminalError extends Error {
  override readonly name = 'TerminalError';
  constructor(
    message: string,
    readonly info: ChatErrorInfo,
  ) {
    super(message);
  }
}

/** Everything one step needs: the chat and history of one locked read, the model, the tools. */
interface Prepared {
  chat: ChatRow;
  history: readonly ChatMessageRow[];
  modelConfigId: string;
  resolved: ResolvedModel;
  /** The server tools of this action; closed when the action is over, whatever it was. */
  turnTools: TurnTools | undefined;
  decision: GenerationDecision;
  /** The chat's first model call, started before the chat was written (a chat created here). */
  early?: StartedEarlyCall;
}

/**
 * The generation task: one step of a running turn per task. It reads the chat, decides the
 * next step (run tools, wait for the client, compact, finish, or call the model), performs it
 * and commits its result in one fenced transaction; the history change that commit makes
 * starts the next task. Model and tool calls run outside any transaction, so a task that lost
 * the chat meanwhile commits nothing.
 */
export async function runGeneration(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    const prepared = await withPhaseRetry(context, signal, () => prepare(context, input, signal));
    if (prepared instanceof TerminalError) {
      await finishWithError(context, input, signal, prepared.info);
      return;
    }
    try {
      if (!(await act(context, input, signal, prepared))) return;
    } finally {
      await closeTools(context.logger, prepared.turnTools);
      // Its stream was read to the end by now, or is not wanted (another action, a failure).
      prepared.early?.abort();
    }
  }
}

/** Carries out the decided action; returns whether to prepare again (after a retryable failure). */
async function act(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
  prepared: Prepared,
): Promise<boolean> {
  const { decision } = prepared;
  switch (decision.action) {
    case 'finish':
      await updateFenced(context.store, input, signal, (chat) =>
        chat.finishTurn({ release: true }),
      );
      return false;
    case 'requires-action':
      await updateFenced(context.store, input, signal, (chat) =>
        chat.enterRequiresAction({ timeoutMs: context.options.requiresActionTimeoutMs }),
      );
      return false;
    case 'fail':
      await finishWithError(context, input, signal, {
        message: decision.message,
        kind: 'config',
        retryable: false,
      });
      return false;
    default:
      return attempt(context, input, signal, prepared);
  }
}

/**
 * Reads the chat and its history under a share lock, resolves the model, opens the action's
 * tools (their exclusive and stop-after lists take part in the decision) and decides.
 */
async function prepare(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
): Promise<Prepared | TerminalError> {
  const { store, models } = context;
  const { chat, history } = await readForTask(store, input, signal);
  const modelConfigId = chat.lastModelConfigId ?? models.defaultModelConfigId;
  if (modelConfigId === undefined) {
    return new TerminalError('no model', {
      message: 'The chat has no model configuration, and there is no default one.',
      kind: 'config',
      retryable: false,
    });
  }
  // A chat created here: its first model call may be under way already, with its model and
  // tools (taken only by the task its first attempt was recorded for).
  const early = await input.reservedAttempt?.takeEarlyCall(modelConfigId);
  const opened = early ?? (await openModelAndTools(context, chat, modelConfigId, signal));
  if (opened instanceof TerminalError) return opened;
  const { resolved, turnTools } = opened;
  try {
    const decision = decideNext(context, { chat, resolved, turnTools }, history);
    return {
      chat,
      history,
      modelConfigId,
      resolved,
      turnTools,
      decision,
      ...(early === undefined ? {} : { early }),
    };
  } catch (error) {
    early?.abort();
    await closeTools(context.logger, turnTools);
    throw error;
  }
}

/** Resolves the step's model and opens its tools; a model that cannot be resolved is terminal. */
async function openModelAndTools(
  context: EngineContext,
  chat: ChatRow,
  modelConfigId: string,
  signal: AbortSignal,
): Promise<Pick<Prepared, 'resolved' | 'turnTools'> | TerminalError> {
  let resolved: ResolvedModel;
  try {
    resolved = await context.models.resolve(modelConfigId, {
      chatId: chat.id,
      ownerId: chat.ownerId,
    });
  } catch (error) {
    context.logger.warn({ err: error, chatId: chat.id, modelConfigId }, 'model resolve failed');
    return new TerminalError('model resolve failed', {
      message: `The model configuration "${modelConfigId}" cannot be used.`,
      kind: 'config',
      retryable: false,
    });
  }
  const turnTools = await context.tools?.forTurn({
    chatId: chat.id,
    ownerId: chat.ownerId,
    modelConfigId,
    mcpServerIds: chat.mcpServerIds,
    signal,
  });
  return { resolved, turnTools };
}

/**
 * The next step for `history`. A compaction request counts unless `compactionDone` (the step
 * being committed is that compaction, and consumes the request).
 */
function decideNext(
  context: EngineContext,
  { chat, resolved, turnTools }: Pick<Prepared, 'chat' | 'resolved' | 'turnTools'>,
  history: readonly DecisionMessage[],
  compactionDone = false,
): GenerationDecision {
  return decide({
    history,
    dynamicToolNames: chat.dynamicTools.map((declared) => declared.name),
    exclusiveToolNames: turnTools?.exclusive ?? [],
    stopAfterToolNames: turnTools?.stopAfter ?? [],
    compactionRequested: chat.compactionRequestedAt !== null && !compactionDone,
    maxSteps: context.options.maxSteps,
    contextLimitTokens: resolved.contextLimitTokens,
    compactionThresholdPercent: compactionThreshold(resolved),
  });
}

function compactionThreshold(resolved: ResolvedModel): number {
  const value = resolved.compactionThresholdPercent;
  return value === undefined || value <= 0 || value > 100 ? DEFAULT_COMPACTION_THRESHOLD : value;
}

/**
 * Retries preparing and deciding (reads and the model resolver) a few times before the turn
 * ends in error; an ended task or a terminal failure is not retried.
 */
async function withPhaseRetry<T>(
  context: EngineContext,
  signal: AbortSignal,
  run: () => Promise<T>,
): Promise<T | TerminalError> {
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await run();
    } catch (error) {
      if (TaskExit.isInstance(error) || signal.aborted) throw error;
      if (attemptNumber >= PHASE_ATTEMPTS) {
        context.logger.error({ err: error }, 'preparing the step failed');
        return new TerminalError('prepare failed', {
          message: 'The next step could not be prepared.',
          kind: 'generic',
          retryable: false,
        });
      }
      await context.clock.sleep(PHASE_RETRY_DELAY_MS * 2 ** (attemptNumber - 1), signal);
    }
  }
}

/**
 * One attempt of a model, tool or compaction action: records the attempt, streams into a
 * fresh buffer episode, commits. Returns whether to loop for another attempt (after a
 * retryable failure and its delay).
 */
async function attempt(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
  prepared: Prepared,
): Promise<boolean> {
  const { store } = context;
  // Recorded already when the runner was given the chat (its first attempt). Otherwise not
  // flushed to disk before the model is called: a database crash that lost this record would
  // only number the next attempt the same again.
  const attemptNumber =
    input.reservedAttempt?.take() ??
    (await updateFenced(store, input, signal, (chat) => chat.recordGenerationAttempt(), {
      durable: false,
    }));
  if (signal.aborted) throw new TaskExit('cancelled');
  const key: EpisodeKey = {
    chatId: input.chatId,
    historyVersion: input.historyVersion,
    generationAttempt: attemptNumber,
  };
  let episode: Episode;
  try {
    episode = openEpisode(context, key);
  } catch (error) {
    if (signal.aborted) throw new TaskExit('cancelled');
    throw error;
  }
  // Set once the step's messages are committed: that commit supersedes the episode's drafts.
  let committed = false;
  try {
    for (const warning of toolWarnings(prepared)) {
      episode.publish('assistant', { type: 'data-warning', data: warning });
    }
    const messages = await perform(context, signal, prepared, episode.publish);
    await episode.settle(signal);
    await updateFenced(
      store,
      input,
      signal,
      (chat, before) => commitAndDecide(context, chat, before, prepared, messages),
      // Run against the chat as this replica's own last commit left it, the step's statements
      // and its commit go out together; a chat changed elsewhere runs the usual way.
      { attempt: attemptNumber, pipelined: true },
    );
    committed = messages.length > 0;
    return false;
  } catch (error) {
    if (TaskExit.isInstance(error)) throw error;
    if (signal.aborted) throw new TaskExit('cancelled');
    return handleFailure(
      context,
      input,
      signal,
      error,
      attemptNumber,
      prepared.resolved.model.provider,
    );
  } finally {
    episode.close({ committed });
  }
}

/**
 * Commits the step's messages and, when the turn is over (finish) or waits for the client
 * (requires-action), takes that transition in the step's own transaction. The decision comes
 * from the history this step extends; the next task would decide the same from the same rows
 * (the fence guarantees nothing else changed the history), so deciding here saves its reads, a
 * transaction and a runner cycle per turn, and a finish goes with the messages in one write.
 * Other decisions are left to the next task, which the history change starts. No messages
 * means the model had nothing to add: the turn is over.
 */
async function commitAndDecide(
  context: EngineContext,
  chat: ChatTransitions,
  before: ChatStateSnapshot,
  prepared: Prepared,
  messages: NewMessage[],
): Promise<void> {
  if (messages.length === 0) {
    await chat.finishTurn({ release: true });
    return;
  }
  const next = decideNext(
    context,
    prepared,
    [
      ...prepared.history,
      ...messages.filter((message) => message.visibility !== 'user').map(asCommitted),
    ],
    prepared.decision.action === 'compact',
  );
  // A finishing step is this update's last write: it may carry the commit.
  const committed = await chat.commitStep({
    messages,
    consumeCompactionRequest: prepared.decision.action === 'compact',
    ...(next.action === 'finish' ? { finishTurn: { release: true }, lastInUpdate: true } : {}),
  });
  if (next.action === 'requires-action') {
    await chat.enterRequiresAction({ timeoutMs: context.options.requiresActionTimeoutMs });
  }
  // With an empty queue, the step's messages are all this transaction writes (a turn that ends
  // with a queue also starts the next message), so the streams here can take them as they are.
  if (before.queuedCount === 0) {
    const after = (await chat.snapshot()).row;
    chat.afterCommit(() =>
      context.onCommitted(after.id, { chat: after, messages: committed.messages }),
    );
  }
}

/** A message about to be committed, as the decision reads committed rows. */
function asCommitted(message: NewMessage): DecisionMessage {
  const usage = message.usage;
  return {
    role: message.role,
    content: message.content as DecisionMessage['content'],
    compressed: message.compressed ?? false,
    inputTokens: usage?.inputTokens ?? null,
    cacheReadTokens: usage?.cacheReadTokens ?? null,
    cacheWriteTokens: usage?.cacheCreationTokens ?? null,
    totalTokens: usage?.totalTokens ?? null,
  };
}

/** Performs a model, tool or compaction action; returns the messages to commit (none: the turn is over). */
async function perform(
  context: EngineContext,
  signal: AbortSignal,
  prepared: Prepared,
  publish: Publish,
): Promise<NewMessage[]> {
  const { decision, turnTools } = prepared;
  if (decision.action === 'execute-tools') {
    return executeToolCalls(decision.calls, {
      tools: turnTools?.tools ?? {},
      exclusive: turnTools?.exclusive ?? [],
      contextLimitTokens: prepared.resolved.contextLimitTokens,
      signal,
      modelConfigId: prepared.modelConfigId,
      onResult: (part) => publish('tool', part),
    });
  }
  if (decision.action === 'compact') {
    return compact(context, signal, prepared, decision.source);
  }
  return generateStep(context, signal, prepared, publish);
}

/**
 * The early call's stream, when it asked exactly what this step would (the same prompt and
 * client tools; model and server tools are the early call's own): from now on this step's
 * silence and cancellation abort it. One that asked for something else is aborted.
 */
function earlyStep(
  context: EngineContext,
  prepared: Prepared,
  messages: Parameters<typeof requestKey>[0],
  abortSignal: AbortSignal,
): ModelStep | undefined {
  const { early } = prepared;
  if (early === undefined) return undefined;
  if (early.key !== requestKey(messages, prepared.chat.dynamicTools)) {
    // The stored chat reads back other than it was given: the call is wasted, so say so.
    context.logger.warn(
      { chatId: prepared.chat.id },
      'the early model call asked for another prompt',
    );
    early.abort();
    return undefined;
  }
  const abort = () => early.abort(abortSignal.reason);
  if (abortSignal.aborted) abort();
  else abortSignal.addEventListener('abort', abort, { once: true });
  return early.step;
}

/**
 * What the chat's subscribers should know about this step's tools: the tool provider's own
 * warnings (a server that could not be reached), and each client tool that a server tool of
 * the same name hides. The server's runs when the model calls that name, so a client that
 * declared it would otherwise wait for calls that never come, not knowing why.
 */
function toolWarnings({ chat, turnTools }: Prepared): { message: string; source?: string }[] {
  const serverTools = turnTools?.tools ?? {};
  const hidden = chat.dynamicTools
    .filter((declared) => Object.hasOwn(serverTools, declared.name))
    .map((declared) => ({
      message: `The client tool ${declared.name} has the name of a server tool: the model's calls of ${declared.name} run the server's`,
      source: declared.name,
    }));
  return [...(turnTools?.warnings ?? []), ...hidden];
}

/** Streams one model step and returns the assistant message to commit. */
async function generateStep(
  context: EngineContext,
  signal: AbortSignal,
  prepared: Prepared,
  publish: Publish,
): Promise<NewMessage[]> {
  const { clock, options } = context;
  const { resolved, chat, turnTools } = prepared;
  const silence = new SilenceGuard(context, signal, options.streamSilenceTimeoutMs);
  try {
    const messages = toModelMessages(promptWindow(prepared.history));
    const modelStep =
      earlyStep(context, prepared, messages, silence.signal) ??
      startModelStep(
        resolved,
        messages,
        modelTools(chat.dynamicTools, turnTools),
        silence.signal,
        clock.now(),
      );
    const { result, startedAt } = modelStep;
    for await (const part of result.fullStream) {
      silence.touch();
      if (part.type === 'error') throw part.error;
      const mapped = toChatStreamPart(part);
      if (mapped !== undefined) publish('assistant', mapped);
    }
    silence.throwIfSilent();
    if (signal.aborted) throw new TaskExit('cancelled');
    // Without a finished step, `steps` says why (it rejects when nothing was generated).
    const step = modelStep.finishedStep() ?? (await result.steps)[0];
    if (step === undefined) return [];
    context.counters.inputTokens += step.usage.inputTokens ?? 0;
    context.counters.outputTokens += step.usage.outputTokens ?? 0;
    const dynamicToolNames = chat.dynamicTools.map((declared) => declared.name);
    const { parts, refusedCalls } = toStepOutput(step.content, dynamicToolNames);
    if (parts.length === 0) {
      if (step.finishReason === 'content-filter') throw new ContentFilterError();
      return [];
    }
    const message: NewMessage = {
      role: 'assistant',
      content: { version: 1, parts },
      usage: toMessageUsage(step.usage, resolved.contextLimitTokens),
      runtimeMs: Math.max(0, Math.round(clock.now() - startedAt)),
      modelConfigId: prepared.modelConfigId,
    };
    const cost =
      resolved.pricing === undefined ? undefined : costMicros(step.usage, resolved.pricing);
    if (cost !== undefined) message.costMicros = cost;
    // Calls the AI SDK refused (unknown tool, invalid input) are answered with their error at
    // once, so the next step can correct them.
    const refused = refusedCalls.map(
      (result): NewMessage => ({
        role: 'tool',
        content: { version: 1, parts: [result] },
        modelConfigId: prepared.modelConfigId,
      }),
    );
    return [message, ...refused];
  } catch (error) {
    // An aborted stream may end either way: with an error or quietly; silence names the cause.
    silence.throwIfSilent();
    throw error;
  } finally {
    silence.dispose();
  }
}

/** Summarises the history and returns the compressed triplet that replaces it. */
async function compact(
  context: EngineContext,
  signal: AbortSignal,
  prepared: Prepared,
  source: 'manual' | 'automatic',
): Promise<NewMessage[]> {
  const { resolved, history, modelConfigId } = prepared;
  const window = promptWindow(history);
  const measured = window.filter((message) => contextTokens(message) !== undefined).at(-1);
  const usedTokens = measured === undefined ? undefined : contextTokens(measured);
  const threshold = compactionThreshold(resolved);
  const result = await generateText({
    model: resolved.model,
    messages: [...toModelMessages(window), { role: 'user', content: COMPACTION_PROMPT }],
    maxOutputTokens: resolved.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    abortSignal: signal,
    maxRetries: 0,
  });
  const summary = result.text.trim();
  if (summary === '') {
    throw new TerminalError('empty summary', {
      message: 'Compaction produced no summary.',
      kind: 'generic',
      retryable: false,
    });
  }
  const toolCallId = `compaction-${context.clock.now()}`;
  const details = { source, thresholdPercent: threshold };
  const limit = resolved.contextLimitTokens;
  return [
    {
      role: 'user',
      visibility: 'model',
      compressed: true,
      modelConfigId,
      content: { version: 1, parts: [{ type: 'text', text: SUMMARY_PREFIX + summary }] },
    },
    {
      role: 'assistant',
      visibility: 'user',
      compressed: true,
      modelConfigId,
      usage: toMessageUsage(result.usage, limit),
      content: {
        version: 1,
        parts: [{ type: 'tool-call', toolCallId, toolName: COMPACTION_TOOL_NAME, input: details }],
      },
    },
    {
      role: 'tool',
      visibility: 'user',
      compressed: true,
      modelConfigId,
      content: {
        version: 1,
        parts: [
          {
            type: 'tool-result',
            toolCallId,
            toolName: COMPACTION_TOOL_NAME,
            output: {
              summary,
              ...details,
              ...(usedTokens === undefined ? {} : { contextTokens: usedTokens }),
              ...(limit === undefined ? {} : { contextLimitTokens: limit }),
              ...(usedTokens === undefined || limit === undefined
                ? {}
                : { usagePercent: Math.round((usedTokens / limit) * 100) }),
            },
          },
        ],
      },
    },
  ];
}

/**
 * After a failed attempt: a retryable model error records the retry state (stamped in
 * database time, so every replica shows the same countdown) and waits; anything else, or the
 * last allowed attempt, ends the turn in `error`.
 */
async function handleFailure(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
  error: unknown,
  attemptNumber: number,
  provider: string,
): Promise<boolean> {
  const { store, options, logger, clock } = context;
  if (error instanceof TerminalError) {
    await finishWithError(context, input, signal, error.info, attemptNumber);
    return false;
  }
  const classified = classifyModelError(error);
  const { providerErrors } = context.counters;
  providerErrors.set(classified.kind, (providerErrors.get(classified.kind) ?? 0) + 1);
  const info = toChatErrorInfo(classified, provider);
  if (!classified.retryable || attemptNumber >= options.maxGenerationAttempts) {
    logger.error({ err: error, chatId: input.chatId, attempt: attemptNumber }, 'generation failed');
    await finishWithError(context, input, signal, info, attemptNumber);
    return false;
  }
  const delayMs = generationRetryDelayMs(attemptNumber, {
    initialMs: options.generationRetryInitialDelayMs,
    maxMs: options.generationRetryMaxDelayMs,
    retryAfterMs: classified.retryAfterMs,
  });
  logger.warn(
    { err: error, chatId: input.chatId, attempt: attemptNumber, delayMs, kind: classified.kind },
    'generation failed; retrying',
  );
  const now = await store.getDatabaseTime();
  await updateFenced(
    store,
    input,
    signal,
    async (chat) => {
      await chat.recordRetryState({
        attempt: attemptNumber,
        delayMs,
        error: info.message,
        kind: info.kind ?? 'generic',
        provider,
        ...(classified.statusCode === undefined ? {} : { statusCode: classified.statusCode }),
        retryingAt: new Date(now.getTime() + delayMs).toISOString(),
      });
    },
    // What clients are shown while waiting; a lost record is replaced by the next attempt's.
    { attempt: attemptNumber, durable: false },
  );
  await clock.sleep(delayMs, signal).catch(() => {
    throw new TaskExit('cancelled');
  });
  return true;
}

async function finishWithError(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
  info: ChatErrorInfo,
  attemptNumber?: number,
): Promise<void> {
  await updateFenced(
    context.store,
    input,
    signal,
    (chat) => chat.finishError(info, { release: true }),
    attemptNumber === undefined ? {} : { attempt: attemptNumber },
  );
}

/**
 * Cancels a model stream that produced nothing for `timeoutMs`, as a retryable
 * {@link StreamSilenceError}. One timer re-armed for the time left, rather than one per part.
 */
class SilenceGuard {
  readonly #controller = new AbortController();
  readonly #context: EngineContext;
  readonly #timeoutMs: number;
  readonly #parent: AbortSignal;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent.reason);
  #lastPartAt: number;
  #timer: { cancel(): void } | undefined;
  #silent = false;

  constructor(context: EngineContext, parent: AbortSignal, timeoutMs: number) {
    this.#context = context;
    this.#timeoutMs = timeoutMs;
    this.#parent = parent;
    this.#lastPartAt = context.clock.now();
    parent.addEventListener('abort', this.#onParentAbort, { once: true });
    if (parent.aborted) this.#onParentAbort();
    this.#arm(timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    this.#lastPartAt = this.#context.clock.now();
  }

  throwIfSilent(): void {
    if (this.#silent) throw new StreamSilenceError(this.#timeoutMs);
  }

  dispose(): void {
    this.#timer?.cancel();
    this.#parent.removeEventListener('abort', this.#onParentAbort);
  }

  #arm(delayMs: number): void {
    this.#timer = this.#context.clock
      .setTimeout(() => {
        const silentFor = this.#context.clock.now() - this.#lastPartAt;
        if (silentFor < this.#timeoutMs) {
          this.#arm(this.#timeoutMs - silentFor);
          return;
        }
        this.#silent = true;
        this.#controller.abort(new StreamSilenceError(this.#timeoutMs));
      }, delayMs)
      .unref();
  }
}
