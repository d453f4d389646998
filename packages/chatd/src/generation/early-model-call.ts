import type { Logger } from '@chatd/core';
import type { ChatRow, NewMessage } from '@chatd/message-store';
import type { ResolvedModel } from '../models/model-resolver.js';
import type { EngineContext } from '../tasks/engine-context.js';
import { closeTools } from '../tools/close-tools.js';
import type { TurnTools } from '../tools/tool-provider.js';
import { toModelMessages } from './message-parts.js';
import { type ModelStep, modelTools, requestKey, startModelStep } from './model-step.js';

/** What the first step of a chat about to be created asks the model. */
export interface EarlyRequest {
  readonly chatId: string;
  readonly ownerId: string;
  readonly modelConfigId: string;
  readonly mcpServerIds: readonly string[];
  readonly dynamicTools: ChatRow['dynamicTools'];
  /** The chat's initial messages, as they are written. */
  readonly messages: readonly NewMessage[];
}

/** The early call once started: its model, its tools and its stream, with the request's key. */
export interface StartedEarlyCall {
  readonly resolved: ResolvedModel;
  readonly turnTools: TurnTools | undefined;
  readonly step: ModelStep;
  /** The {@link requestKey} of what it asked. */
  readonly key: string;
  /** Aborts its request (ends its stream); harmless once the stream has ended. */
  abort(reason?: unknown): void;
}

/**
 * The first model call of a chat created on this instance, started before the write that
 * creates the chat (once the store has found its input valid) rather than after it and the
 * runner's start. The model is the slowest to
 * answer, so its request goes out first and the write overlaps with the model's wait for its
 * first token (about 2 ms less to the first token on embedded PGlite, where the write blocks
 * the process).
 *
 * The runner's first step takes it ({@link take}) and uses it only if it would ask exactly
 * the same; anything else (the write failed, the chat changed before its first step, another
 * model or prompt) discards it: the request is aborted and its tools are closed. The model
 * is never asked twice for one step, and a discarded call produced nothing anyone saw.
 */
export class EarlyModelCall {
  readonly #controller = new AbortController();
  readonly #modelConfigId: string;
  readonly #started: Promise<StartedEarlyCall | undefined>;
  readonly #logger: Logger;
  #taken = false;

  constructor(context: EngineContext, request: EarlyRequest) {
    this.#modelConfigId = request.modelConfigId;
    this.#logger = context.logger;
    this.#started = this.#start(context, request);
  }

  /**
   * Takes the started call for a step of model configuration `modelConfigId`, once; the
   * caller then owns its tools and its stream. `undefined` when it was taken or discarded
   * already, failed to start (the step starts its own and meets the failure there), or was
   * started for another model (then discarded).
   */
  async take(modelConfigId: string): Promise<StartedEarlyCall | undefined> {
    if (this.#taken) return undefined;
    this.#taken = true;
    const started = await this.#started;
    if (started === undefined) return undefined;
    if (modelConfigId === this.#modelConfigId && !this.#controller.signal.aborted) return started;
    await this.#release(started);
    return undefined;
  }

  /** Aborts the call and closes its tools unless it was taken. Idempotent. */
  discard(): void {
    if (this.#taken) return;
    this.#taken = true;
    this.#controller.abort(new Error('the early model call was not used'));
    void this.#started.then((started) => started && this.#release(started));
  }

  async #start(
    context: EngineContext,
    request: EarlyRequest,
  ): Promise<StartedEarlyCall | undefined> {
    const { chatId, ownerId, modelConfigId } = request;
    const signal = this.#controller.signal;
    let turnTools: TurnTools | undefined;
    try {
      const resolved = await context.models.resolve(modelConfigId, { chatId, ownerId });
      turnTools = await context.tools?.forTurn({
        chatId,
        ownerId,
        modelConfigId,
        mcpServerIds: request.mcpServerIds,
        signal,
      });
      signal.throwIfAborted();
      const messages = toModelMessages(
        request.messages.filter((message) => message.visibility !== 'user'),
      );
      const tools = modelTools(request.dynamicTools, turnTools);
      const step = startModelStep(resolved, messages, tools, signal, context.clock.now());
      return {
        resolved,
        turnTools,
        step,
        key: requestKey(messages, request.dynamicTools),
        abort: (reason) => this.#controller.abort(reason),
      };
    } catch (error) {
      // The runner's own step meets a real failure again and handles it the usual way.
      if (!signal.aborted) this.#logger.debug({ err: error, chatId }, 'early model call failed');
      await closeTools(this.#logger, turnTools);
      return undefined;
    }
  }

  async #release(started: StartedEarlyCall): Promise<void> {
    started.abort(new Error('the early model call was not used'));
    await closeTools(this.#logger, started.turnTools);
  }
}
