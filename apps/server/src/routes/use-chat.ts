import type { ServerResponse } from 'node:http';
import type { Chatd } from '@chatd/chatd';
import {
  type QueuedMessageRef,
  toUiMessageChunks,
  turnOfQueuedMessage,
  type UiMessageChunk,
} from '@chatd/client';
import type { ChatMessagePart, ChatStreamEvent } from '@chatd/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDatabase } from '../database.js';
import { HttpError } from '../errors.js';
import { type OpenStreams, SseWriter } from '../sse.js';
import { currentUser } from './auth-hook.js';
import { ClientChats } from './client-chats.js';
import { emptyResponse, errorResponses, eventStreamResponse, ref } from './schemas.js';

/*
 * The AI SDK's UI message stream protocol, so a stock `useChat` (DefaultChatTransport) works
 * against chatd unchanged: `POST /api/chat` sends, `GET /api/chat/:id/stream` resumes, and
 * `POST /api/chat/:id/interrupt` stops the turn for an app's Stop button. The
 * server's history is the truth: of the body's messages only the newest user message is used.
 * A client chat id maps to one chatd chat of the user.
 */

const UI_STREAM_EVENTS =
  'Server-Sent Events of the AI SDK\'s UI message stream protocol (response header `x-vercel-ai-ui-message-stream: v1`): each event is one `data:` line holding a `UiMessageChunk` as JSON (see `components.schemas.UiMessageChunk`), e.g. `{"type":"text-delta","id":"…","delta":"Hi"}`, and the stream ends with `data: [DONE]`.';

/** What a turn's stream needs: the engine, and the server's open streams (shutdown and revoking the token end them). */
interface UseChatContext {
  chatd: Chatd;
  streams: OpenStreams;
}

/** The AI SDK's UI message stream protocol, over the usual event-stream headers. */
const UI_STREAM_HEADERS = { 'x-vercel-ai-ui-message-stream': 'v1' };

interface UiMessage {
  id?: string;
  role: string;
  parts?: Array<{
    type: string;
    text?: string;
    url?: string;
    mediaType?: string;
    filename?: string;
  }>;
}

/**
 * What chatd stores of a UI message: its text and its files (a link or a `data:` URL, as
 * `useChat` sends attachments). Other parts of a user message (data parts, say) are the
 * client's own.
 */
function contentOf(message: UiMessage | undefined): ChatMessagePart[] {
  const content: ChatMessagePart[] = [];
  for (const part of message?.parts ?? []) {
    if (part.type === 'text' && typeof part.text === 'string' && part.text !== '') {
      content.push({ type: 'text', text: part.text });
    } else if (
      part.type === 'file' &&
      typeof part.url === 'string' &&
      typeof part.mediaType === 'string'
    ) {
      const { url, mediaType, filename } = part;
      content.push({
        type: 'file',
        url,
        mediaType,
        ...(filename === undefined ? {} : { filename }),
      });
    }
  }
  return content;
}

function textOf(content: readonly ChatMessagePart[]): string {
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

const NOTHING_TO_SEND = 'No user message with text or a file';

/**
 * The events of one turn, for {@link toUiMessageChunks}: `events` up to the user message of the
 * next turn, then a status that ends the turn. A chat with queued messages goes from one turn
 * to the next without leaving `running`, so without this the stream of one request would go on
 * into the answers of messages queued behind it (each streams to the request that sent it) and
 * its `finish` would wait for the whole queue.
 *
 * @param ownUserMessageId - The user message the turn answers; `undefined`: the first user
 *   message of `events` (a queued message's, see {@link turnOfQueuedMessage}).
 */
async function* untilNextTurn(
  events: AsyncIterable<ChatStreamEvent>,
  chatId: string,
  ownUserMessageId: number | undefined,
): AsyncGenerator<ChatStreamEvent> {
  let own = ownUserMessageId;
  for await (const event of events) {
    if (event.type === 'message' && event.message.role === 'user') {
      if (own === undefined) {
        own = event.message.id;
      } else if (event.message.id > own) {
        // The next turn began: this one ended (its committed answer came before). A history
        // reset replaying older messages is not a new turn.
        yield { type: 'status', chatId, status: 'waiting' };
        return;
      }
    }
    yield event;
  }
}

/** The chunk that closes an open text or reasoning part, by the part's kind and id. */
type PartEnd = { type: 'text-end' | 'reasoning-end'; id: unknown };

/**
 * `chunks` with every text and reasoning part closed (`text-end`, `reasoning-end`) before the
 * step, the message or the stream ends (`finish-step`, `abort`, `finish`, `error`), as the
 * protocol orders them. An interrupted reply stops mid-part; without its end the AI SDK leaves
 * the part `streaming` for good.
 */
async function* closingOpenParts(
  chunks: AsyncIterable<UiMessageChunk>,
): AsyncGenerator<UiMessageChunk> {
  const open = new Map<string, PartEnd>();
  for await (const chunk of chunks) {
    const { type, id } = chunk;
    if (type === 'text-start' || type === 'reasoning-start') {
      const kind = type === 'text-start' ? 'text' : 'reasoning';
      open.set(`${kind}:${String(id)}`, { type: `${kind}-end`, id });
    } else if (type === 'text-end' || type === 'reasoning-end') {
      open.delete(`${type === 'text-end' ? 'text' : 'reasoning'}:${String(id)}`);
    } else if (
      type === 'finish-step' ||
      type === 'abort' ||
      type === 'finish' ||
      type === 'error'
    ) {
      yield* open.values();
      open.clear();
    }
    yield chunk;
  }
}

/** What a client is told when its stream ends before the turn does. */
const CUT_OFF =
  'The server ended this stream before the answer was complete (it is shutting down, or the token was revoked). Resume the stream to get the whole answer.';

/**
 * An event-stream writer for one turn's UI message stream that never ends it looking
 * complete: closed before the turn's `finish` or `error` was sent (shutdown and token
 * revocation close every open stream), it sends an `error` chunk first. A clean end without
 * `finish` is what a finished reply looks like to the AI SDK, so `useChat` would keep the
 * cut-off answer as final; after the `error` it is in `status: "error"`, and the app can call
 * `resumeStream()` (on another replica, behind a load balancer).
 */
class UiMessageStreamWriter extends SseWriter {
  readonly #response: ServerResponse;
  #complete = false;

  constructor(
    response: ServerResponse,
    headers: Record<string, string | number | string[] | undefined>,
  ) {
    super(response, { headers });
    this.#response = response;
  }

  /** Sends the turn's last chunk (`finish` or `error`): closing after it is a clean end. */
  async sendLast(chunk: UiMessageChunk): Promise<void> {
    this.#complete = true;
    await this.send(chunk);
  }

  /** Ends the stream (idempotent), after an `error` chunk when the turn's end was not sent. */
  override close(): void {
    const response = this.#response;
    if (!this.closed && !this.#complete && !response.destroyed && !response.writableEnded) {
      this.#complete = true;
      // Written at once (the socket buffers them), so they precede the end of the response.
      void this.send({ type: 'error', errorText: CUT_OFF });
      void this.sendData('[DONE]');
    }
    super.close();
  }
}

/** Streams one turn of a chat as UI message chunks, from after `afterMessageId` to its end. */
async function streamTurn(
  request: FastifyRequest,
  reply: FastifyReply,
  { chatd, streams }: UseChatContext,
  chatId: string,
  afterMessageId: number,
  queued?: QueuedMessageRef,
): Promise<void> {
  const stop = new AbortController();
  reply.hijack();
  // A queued message's answer may not start for minutes: the writer's heartbeat keeps proxies
  // from cutting the silent stream, and shutdown ends it with the other streams.
  const writer = new UiMessageStreamWriter(reply.raw, {
    ...reply.getHeaders(),
    ...UI_STREAM_HEADERS,
  });
  streams.add(writer, request.tokenId);
  // Aborting the request ends this stream only; the turn goes on (interrupt stops it).
  reply.raw.once('close', () => stop.abort());
  const end = async () => {
    if (writer.closed) return;
    await writer.sendData('[DONE]');
    writer.close();
  };
  try {
    const subscribed = chatd.subscribe(chatId, { afterMessageId, signal: stop.signal });
    // A queued message's answer starts when its turn does; the turn before it is skipped.
    const events =
      queued === undefined
        ? untilNextTurn(subscribed, chatId, afterMessageId)
        : untilNextTurn(turnOfQueuedMessage(subscribed, queued), chatId, undefined);
    const chunks = toUiMessageChunks(events, {
      // Named after the user message the turn answers (for a queued one, once its turn comes),
      // so a resumed stream builds the same assistant message and two turns never share one.
      messageId:
        queued === undefined
          ? `turn-${afterMessageId}`
          : (userMessageId) => `turn-${userMessageId}`,
      errorText: async () => (await chatd.getChat(chatId)).lastError?.message ?? 'The chat failed',
    });
    for await (const chunk of closingOpenParts(chunks)) {
      if (writer.closed) break;
      if (chunk.type === 'finish' || chunk.type === 'error') {
        await writer.sendLast(chunk);
        // The response ends with the turn's last chunk. Leaving the loop first would wait for
        // the subscription to be released (its feed, its hint channel): about a millisecond
        // the client would spend waiting for `[DONE]`.
        await end();
      } else {
        await writer.send(chunk);
      }
    }
    // Without the turn's end (the engine is closing), `close` sends an `error`, not `[DONE]`.
    writer.close();
  } catch (error) {
    request.log.warn({ err: error }, 'UI message stream ended with an error');
    await writer.sendLast({ type: 'error', errorText: 'The stream failed' });
    await end();
  } finally {
    streams.delete(writer);
    writer.close();
    stop.abort();
  }
}

/**
 * `POST /api/chat`, `GET /api/chat/:id/stream` and `POST /api/chat/:id/interrupt` for the AI
 * SDK's `useChat`, behind the same bearer token as `/v1` (pass it in `DefaultChatTransport`'s
 * `headers`).
 */
export function apiChatRoutes(
  app: FastifyInstance,
  chatd: Chatd,
  db: ServerDatabase,
  streams: OpenStreams,
): void {
  const context: UseChatContext = { chatd, streams };
  const clientChats = new ClientChats(db);

  app.post<{ Body: { id: string; messages: UiMessage[]; trigger?: string; messageId?: string } }>(
    '/api/chat',
    {
      schema: {
        summary: 'Send a message the way `useChat` does, and stream the answer',
        description:
          'The body is `DefaultChatTransport`\'s: the client chat `id` maps to one chatd chat of the user, and only the newest user message is used (the server\'s history is the truth): its text parts and its file parts (attachments as links or `data:` URLs). `trigger: "regenerate-message"` edits the last user message. Closing the response does not stop the turn.',
        tags: ['ai-sdk'],
        operationId: 'useChatSend',
        response: {
          200: eventStreamResponse('The answer, streamed until the turn ends', UI_STREAM_EVENTS),
          ...errorResponses({
            400: 'Invalid body, no user message with text or a file, or an invalid file (`INVALID_ARGUMENT`, `VALIDATION_FAILED`)',
            409: 'Nothing to regenerate (`NOTHING_TO_REGENERATE`)',
            429: 'The queue is full (`QUEUE_FULL`), or too many mutations (`RATE_LIMITED`)',
          }),
        },
        body: {
          type: 'object',
          required: ['id', 'messages'],
          examples: [
            {
              id: 'my-chat',
              messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Hello!' }] }],
            },
          ],
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 200 },
            messages: {
              type: 'array',
              minItems: 1,
              maxItems: 10_000,
              // Only `role` and the parts' `type`, `text`, `url`, `mediaType` and `filename` are
              // read; anything else passes.
              items: {
                type: 'object',
                required: ['role'],
                properties: {
                  parts: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['type'],
                      properties: { type: { type: 'string' } },
                    },
                  },
                },
              },
            },
            trigger: { type: 'string', enum: ['submit-message', 'regenerate-message'] },
            messageId: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { id: clientChatId, messages, trigger = 'submit-message' } = request.body;
      const newest = [...messages].reverse().find((message) => message.role === 'user');
      const content = contentOf(newest);
      const chatId = await clientChats.find(user.id, clientChatId);
      if (chatId === undefined) {
        if (content.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', NOTHING_TO_SEND);
        const chat = await chatd.createChat({ ownerId: user.id, content });
        const mapped = await clientChats.add(user.id, clientChatId, chat.id);
        if (mapped !== chat.id) {
          // The same first message sent twice at once (a client's retry): the request that
          // mapped the id first owns the turn; this one drops its chat and streams that turn.
          await chatd.deleteChat(chat.id);
          const [first] = (await chatd.listMessages(mapped, { after: 0, limit: 1 })).messages;
          return streamTurn(request, reply, context, mapped, first?.id ?? 0);
        }
        return streamTurn(request, reply, context, chat.id, chat.firstMessageId);
      }
      if (trigger === 'regenerate-message') {
        const { messages: page } = await chatd.listMessages(chatId, { limit: 200 });
        const lastUser = page.find((message) => message.role === 'user');
        if (lastUser === undefined)
          throw new HttpError(409, 'NOTHING_TO_REGENERATE', 'No user message');
        const edited = await chatd.editMessage(chatId, lastUser.id, {
          content: content.length === 0 ? (lastUser.content.parts as never) : content,
          createdBy: user.id,
        });
        return streamTurn(request, reply, context, chatId, edited.id);
      }
      if (content.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', NOTHING_TO_SEND);
      const before = (await chatd.listMessages(chatId, { limit: 1 })).messages[0]?.id ?? 0;
      const sent = await chatd.sendMessage(chatId, {
        content,
        busy: 'queue',
        createdBy: user.id,
      });
      if (sent.message !== undefined) {
        return streamTurn(request, reply, context, chatId, sent.message.id);
      }
      // The chat is busy: the message waits in the queue, and this response streams its
      // answer once its turn comes.
      return streamTurn(request, reply, context, chatId, before, {
        queuedId: sent.queuedMessage?.id,
        text: textOf(content),
        afterMessageId: before,
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/chat/:id/stream',
    {
      // A HEAD of a stream would hold a subscription open with nothing to send it to.
      exposeHeadRoute: false,
      schema: {
        summary: 'Resume the answer in flight (`useChat` with `resume: true`)',
        description: "Replays the running turn's answer from its start.",
        tags: ['ai-sdk'],
        operationId: 'useChatResume',
        response: {
          200: eventStreamResponse('The answer in flight, from its start', UI_STREAM_EVENTS),
          204: emptyResponse('Nothing is running for this client chat id'),
          ...errorResponses({ 400: 'A malformed id' }),
        },
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const chatId = await clientChats.find(user.id, request.params.id);
      if (chatId === undefined) return reply.status(204).send();
      const chat = await chatd.getChat(chatId);
      if (chat.status !== 'running' && chat.status !== 'interrupting')
        return reply.status(204).send();
      const { messages } = await chatd.listMessages(chatId, { limit: 200 });
      const lastUser = messages.find((message) => message.role === 'user');
      return streamTurn(request, reply, context, chatId, lastUser?.id ?? 0);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/chat/:id/interrupt',
    {
      schema: {
        summary: 'Stop the turn of a `useChat` chat',
        description:
          "`useChat`'s `stop()` only ends the page's stream: the turn goes on, so a page that resumes later gets the whole answer. This stops the turn itself, as `POST /v1/chats/{id}/interrupt` does, for the chat a client chat id maps to (an app knows its own id, not chatd's). What the turn produced so far is kept.",
        tags: ['ai-sdk'],
        operationId: 'useChatInterrupt',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: {
          202: { description: 'The chat, `interrupting` or past it', ...ref('Chat') },
          ...errorResponses({
            400: 'A malformed id',
            404: 'No chat of yours has this client chat id (`CHAT_NOT_FOUND`)',
            409: 'Nothing is running (`TRANSITION_NOT_ALLOWED`)',
          }),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const chatId = await clientChats.find(user.id, request.params.id);
      if (chatId === undefined) {
        throw new HttpError(404, 'CHAT_NOT_FOUND', 'No chat of yours has this client chat id');
      }
      return reply.status(202).send(await chatd.interrupt(chatId));
    },
  );
}
