import type { Chat } from '@chatd/core';
import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import type { ChatdClient } from '../client.js';
import { ChatdClientError } from '../errors.js';
import type { ContentInput, CreateChatRequest } from '../types.js';
import {
  type QueuedMessageRef,
  toUiMessageChunks,
  turnOfQueuedMessage,
  type UiMessageChunk,
} from '../ui-chunks.js';

/** Options of {@link ChatdChatTransport}. */
export interface ChatdChatTransportOptions {
  /** The client the transport sends and streams with. */
  client: ChatdClient;
  /**
   * Fields of the chat created for a `useChat` id that is not yet a chatd chat (model, title,
   * system prompt, labels, client tools); the first message (its text and files) is its content.
   */
  newChat?: Omit<CreateChatRequest, 'content'>;
  /**
   * Called when a `useChat` id got a new chatd chat. Persist the pair (or pass `chat.id` as
   * `useChat`'s `id` next time) to reach the same chat after a reload: the transport keeps the
   * mapping in memory only.
   */
  onChatCreated?: (useChatId: string, chat: Chat) => void;
}

type SendOptions = Parameters<ChatTransport<UIMessage>['sendMessages']>[0];
type ReconnectOptions = Parameters<ChatTransport<UIMessage>['reconnectToStream']>[0];

/**
 * A `ChatTransport` for the AI SDK's `useChat` on chatd's native API: messages go through
 * `POST /v1/chats/:id/messages`, replies stream from `GET /v1/chats/:id/stream`, which
 * reconnects by itself with its cursor, so a dropped connection or a restarted server costs
 * the UI nothing. A message sent while the chat is busy waits in chatd's queue, and its stream
 * starts when its turn does. Stopping the `useChat` stream ends the stream only; the turn goes
 * on (interrupt it with `client.actions.interrupt`).
 *
 * The `useChat` id may be a chatd chat id (the chat is used as it is) or any other string (a
 * chat is created on the first message and remembered for this transport).
 *
 * @example
 * ```tsx
 * const client = createClient({ baseUrl: 'https://chatd.example.com', token });
 * const transport = new ChatdChatTransport({ client });
 * const { messages, sendMessage } = useChat({ id: chatId, transport, resume: true });
 * ```
 */
export class ChatdChatTransport implements ChatTransport<UIMessage> {
  /** A resumed stream replays the in-flight reply from its start. */
  readonly resumeStreamIsReplay = true;
  readonly #client: ChatdClient;
  readonly #newChat: Omit<CreateChatRequest, 'content'>;
  readonly #onChatCreated: ((useChatId: string, chat: Chat) => void) | undefined;
  /** `useChat` ids mapped to chatd chat ids. */
  readonly #chats = new Map<string, string>();

  constructor({ client, newChat = {}, onChatCreated }: ChatdChatTransportOptions) {
    this.#client = client;
    this.#newChat = newChat;
    this.#onChatCreated = onChatCreated;
  }

  async sendMessages({
    chatId: useChatId,
    messages,
    trigger,
    abortSignal,
  }: SendOptions): Promise<ReadableStream<UIMessageChunk>> {
    const newest = newestUserMessage(messages);
    const chatId = await this.#findChat(useChatId);
    if (chatId === undefined) {
      if (newest === undefined) throw noUserMessage();
      const chat = await this.#client.chats.create({ ...this.#newChat, content: newest.content });
      this.#chats.set(useChatId, chat.id);
      this.#onChatCreated?.(useChatId, chat);
      const [first] = (await this.#client.messages.list(chat.id, { afterId: 0, limit: 1 }))
        .messages;
      return this.#streamTurn(chat.id, first?.id ?? 0, abortSignal);
    }
    if (trigger === 'regenerate-message') {
      const lastUser = (await this.#client.messages.list(chatId, { limit: 200 })).messages.find(
        (message) => message.role === 'user',
      );
      if (lastUser === undefined) {
        throw new ChatdClientError(409, 'NOTHING_TO_REGENERATE', 'The chat has no user message');
      }
      const edited = await this.#client.messages.edit(chatId, lastUser.id, {
        content: newest?.content ?? (lastUser.content.parts as never),
      });
      return this.#streamTurn(chatId, edited.id, abortSignal);
    }
    if (newest === undefined) throw noUserMessage();
    const newestBefore =
      (await this.#client.messages.list(chatId, { limit: 1 })).messages[0]?.id ?? 0;
    const sent = await this.#client.messages.send(chatId, {
      content: newest.content,
      busy: 'queue',
    });
    if (sent.message !== undefined) return this.#streamTurn(chatId, sent.message.id, abortSignal);
    const queuedId = sent.queuedMessage?.id;
    return this.#streamTurn(chatId, newestBefore, abortSignal, {
      queuedId,
      text: newest.text,
      afterMessageId: newestBefore,
    });
  }

  async reconnectToStream({
    chatId: useChatId,
    abortSignal,
  }: ReconnectOptions): Promise<ReadableStream<UIMessageChunk> | null> {
    const chatId = await this.#findChat(useChatId);
    if (chatId === undefined) return null;
    const chat = await this.#client.chats.get(chatId);
    if (chat.status !== 'running' && chat.status !== 'interrupting') return null;
    const { messages } = await this.#client.messages.list(chatId, { limit: 200 });
    const lastUser = messages.find((message) => message.role === 'user');
    return this.#streamTurn(chatId, lastUser?.id ?? 0, abortSignal);
  }

  /** The chatd chat of a `useChat` id: remembered, or the id itself when it is one. */
  async #findChat(useChatId: string): Promise<string | undefined> {
    const known = this.#chats.get(useChatId);
    if (known !== undefined) return known;
    try {
      const chat = await this.#client.chats.get(useChatId);
      this.#chats.set(useChatId, chat.id);
      return chat.id;
    } catch (error) {
      if (error instanceof ChatdClientError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * The reply after `afterMessageId` as a UI message stream, ending with the turn; with
   * `queued`, the reply to that queued message, once its turn comes. The assistant message is
   * named after the user message it answers, so a resumed stream builds the same one.
   */
  #streamTurn(
    chatId: string,
    afterMessageId: number,
    abortSignal: AbortSignal | undefined,
    queued?: QueuedMessageRef,
  ): ReadableStream<UIMessageChunk> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    const events = this.#client.stream(chatId, { afterMessageId, signal: stop.signal });
    const answering = (userMessageId: number) => `chatd-${chatId}-${userMessageId}`;
    const chunks = toUiMessageChunks(
      queued === undefined ? events : turnOfQueuedMessage(events, queued),
      {
        messageId: queued === undefined ? answering(afterMessageId) : answering,
        errorText: async () =>
          (await this.#client.chats.get(chatId)).lastError?.message ?? 'The chat failed',
      },
    );
    const end = () => {
      stop.abort();
      abortSignal?.removeEventListener('abort', onAbort);
    };
    return new ReadableStream<UIMessageChunk>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) {
            end();
            controller.close();
          } else {
            controller.enqueue(next.value as UiMessageChunk as UIMessageChunk);
          }
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      async cancel() {
        end();
        await chunks.return(undefined);
      },
    });
  }
}

const noUserMessage = () =>
  new ChatdClientError(400, 'INVALID_ARGUMENT', 'No user message with text or a file');

/**
 * The newest user message as chatd content (its text alone as a string, or, when it attaches
 * files, as `sendMessage({ text, files })` does, its text and file parts in order: links or
 * `data:` URLs) with its text; `undefined` when it has neither text nor a file.
 */
function newestUserMessage(
  messages: readonly UIMessage[],
): { content: ContentInput; text: string } | undefined {
  const newest = messages.findLast((message) => message.role === 'user');
  const texts: string[] = [];
  const parts: Exclude<ContentInput, string> = [];
  for (const part of newest?.parts ?? []) {
    if (part.type === 'text' && part.text !== '') {
      texts.push(part.text);
      parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'file') {
      const { mediaType, url, filename } = part;
      parts.push({ type: 'file', mediaType, url, ...(filename === undefined ? {} : { filename }) });
    }
  }
  const text = texts.join('\n');
  if (parts.length === 0) return undefined;
  return { content: parts.length === texts.length ? text : parts, text };
}
