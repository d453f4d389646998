import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import {
  type Chat,
  ChatdError,
  type ChatMessage,
  type Clock,
  type Logger,
  type QueuedChatMessage,
  realClock,
  silentLogger,
  withDeadline,
} from '@chatd/core';
import {
  type ChatPage,
  type ChatTransitions,
  type ChatUpdatePayload,
  type CompleteRequiresActionInput,
  type CreateChatResult,
  chatUpdateChannel,
  isRunnable,
  type ListChatsOptions,
  type ListMessagesOptions,
  type MessageStore,
  type NewMessage,
  type CreateChatInput as StoreCreateChatInput,
  toChatMessage,
  toQueuedChatMessage,
} from '@chatd/message-store';
import { MessagePartBuffer } from '@chatd/messagepartbuffer';
import { generateText } from 'ai';
import {
  AlreadyStartedError,
  ChatdClosedError,
  NoDefaultModelConfigError,
  NothingToCompactError,
  UnknownModelConfigError,
} from '../errors/chatd-errors.js';
import { classifyModelError } from '../errors/classify-error.js';
import { hasSomethingToCompact } from '../generation/decide.js';
import { EarlyModelCall } from '../generation/early-model-call.js';
import type { ModelResolver } from '../models/model-resolver.js';
import { partSources } from '../stream/part-sources.js';
import { StreamHub, type SubscribeOptions } from '../stream/stream-hub.js';
import type { ChatStreamEventWithCursor } from '../stream/subscriber-events.js';
import type { EngineContext } from '../tasks/engine-context.js';
import { createEngineTasks } from '../tasks/engine-tasks.js';
import type { ToolProvider } from '../tools/tool-provider.js';
import { isChatUpdate } from '../worker/chat-update.js';
import type { Handover } from '../worker/handover.js';
import { hasLiveOwner, Worker } from '../worker/worker.js';
import { type MessageContentInput, toChat, toContent } from './chat-info.js';
import { parseInputs, renameContentIssues, STORED_CONTENT } from './inputs.js';
import { type ChatdOptions, type ResolvedChatdOptions, resolveChatdOptions } from './options.js';
import { cleanTitle, fallbackTitle, textOf, titlePrompt } from './titles.js';

/**
 * How long the title call waits after the first step's commit: that commit also ends the first
 * reply's stream, whose last reads and writes should not queue behind a model call.
 */
const TITLE_AFTER_STEP_MS = 50;

/**
 * The limits of the buffer chatd creates when given none: above the buffer's own defaults (1 MiB
 * an episode, as Coder's), which a reply of about 12,000 one-word deltas fills, after which its
 * live stream stops until the commit and an interrupt keeps only what fitted. 8 MiB holds a
 * 64,000-token reply of one-word deltas; the total bounds memory across all chats.
 */
const OWN_BUFFER_LIMITS = { maxEpisodeBytes: 8 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 };

/** What {@link createChatd} wires together. */
export interface CreateChatdOptions {
  /** The durable chat state; its PubSub carries the state hints between processes. */
  store: MessageStore;
  /**
   * Where streamed parts of in-flight turns live. Created (and closed with chatd) when omitted,
   * holding up to 8 MiB of parts an episode (a 64,000-token reply of one-word deltas) and
   * 256 MiB in all. A reply past its episode's limit streams no more parts (its subscribers get
   * the committed message) and an interrupt keeps what fitted: size a buffer of your own for
   * the longest replies your models give.
   */
  buffer?: MessagePartBuffer;
  /** Maps model configuration ids to models. */
  models: ModelResolver;
  /** Server-side tools of each turn; none when omitted. */
  tools?: ToolProvider;
  /**
   * This process's worker id, which owns the chats it runs. One per process.
   * @default a random UUID
   */
  workerId?: string;
  /** @default realClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Tuning; every field has a default. */
  options?: ChatdOptions;
}

/** A new chat. */
export interface CreateChatInput {
  /** The owner (opaque, app-defined). */
  ownerId: string;
  /** The model configuration; the resolver's default when omitted. */
  modelConfigId?: string;
  /** The first user message. */
  content: MessageContentInput;
  /** A system prompt for this chat (seen by the model only). */
  systemPrompt?: string;
  /** The title; a fallback from the first words, then a generated one, when omitted. */
  title?: string;
  /** App-defined labels. */
  labels?: Record<string, string>;
  /** MCP servers (or other tool sources) the chat may use. */
  mcpServerIds?: string[];
  /** Tools the client executes (declared to the model, answered with `submitToolResults`). */
  dynamicTools?: NonNullable<StoreCreateChatInput['dynamicTools']>;
  /** The parent chat, for a sub-chat. */
  parentChatId?: string;
}

/** What `createChat` created. */
export interface CreatedChat extends Chat {
  /** The id of the first user message (the `content` given), whose answer the first turn is. */
  firstMessageId: number;
}

/** A user message sent to a chat. */
export interface SendMessageInput {
  /** The message. */
  content: MessageContentInput;
  /**
   * When the chat is busy: `queue` waits for the current turn; `interrupt` stops it and
   * answers this message next.
   * @default 'queue'
   */
  busy?: 'queue' | 'interrupt';
  /** The model configuration to answer with; the chat's when omitted. */
  modelConfigId?: string;
  /** Who wrote it. @default the chat's owner */
  createdBy?: string;
}

/** What `sendMessage` did. */
export interface SendMessageResult {
  /** Whether the message waits in the queue. */
  queued: boolean;
  /** The message, when it joined the history. */
  message?: ChatMessage;
  /** The queued message, when it was queued. */
  queuedMessage?: QueuedChatMessage;
}

/** A replacement for a user message. */
export interface EditMessageInput {
  /** The new content. */
  content: MessageContentInput;
  /** The model configuration for the new turn; the edited message's when omitted. */
  modelConfigId?: string;
  /** Who edited it. @default the chat's owner */
  createdBy?: string;
}

/** Counters of a running instance. */
export interface ChatdStats {
  /** State hints dropped because a runner's queue was full. */
  droppedHints: number;
  /** Runners working on chats. */
  liveRunners: number;
  /** Runners cancelled and still finishing. */
  cleaningRunners: number;
  /** Chats (sub-chats included) this instance archived because their family was idle. */
  autoArchivedChats: number;
  /** Input tokens of the model steps this instance ran (as the providers reported them). */
  inputTokens: number;
  /** Output tokens of those steps, reasoning included. */
  outputTokens: number;
  /** Failed model calls by error kind (`rate-limit`, `overloaded`, `auth`, `timeout`, …). */
  providerErrors: Record<string, number>;
  /** Bytes of streamed parts the buffer holds now. */
  bufferBytes: number;
  /** Draft batches this process wrote for other replicas and crash recovery. */
  draftBatchesWritten: number;
}

/**
 * Creates a chatd instance: the API that changes chats (each call one store transition) and,
 * once started, the worker that runs their turns.
 *
 * @example
 * ```ts
 * const chatd = createChatd({ store, models: staticModels({ demo: { model } }, { defaultModelConfigId: 'demo' }) });
 * await chatd.start();
 * const chat = await chatd.createChat({ ownerId: 'me', content: 'Hello!' });
 * ```
 * @throws InvalidArgumentError `INVALID_ARGUMENT` for an invalid option.
 */
export function createChatd(init: CreateChatdOptions): Chatd {
  return new Chatd(init);
}

/** A chatd instance; see {@link createChatd}. */
export class Chatd {
  readonly #store: MessageStore;
  readonly #models: ModelResolver;
  readonly #buffer: MessagePartBuffer;
  readonly #ownsBuffer: boolean;
  readonly #logger: Logger;
  readonly #options: ResolvedChatdOptions;
  readonly #worker: Worker;
  readonly #context: EngineContext;
  readonly #streams: StreamHub;
  /** Aborts detached work (titles) on close. */
  readonly #closing = new AbortController();
  readonly #detached = new Set<Promise<void>>();
  #started = false;
  #closed: Promise<void> | undefined;

  /** @internal Use {@link createChatd}. */
  constructor(init: CreateChatdOptions) {
    // Every title being generated waits on this signal: fifty new chats at once are fifty
    // listeners, which is load, not a leak (each is removed when its wait ends).
    setMaxListeners(0, this.#closing.signal);
    this.#options = resolveChatdOptions(init.options);
    this.#store = init.store;
    this.#models = init.models;
    this.#logger = (init.logger ?? silentLogger).child({ component: 'chatd' });
    const clock = init.clock ?? realClock;
    this.#ownsBuffer = init.buffer === undefined;
    this.#buffer = init.buffer ?? new MessagePartBuffer({ ...OWN_BUFFER_LIMITS, clock });
    this.#context = {
      store: init.store,
      buffer: this.#buffer,
      models: init.models,
      tools: init.tools,
      clock,
      logger: this.#logger,
      options: this.#options,
      counters: { inputTokens: 0, outputTokens: 0, providerErrors: new Map() },
      onCommitted: (chatId, commit) => this.#streams.offerCommitted(chatId, commit),
    };
    const workerId = init.workerId ?? randomUUID();
    this.#streams = new StreamHub(
      {
        store: init.store,
        buffer: this.#buffer,
        workerId,
        clock,
        logger: this.#logger,
        partSources: partSources(init.store, this.#buffer, this.#logger),
      },
      { pollIntervalMs: this.#options.streamSyncIntervalMs },
    );
    this.#worker = new Worker({
      store: init.store,
      workerId,
      tasks: createEngineTasks(this.#context),
      clock,
      logger: this.#logger,
      options: this.#options,
    });
  }

  /**
   * Starts the worker: from now on this instance acquires runnable chats and runs their
   * turns. An API-only instance never calls it.
   * @throws AlreadyStartedError `ALREADY_STARTED` on a second call.
   */
  async start(): Promise<void> {
    this.#assertOpen();
    if (this.#started) throw new AlreadyStartedError();
    this.#started = true;
    await this.#worker.start();
  }

  /**
   * Stops gracefully: no new chats are acquired, running tasks are cancelled and awaited, and
   * every chat this instance held is handed over at once (its heartbeat deleted and an
   * ownership hint published), so another replica continues it without waiting for the lease.
   * Idempotent. Afterwards no timer, listener or connection of chatd's remains; the store and
   * a buffer passed in stay open.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new ChatdClosedError());
      this.#streams.close();
      await this.#worker.close();
      await Promise.allSettled(this.#detached);
      if (this.#ownsBuffer) await this.#buffer.close();
    })();
    return this.#closed;
  }

  /**
   * A chat's live stream: the chat as it is (messages, queue, status and what goes with it),
   * then every change and every part of the reply as the model produces it, on whichever
   * replica generates it. Each event carries a `cursor`; `subscribe(chatId, { cursor })` on
   * any replica continues after that event. All subscribers of a chat on this replica share
   * one reader, and a subscriber that reads slowly only falls behind itself: it catches up
   * from the current state when it reads again. Subscribers may receive the same event objects:
   * treat them as read-only. The stream ends when `signal` aborts or the instance closes;
   * authorisation is the caller's job.
   *
   * @example
   * ```ts
   * for await (const event of chatd.subscribe(chatId, { signal })) {
   *   if (event.type === 'message-part') render(event.part);
   *   saveResumePoint(event.cursor);
   * }
   * ```
   * @throws InvalidArgumentError `INVALID_ARGUMENT` for a malformed `cursor` or
   *   `afterMessageId`. Iterating fails with `CHAT_NOT_FOUND` for an unknown chat.
   */
  subscribe(chatId: string, options?: SubscribeOptions): AsyncIterable<ChatStreamEventWithCursor> {
    this.#assertOpen();
    return this.#streams.subscribe(chatId, options);
  }

  /** Counters of this instance, for metrics. */
  stats(): ChatdStats {
    const { inputTokens, outputTokens, providerErrors } = this.#context.counters;
    return {
      ...this.#worker.stats(),
      inputTokens,
      outputTokens,
      providerErrors: Object.fromEntries(providerErrors),
      bufferBytes: this.#buffer.bytes,
      draftBatchesWritten: this.#store.drafts.batchesWritten,
    };
  }

  /**
   * Creates a chat with its first user message; a worker starts the first turn. The title is
   * a fallback from the first words until the title model writes one (in the background).
   * @throws UnknownModelConfigError `UNKNOWN_MODEL_CONFIG` / NoDefaultModelConfigError
   *   `NO_DEFAULT_MODEL_CONFIG`, before anything is written.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the field (`input.labels.team`), or
   *   ValidationFailedError `VALIDATION_FAILED` listing what is wrong in `content` or
   *   `systemPrompt`, before the model is asked anything and with nothing written.
   */
  async createChat(input: CreateChatInput): Promise<CreatedChat> {
    this.#assertOpen();
    const checked = parseInputs.createChat(input);
    const modelConfigId = await this.#checkedModel(
      checked.modelConfigId ?? this.#models.defaultModelConfigId,
    );
    const { content } = checked;
    const messages: NewMessage[] = [];
    if (checked.systemPrompt !== undefined) {
      messages.push({
        role: 'system',
        visibility: 'model',
        content: toContent(checked.systemPrompt),
      });
    }
    messages.push({ role: 'user', content, createdBy: checked.ownerId, modelConfigId });
    const title = checked.title ?? fallbackTitle(content.parts);
    const owner = this.#worker.localOwner();
    const chatId = randomUUID();
    let earlyCall: EarlyModelCall | undefined;
    // Run here, the first model call goes out before the chat is written (see EarlyModelCall),
    // once the store has found the input valid.
    const startEarlyCall = async () => {
      if (owner === undefined) return;
      earlyCall = new EarlyModelCall(this.#context, {
        chatId,
        ownerId: checked.ownerId,
        modelConfigId,
        mcpServerIds: checked.mcpServerIds ?? [],
        dynamicTools: checked.dynamicTools ?? [],
        messages,
      });
      // Embedded PGlite's write blocks the process: it waits until the request is out (the
      // AI SDK sends it within the microtasks that follow). Postgres works while the SDK does.
      if (this.#store.driver === 'pglite') await nextMacrotask();
    };
    let created: CreateChatResult;
    try {
      created = await this.#store.createChat(
        {
          id: chatId,
          // The runner starts generating at once: its first attempt is recorded here too.
          ...(owner === undefined ? {} : { owner, recordGenerationAttempt: true }),
          ownerId: checked.ownerId,
          title,
          lastModelConfigId: modelConfigId,
          messages,
          ...(checked.labels === undefined ? {} : { labels: checked.labels }),
          ...(checked.mcpServerIds === undefined ? {} : { mcpServerIds: checked.mcpServerIds }),
          ...(checked.dynamicTools === undefined ? {} : { dynamicTools: checked.dynamicTools }),
          ...(checked.parentChatId === undefined ? {} : { parentChatId: checked.parentChatId }),
        },
        { beforeWrite: startEarlyCall },
      );
    } catch (error) {
      earlyCall?.discard();
      const user = messages.length - 1;
      throw renameContentIssues(error, [
        { from: ['messages', user, 'content', 'parts'], to: ['content'] },
        // A system prompt is one text part: any problem in it is the prompt's.
        ...(user === 0
          ? []
          : [{ from: ['messages', 0, 'content', 'parts', 0, 'text'], to: ['systemPrompt'] }]),
      ]);
    }
    const { chat, messageIds, promptHistory } = created;
    // The title waits for the first step's commit: it listens before the runner starts.
    if (checked.title === undefined && this.#options.titleModelConfigId !== null) {
      const firstMessage = textOf(content.parts);
      this.#detach(
        this.#generateTitle(chatId, checked.ownerId, firstMessage, title, modelConfigId, {
          runsHere: owner !== undefined,
        }),
      );
    }
    if (owner !== undefined) {
      const handover = {
        state: chat,
        chat,
        promptHistory,
        attemptRecorded: true,
        ...(earlyCall === undefined ? {} : { earlyCall }),
      };
      await this.#worker.adopt(chatId, owner.runnerId, handover);
    }
    // The user message is the last one written (after the system prompt, if any).
    return { ...toChat(chat), firstMessageId: messageIds.at(-1) as number };
  }

  /**
   * Sends a user message: it starts a turn on an idle chat, waits in the queue of a busy one,
   * or (`busy: 'interrupt'`) stops the current turn and is answered next.
   * @throws UnknownModelConfigError `UNKNOWN_MODEL_CONFIG` before anything is written.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` / ValidationFailedError `VALIDATION_FAILED`
   *   naming the field (`input.busy`, `content.0.text`), with nothing written.
   * @throws The store's `QUEUE_FULL`, `TRANSITION_NOT_ALLOWED` (archived), `CHAT_NOT_FOUND`.
   */
  async sendMessage(chatId: string, input: SendMessageInput): Promise<SendMessageResult> {
    this.#assertOpen();
    const { content, busy, modelConfigId, createdBy } = parseInputs.sendMessage(input);
    if (modelConfigId !== undefined) await this.#checkedModel(modelConfigId);
    const author = createdBy ?? (await this.#store.getChat(chatId)).ownerId;
    const result = await this.#updateAndRun(chatId, (chat) =>
      chat.sendMessage({
        role: 'user',
        content,
        createdBy: author,
        ...(busy === undefined ? {} : { busy }),
        ...(modelConfigId === undefined ? {} : { modelConfigId }),
      }),
    ).catch((error: unknown) => {
      throw renameContentIssues(error, STORED_CONTENT);
    });
    const output: SendMessageResult = { queued: result.queuedMessageId !== undefined };
    if (result.messageId !== undefined) {
      output.message = toChatMessage(await this.#store.getMessage(chatId, result.messageId));
    }
    if (result.queuedMessageId !== undefined) {
      const queued = await this.#store.listQueuedMessages(chatId);
      const row = queued.find((candidate) => candidate.id === result.queuedMessageId);
      if (row !== undefined) output.queuedMessage = toQueuedChatMessage(row);
    }
    return output;
  }

  /**
   * Replaces a user message: it and everything after it leave the history, and a new turn
   * answers the new content.
   * @throws UnknownModelConfigError `UNKNOWN_MODEL_CONFIG` before anything is written.
   * @throws InvalidArgumentError `INVALID_ARGUMENT` / ValidationFailedError `VALIDATION_FAILED`
   *   naming the field (`messageId`, `content.0.text`), with nothing written.
   * @throws The store's `MESSAGE_NOT_FOUND`, `MESSAGE_NOT_USER`, `TRANSITION_NOT_ALLOWED`.
   */
  async editMessage(
    chatId: string,
    messageId: number,
    input: EditMessageInput,
  ): Promise<ChatMessage> {
    this.#assertOpen();
    const id = parseInputs.messageId(messageId);
    const { content, modelConfigId, createdBy } = parseInputs.editMessage(input);
    if (modelConfigId !== undefined) await this.#checkedModel(modelConfigId);
    const author = createdBy ?? (await this.#store.getChat(chatId)).ownerId;
    const result = await this.#updateAndRun(chatId, (chat) =>
      chat.editMessage({
        messageId: id,
        content,
        createdBy: author,
        ...(modelConfigId === undefined ? {} : { modelConfigId }),
      }),
    ).catch((error: unknown) => {
      throw renameContentIssues(error, STORED_CONTENT);
    });
    return toChatMessage(await this.#store.getMessage(chatId, result.messageId));
  }

  /**
   * Removes a queued message.
   * @throws The store's `QUEUED_MESSAGE_NOT_FOUND`.
   */
  async deleteQueued(chatId: string, queuedMessageId: number): Promise<void> {
    this.#assertOpen();
    await this.#store.update(chatId, (chat) => chat.deleteQueued(queuedMessageId));
  }

  /**
   * Sends a queued message now: on an idle chat it starts the turn, on a busy one it
   * interrupts the turn and is answered next.
   * @returns The message, when it joined the history at once.
   */
  async promoteQueued(chatId: string, queuedMessageId: number): Promise<ChatMessage | undefined> {
    this.#assertOpen();
    const { messageId } = await this.#updateAndRun(chatId, (chat) =>
      chat.promoteQueued(queuedMessageId),
    );
    if (messageId === undefined) return undefined;
    return toChatMessage(await this.#store.getMessage(chatId, messageId));
  }

  /**
   * Stops the current turn; what it produced so far is kept. A chat waiting for client tool
   * results (`requires-action`) instead answers each pending call with an "interrupted" error
   * result and runs on: the model is asked again, without the tool's answer.
   * @throws The store's `TRANSITION_NOT_ALLOWED` when the chat is not busy.
   */
  async interrupt(chatId: string): Promise<Chat> {
    this.#assertOpen();
    await this.#store.update(chatId, (chat) => chat.interrupt());
    return toChat(await this.#store.getChat(chatId));
  }

  /**
   * Archives a root chat with its whole family.
   * @throws The store's `CHAT_NOT_ROOT` for a sub-chat, `TRANSITION_NOT_ALLOWED` while a
   *   member is busy.
   */
  async archive(chatId: string): Promise<string[]> {
    this.#assertOpen();
    return (await this.#store.setFamilyArchived(chatId, true)).chatIds;
  }

  /** Unarchives a root chat with its whole family. */
  async unarchive(chatId: string): Promise<string[]> {
    this.#assertOpen();
    return (await this.#store.setFamilyArchived(chatId, false)).chatIds;
  }

  /**
   * Asks for the history to be compacted now: a worker summarises it and the chat returns to
   * waiting.
   * @throws NothingToCompactError `NOTHING_TO_COMPACT` when nothing is new since the last
   *   compaction (nothing is written).
   * @throws The store's `TRANSITION_NOT_ALLOWED` when the chat is busy.
   */
  async compact(chatId: string): Promise<void> {
    this.#assertOpen();
    // Read before the update, not in it: the store is not called inside its own callbacks. A
    // message committed in between only adds something to compact.
    const history = await this.#store.getPromptHistory(chatId);
    if (!hasSomethingToCompact(history)) {
      // Only a waiting chat can be compacted: the transition refuses any other and says why
      // (busy, archived), which matters more than there being nothing to compact yet.
      const { status, archived } = await this.#store.getChat(chatId);
      if (status === 'waiting' && !archived) throw new NothingToCompactError(chatId);
    }
    await this.#updateAndRun(chatId, (chat) => chat.requestCompaction());
  }

  /**
   * Answers the client-executed tool calls a turn is waiting for; the turn runs on.
   * @throws The store's `INVALID_TOOL_RESULTS` (duplicate, missing or unexpected results),
   *   `TRANSITION_NOT_ALLOWED` when the chat is not waiting for tool results.
   */
  async submitToolResults(
    chatId: string,
    results: CompleteRequiresActionInput['results'],
    options: { createdBy?: string } = {},
  ): Promise<ChatMessage[]> {
    this.#assertOpen();
    const createdBy = parseInputs.authorOptions(options)?.createdBy;
    const author = createdBy ?? (await this.#store.getChat(chatId)).ownerId;
    const { messageIds } = await this.#updateAndRun(chatId, (chat) =>
      chat.completeRequiresAction({ createdBy: author, results }),
    );
    return Promise.all(
      messageIds.map(async (id) => toChatMessage(await this.#store.getMessage(chatId, id))),
    );
  }

  /** Moves a chat found in an invalid state into `error`, so it can be used again. */
  async reconcileInvalidState(chatId: string): Promise<Chat> {
    this.#assertOpen();
    await this.#store.update(chatId, (chat) => chat.reconcileInvalidState());
    return toChat(await this.#store.getChat(chatId));
  }

  /** Sets a chat's title. */
  async renameChat(chatId: string, title: string): Promise<Chat> {
    this.#assertOpen();
    return toChat(await this.#store.updateChatMetadata(chatId, { title }));
  }

  /**
   * Replaces a chat's labels (app-defined string pairs, e.g. for filtering `listChats`).
   * @throws The store's `CHAT_NOT_FOUND`, or `INVALID_ARGUMENT` for labels that are not a map of
   *   strings.
   */
  async setChatLabels(chatId: string, labels: Record<string, string>): Promise<Chat> {
    this.#assertOpen();
    return toChat(await this.#store.updateChatMetadata(chatId, { labels }));
  }

  /**
   * Deletes a chat with its messages, queue and sub-chats. Irreversible. A turn this replica
   * runs for it stops now and its streams end, on every replica at once; another replica
   * running it stops at its next runner sync (`runnerSyncIntervalMs`), or sooner when its next
   * write finds the chat gone.
   * @throws The store's `CHAT_NOT_FOUND`.
   */
  async deleteChat(chatId: string): Promise<void> {
    this.#assertOpen();
    await this.#store.deleteChat(chatId);
    this.#streams.resync(chatId);
    this.#worker.chatDeleted(chatId);
  }

  /** A chat. @throws The store's `CHAT_NOT_FOUND`. */
  async getChat(chatId: string): Promise<Chat> {
    this.#assertOpen();
    return toChat(await this.#store.getChat(chatId));
  }

  /** A page of an owner's chats, most recently active first. */
  async listChats(
    ownerId: string,
    options?: ListChatsOptions,
  ): Promise<{ chats: Chat[]; nextCursor?: string }> {
    this.#assertOpen();
    const page: ChatPage = await this.#store.listChats(ownerId, options);
    return { ...page, chats: page.chats.map(toChat) };
  }

  /** A page of a chat's transcript (what the user sees). */
  async listMessages(
    chatId: string,
    options?: ListMessagesOptions,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    this.#assertOpen();
    const page = await this.#store.listMessages(chatId, options);
    return { messages: page.messages.map(toChatMessage), hasMore: page.hasMore };
  }

  #assertOpen(): void {
    if (this.#closed !== undefined) throw new ChatdClosedError();
  }

  async #checkedModel(modelConfigId: string | undefined): Promise<string> {
    if (modelConfigId === undefined) throw new NoDefaultModelConfigError();
    if (!(await this.#models.has(modelConfigId))) throw new UnknownModelConfigError(modelConfigId);
    return modelConfigId;
  }

  #detach(work: Promise<void>): void {
    this.#detached.add(work);
    void work.finally(() => this.#detached.delete(work));
  }

  /**
   * `store.update` for a change that may leave the chat runnable without a live owner (a new
   * turn, a promoted message, tool results): while this instance's worker runs, the same
   * transaction acquires the chat for it and its runner starts right after the commit, so the
   * turn does not wait for an acquisition pass (a chat another runner holds alive is left
   * alone).
   */
  async #updateAndRun<T>(chatId: string, fn: (chat: ChatTransitions) => Promise<T>): Promise<T> {
    const owner = this.#worker.localOwner();
    if (owner === undefined) return this.#store.update(chatId, fn);
    const staleAfterMs = this.#store.lease.staleAfterMs;
    let handover: Handover | undefined;
    const result = await this.#store.update(chatId, async (chat) => {
      const value = await fn(chat);
      const snapshot = await chat.snapshot();
      if (isRunnable(snapshot.state) && !hasLiveOwner(snapshot, staleAfterMs)) {
        await chat.acquire(owner);
        // A running chat's runner starts generating at once: its first attempt is recorded
        // in this transaction rather than in one of its own.
        const attemptRecorded = snapshot.row.status === 'running';
        if (attemptRecorded) await chat.recordGenerationAttempt();
        handover = { state: (await chat.snapshot()).row, attemptRecorded };
      }
      return value;
    });
    if (handover !== undefined) await this.#worker.adopt(chatId, owner.runnerId, handover);
    return result;
  }

  /**
   * Resolves `true` once the chat's history moved past its creation (the first step was
   * committed), its first turn stopped running, or `titleTimeoutMs` passed (a chat no worker
   * runs still gets its title); `false` when the chat is gone or chatd closes.
   *
   * `runsHere`: this instance's runner is about to be given the chat. The subscription is
   * made before this first awaits, so before the runner starts, and the runner's commits reach
   * it without a round trip through the database: there is nothing to read first.
   */
  async #firstStepDone(chatId: string, { runsHere }: { runsHere: boolean }): Promise<boolean> {
    const closing = this.#closing.signal;
    const waited = new AbortController();
    const timer = this.#context.clock
      .setTimeout(() => waited.abort(), this.#options.titleTimeoutMs)
      .unref();
    const subscription = this.#store.pubsub.subscribe(chatUpdateChannel(chatId), {
      signal: AbortSignal.any([closing, waited.signal]),
    });
    const moved = (chat: Pick<ChatUpdatePayload, 'historyVersion' | 'status'>) =>
      chat.historyVersion > 1 || chat.status !== 'running';
    try {
      await subscription.ready;
      // What happened before the subscription listened is only in the row.
      if (!runsHere && moved(await this.#store.getChat(chatId))) return true;
      for await (const event of subscription) {
        if (event.type === 'message' && isChatUpdate(event.payload) && moved(event.payload)) {
          return true;
        }
        if (event.type === 'resync' && moved(await this.#store.getChat(chatId))) return true;
      }
      return !closing.aborted;
    } catch (error) {
      if (ChatdError.isInstance(error, 'CHAT_NOT_FOUND') || closing.aborted) return false;
      if (waited.signal.aborted) return true;
      throw error;
    } finally {
      timer.cancel();
      subscription.cancel();
    }
  }

  /**
   * Asks the title model for a title once the chat's first model step is committed (or the
   * first turn stopped without one), and stores it if the chat still has its fallback title.
   * Waiting keeps the title call off the first reply's path: it would otherwise compete with
   * it for the database and the process right when the user waits for the first token.
   * Retryable provider errors are retried within the side-effect budget; every failure is
   * logged and leaves the fallback.
   */
  async #generateTitle(
    chatId: string,
    ownerId: string,
    firstMessage: string,
    fallback: string,
    chatModelConfigId: string,
    { runsHere }: { runsHere: boolean },
  ) {
    const { clock } = this.#context;
    const modelConfigId = this.#options.titleModelConfigId ?? chatModelConfigId;
    try {
      if (firstMessage.trim() === '') return;
      if (!(await this.#firstStepDone(chatId, { runsHere }))) return;
      // The step's commit also ends the reply's stream; its last writes go first.
      await clock.sleep(TITLE_AFTER_STEP_MS, this.#closing.signal);
      const deadline = clock.now() + this.#options.sideEffectBudgetMs;
      const { model } = await this.#models.resolve(modelConfigId, { chatId, ownerId });
      for (let attempt = 1; ; attempt += 1) {
        try {
          const result = await withDeadline(
            {
              clock,
              timeoutMs: this.#options.titleTimeoutMs,
              signal: this.#closing.signal,
              onTimeout: () => new Error('title generation timed out'),
            },
            (signal) =>
              generateText({
                model,
                prompt: titlePrompt(firstMessage),
                maxOutputTokens: 40,
                abortSignal: signal,
                maxRetries: 0,
              }),
          );
          const title = cleanTitle(result.text);
          if (title === undefined) return;
          // Only over the fallback: a title the user set meanwhile stays.
          await this.#store.updateChatMetadata(chatId, { title, onlyIfTitle: fallback });
          return;
        } catch (error) {
          const delayMs = 250 * 2 ** (attempt - 1);
          if (
            this.#closing.signal.aborted ||
            !classifyModelError(error).retryable ||
            clock.now() + delayMs > deadline
          ) {
            throw error;
          }
          await clock.sleep(delayMs, this.#closing.signal);
        }
      }
    } catch (error) {
      if (this.#closing.signal.aborted) return;
      this.#logger.warn({ err: error, chatId }, 'title generation failed; keeping the fallback');
    }
  }
}
