import type { Chat, Chatd, ChatStreamEventWithCursor } from '@chatd/chatd';
import { ChatdError } from '@chatd/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { type OpenStreams, SseWriter } from '../sse.js';
import { currentUser } from './auth-hook.js';
import { emptyResponse, errorResponses, eventStreamResponse, ref } from './schemas.js';

const content = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object' } },
  ],
} as const;
const chatParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;
const positiveId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const tags = ['chats'];
/**
 * App-defined labels: string pairs. A key has no `:`, which separates key and value in the
 * `label=key:value` filter of `GET /v1/chats` (a label it could not name would be unfindable).
 */
const LABELS_SCHEMA = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^:]*$' },
  additionalProperties: { type: 'string', maxLength: 200 },
} as const;
const notFound = 'No such chat, or not yours (`CHAT_NOT_FOUND`)';
const badRequest = 'The request does not match the schema (`VALIDATION_FAILED`)';
const busy = 'Not allowed in the chat’s state (`TRANSITION_NOT_ALLOWED`)';

type ContentInput = Parameters<Chatd['createChat']>[0]['content'];
/** Client tools the chat declares: the model may call them, and the client answers. */
type DynamicTools = NonNullable<Parameters<Chatd['createChat']>[0]['dynamicTools']>;

/** The chat API under `/v1/chats`: every route is the owner's only (others get 404). */
export function chatRoutes(
  app: FastifyInstance,
  chatd: Chatd,
  streams: OpenStreams,
  unknownMcpServers: (ids: readonly string[]) => Promise<string[]>,
): void {
  /**
   * The chat, if the caller owns it; otherwise the very 404 the store answers for a chat that
   * does not exist (same code, same message), so no answer tells another user's chat apart.
   */
  async function ownedChat(request: FastifyRequest, chatId: string): Promise<Chat> {
    const user = currentUser(request);
    const chat = await chatd.getChat(chatId);
    if (chat.ownerId !== user.id) {
      throw new HttpError(404, 'CHAT_NOT_FOUND', `Chat ${chatId} not found`);
    }
    return chat;
  }

  app.post<{
    Body: {
      content: ContentInput;
      modelConfigId?: string;
      title?: string;
      systemPrompt?: string;
      labels?: Record<string, string>;
      dynamicTools?: DynamicTools;
      mcpServerIds?: string[];
    };
  }>(
    '/v1/chats',
    {
      schema: {
        summary: 'Create a chat with its first message',
        description:
          'A worker starts the first turn at once; follow it with `GET /v1/chats/{id}/stream`. The title falls back to the first words until the title model writes one.',
        tags,
        operationId: 'createChat',
        response: {
          201: { description: 'The chat, usually `running`', ...ref('Chat') },
          ...errorResponses({
            400: 'Invalid body, an unknown `modelConfigId` (`UNKNOWN_MODEL_CONFIG`) or MCP server (`UNKNOWN_MCP_SERVER`), or content the store refuses',
          }),
        },
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
          examples: [{ content: 'Hello! Please roll a dice.', title: 'My first chat' }],
          properties: {
            content,
            modelConfigId: { type: 'string', minLength: 1, maxLength: 200 },
            title: { type: 'string', minLength: 1, maxLength: 200 },
            systemPrompt: { type: 'string', minLength: 1, maxLength: 100_000 },
            labels: LABELS_SCHEMA,
            mcpServerIds: {
              type: 'array',
              maxItems: 50,
              uniqueItems: true,
              items: { type: 'string', format: 'uuid' },
            },
            dynamicTools: {
              type: 'array',
              maxItems: 64,
              items: {
                type: 'object',
                required: ['name', 'inputSchema'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
                  description: { type: 'string', maxLength: 10_000 },
                  inputSchema: { type: 'object' },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const unknown = await unknownMcpServers(request.body.mcpServerIds ?? []);
      if (unknown.length > 0) {
        throw new HttpError(400, 'UNKNOWN_MCP_SERVER', `No MCP server ${unknown.join(', ')}`);
      }
      const { firstMessageId: _, ...chat } = await chatd.createChat({
        ...request.body,
        ownerId: user.id,
      });
      return reply.status(201).send(chat);
    },
  );

  app.get<{
    Querystring: { archived?: boolean; limit?: number; cursor?: string; label?: string[] };
  }>(
    '/v1/chats',
    {
      // One `label` arrives as a string, several as an array: the handler sees an array.
      preValidation: async (request) => {
        const query = request.query as { label?: string | string[] };
        if (typeof query.label === 'string') query.label = [query.label];
      },
      schema: {
        summary: 'List your chats, most recently active first',
        tags,
        operationId: 'listChats',
        response: {
          200: {
            description: 'A page of chats',
            type: 'object',
            required: ['chats'],
            additionalProperties: false,
            properties: {
              chats: { type: 'array', items: ref('Chat') },
              nextCursor: {
                type: 'string',
                description: 'Pass as `cursor` for the next page; absent on the last page.',
              },
            },
          },
          ...errorResponses({ 400: 'Invalid query or cursor' }),
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            archived: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 200 },
            cursor: { type: 'string', minLength: 1, maxLength: 500 },
            label: {
              type: 'array',
              maxItems: 20,
              description:
                '`key:value`, repeatable: only chats whose labels include every pair given.',
              items: { type: 'string', pattern: '^[^:]+:', maxLength: 401 },
            },
          },
        },
      },
    },
    async (request) => {
      const { label, ...query } = request.query;
      const labels =
        label === undefined
          ? undefined
          : Object.fromEntries(
              label.map((pair) => {
                const colon = pair.indexOf(':');
                return [pair.slice(0, colon), pair.slice(colon + 1)];
              }),
            );
      return chatd
        .listChats(currentUser(request).id, {
          ...query,
          ...(labels === undefined ? {} : { labels }),
        })
        .catch((error: unknown) => {
          // Said in the request's terms, not the library's (`options.cursor` of `listChats`).
          if (
            ChatdError.isInstance(error, 'INVALID_ARGUMENT') &&
            (error as { argument?: unknown }).argument === 'options.cursor'
          ) {
            const message = 'not a cursor this server returned (nextCursor of a page)';
            throw new HttpError(400, 'VALIDATION_FAILED', `Invalid cursor: ${message}`, [
              { path: '/cursor', message },
            ]);
          }
          throw error;
        });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/chats/:id',
    {
      schema: {
        summary: 'Get a chat',
        tags,
        operationId: 'getChat',
        params: chatParams,
        response: {
          200: { description: 'The chat', ...ref('Chat') },
          ...errorResponses({ 400: 'A malformed chat id', 404: notFound }),
        },
      },
    },
    (request) => ownedChat(request, request.params.id),
  );

  app.patch<{
    Params: { id: string };
    Body: { title?: string; labels?: Record<string, string>; archived?: boolean };
  }>(
    '/v1/chats/:id',
    {
      schema: {
        summary: 'Rename, relabel or (un)archive a chat',
        description:
          '`labels` replaces the chat’s labels. Archiving applies to the whole family of a root chat.',
        tags,
        operationId: 'updateChat',
        params: chatParams,
        response: {
          200: { description: 'The chat after the change', ...ref('Chat') },
          ...errorResponses({
            400: badRequest,
            404: notFound,
            409: 'Archiving a busy chat (`TRANSITION_NOT_ALLOWED`) or a sub-chat (`CHAT_NOT_ROOT`)',
          }),
        },
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          examples: [{ title: 'Dice games', labels: { project: 'demo' } }],
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 200 },
            labels: LABELS_SCHEMA,
            archived: { type: 'boolean' },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await ownedChat(request, id);
      // (Un)archiving first: it is the change the chat's state can refuse (409), and a refused
      // request must change nothing. Title and labels, checked by the schema above, cannot be.
      if (request.body.archived === true) await chatd.archive(id);
      if (request.body.archived === false) await chatd.unarchive(id);
      if (request.body.title !== undefined) await chatd.renameChat(id, request.body.title);
      if (request.body.labels !== undefined) await chatd.setChatLabels(id, request.body.labels);
      return chatd.getChat(id);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/chats/:id',
    {
      schema: {
        summary: 'Delete a chat',
        description:
          'Deletes the chat with its messages, queue and sub-chats. Irreversible. A running turn stops, and the chat’s open streams end.',
        tags,
        operationId: 'deleteChat',
        params: chatParams,
        response: {
          204: emptyResponse('Deleted'),
          ...errorResponses({ 400: 'A malformed chat id', 404: notFound }),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await ownedChat(request, id);
      await chatd.deleteChat(id);
      return reply.status(204).send();
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { beforeId?: number; afterId?: number; limit?: number };
  }>(
    '/v1/chats/:id/messages',
    {
      schema: {
        summary: 'Page through the transcript',
        description:
          'Newest first by default; `beforeId` pages back, `afterId` alone pages forward, oldest first (`afterId=0` from the start); both ids: the messages between them, newest first.',
        tags,
        operationId: 'listMessages',
        params: chatParams,
        response: {
          200: {
            description: 'A page of messages',
            type: 'object',
            required: ['messages', 'hasMore'],
            additionalProperties: false,
            properties: {
              messages: { type: 'array', items: ref('ChatMessage') },
              hasMore: { type: 'boolean', description: 'Whether more messages lie that way.' },
            },
          },
          ...errorResponses({
            400: 'Invalid query, or `afterId` not below `beforeId`',
            404: notFound,
          }),
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            beforeId: positiveId,
            // afterId=0 pages the transcript from its first message.
            afterId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            limit: { type: 'integer', minimum: 1, maximum: 200 },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await ownedChat(request, id);
      const { beforeId, afterId, limit } = request.query;
      if (beforeId !== undefined && afterId !== undefined && afterId >= beforeId) {
        throw new HttpError(400, 'INVALID_ARGUMENT', 'afterId must be smaller than beforeId');
      }
      return chatd.listMessages(id, {
        ...(beforeId === undefined ? {} : { before: beforeId }),
        ...(afterId === undefined ? {} : { after: afterId }),
        ...(limit === undefined ? {} : { limit }),
      });
    },
  );

  app.post<{
    Params: { id: string };
    Body: { content: ContentInput; busy?: 'queue' | 'interrupt'; modelConfigId?: string };
  }>(
    '/v1/chats/:id/messages',
    {
      schema: {
        summary: 'Send a message',
        description:
          'Starts a turn on an idle chat. On a busy one it waits in the queue (`busy: "queue"`, the default) or stops the current turn and is answered next (`busy: "interrupt"`).',
        tags,
        operationId: 'sendMessage',
        params: chatParams,
        response: {
          200: {
            description: 'What happened to the message',
            type: 'object',
            required: ['queued'],
            additionalProperties: false,
            properties: {
              queued: { type: 'boolean', description: 'Whether it waits in the queue.' },
              message: { ...ref('ChatMessage'), description: 'When it joined the history.' },
              queuedMessage: { ...ref('QueuedChatMessage'), description: 'When it was queued.' },
            },
          },
          ...errorResponses({
            400: 'Invalid body or an unknown `modelConfigId`',
            404: notFound,
            409: 'The chat is archived (`TRANSITION_NOT_ALLOWED`)',
            429: 'The queue is full (`QUEUE_FULL`, `details.max`), or too many mutations (`RATE_LIMITED`)',
          }),
        },
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
          examples: [{ content: 'Now roll two dice.', busy: 'queue' }],
          properties: {
            content,
            busy: { type: 'string', enum: ['queue', 'interrupt'] },
            modelConfigId: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const user = currentUser(request);
      await ownedChat(request, id);
      return chatd.sendMessage(id, { ...request.body, createdBy: user.id });
    },
  );

  app.patch<{
    Params: { id: string; messageId: number };
    Body: { content: ContentInput; modelConfigId?: string };
  }>(
    '/v1/chats/:id/messages/:messageId',
    {
      schema: {
        summary: 'Edit a user message',
        description:
          'The message and everything after it leave the history and the queue is cleared; a new turn answers.',
        tags,
        operationId: 'editMessage',
        response: {
          200: { description: 'The new message', ...ref('ChatMessage') },
          ...errorResponses({
            400: 'Invalid body, or the message is not a user message (`MESSAGE_NOT_USER`)',
            404: 'No such chat or message (`CHAT_NOT_FOUND`, `MESSAGE_NOT_FOUND`)',
            409: busy,
          }),
        },
        params: {
          type: 'object',
          required: ['id', 'messageId'],
          properties: { ...chatParams.properties, messageId: positiveId },
        },
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
          examples: [{ content: 'Roll a dice with 20 sides instead.' }],
          properties: { content, modelConfigId: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request) => {
      const { id, messageId } = request.params;
      const user = currentUser(request);
      await ownedChat(request, id);
      return chatd.editMessage(id, messageId, { ...request.body, createdBy: user.id });
    },
  );

  const queueParams = {
    type: 'object',
    required: ['id', 'queuedId'],
    properties: { ...chatParams.properties, queuedId: positiveId },
  } as const;

  app.delete<{ Params: { id: string; queuedId: number } }>(
    '/v1/chats/:id/queue/:queuedId',
    {
      schema: {
        summary: 'Remove a queued message',
        tags,
        operationId: 'deleteQueuedMessage',
        params: queueParams,
        response: {
          204: emptyResponse('Removed'),
          ...errorResponses({
            400: 'A malformed queue id',
            404: 'No such chat or queued message (`QUEUED_MESSAGE_NOT_FOUND`)',
            409: busy,
          }),
        },
      },
    },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      await chatd.deleteQueued(request.params.id, request.params.queuedId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string; queuedId: number } }>(
    '/v1/chats/:id/queue/:queuedId/promote',
    {
      schema: {
        summary: 'Send a queued message now',
        description:
          'On an idle chat it starts the turn; on a busy one it interrupts the turn and is answered next.',
        tags,
        operationId: 'promoteQueuedMessage',
        params: queueParams,
        response: {
          202: {
            description: 'Accepted',
            type: 'object',
            required: ['message'],
            additionalProperties: false,
            properties: {
              message: {
                anyOf: [ref('ChatMessage'), { type: 'null' }],
                description: 'The message, when it joined the history at once.',
              },
            },
          },
          ...errorResponses({
            400: 'A malformed queue id',
            404: 'No such chat or queued message (`QUEUED_MESSAGE_NOT_FOUND`)',
            409: busy,
          }),
        },
      },
    },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      const message = await chatd.promoteQueued(request.params.id, request.params.queuedId);
      return reply.status(202).send({ message: message ?? null });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/interrupt',
    {
      schema: {
        summary: 'Stop the current turn',
        description:
          'What the turn produced so far is kept; a chat waiting for client tools runs on without them.',
        tags,
        operationId: 'interruptChat',
        params: chatParams,
        response: {
          202: { description: 'The chat, `interrupting` or past it', ...ref('Chat') },
          ...errorResponses({
            404: notFound,
            409: 'Nothing is running (`TRANSITION_NOT_ALLOWED`)',
          }),
        },
      },
    },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      return reply.status(202).send(await chatd.interrupt(request.params.id));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/compact',
    {
      schema: {
        summary: 'Compact the history now',
        description: 'A worker summarises the history; the chat returns to `waiting`.',
        tags,
        operationId: 'compactChat',
        params: chatParams,
        response: {
          202: emptyResponse('Accepted'),
          ...errorResponses({
            404: notFound,
            409: 'The chat is busy (`TRANSITION_NOT_ALLOWED`), or nothing is new since the last compaction (`NOTHING_TO_COMPACT`)',
          }),
        },
      },
    },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      await chatd.compact(request.params.id);
      return reply.status(202).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/reconcile',
    {
      schema: {
        summary: 'Recover a chat found in an invalid state',
        description: 'Moves it into `error`, so a new message can start a fresh turn.',
        tags,
        operationId: 'reconcileChat',
        params: chatParams,
        response: {
          200: { description: 'The chat, now `error`', ...ref('Chat') },
          ...errorResponses({
            404: notFound,
            409: 'The chat is not in an invalid state (`TRANSITION_NOT_ALLOWED`)',
          }),
        },
      },
    },
    async (request) => {
      await ownedChat(request, request.params.id);
      return chatd.reconcileInvalidState(request.params.id);
    },
  );

  app.post<{
    Params: { id: string };
    Body: { results: Parameters<Chatd['submitToolResults']>[1] };
  }>(
    '/v1/chats/:id/tool-results',
    {
      schema: {
        summary: 'Answer the client tool calls a turn waits for',
        description:
          'One result per pending call of the `action-required` event (`{ toolCallId, output }`); the turn runs on.',
        tags,
        operationId: 'submitToolResults',
        response: {
          200: {
            description: 'The tool messages the results became',
            type: 'object',
            required: ['messages'],
            additionalProperties: false,
            properties: { messages: { type: 'array', items: ref('ChatMessage') } },
          },
          ...errorResponses({
            400: 'Invalid body, or duplicate, missing or unexpected results (`INVALID_TOOL_RESULTS`)',
            404: notFound,
            409: 'The chat is not waiting for tool results (`TRANSITION_NOT_ALLOWED`)',
          }),
        },
        params: chatParams,
        body: {
          type: 'object',
          required: ['results'],
          additionalProperties: false,
          examples: [{ results: [{ toolCallId: 'call_1', output: { colour: 'green' } }] }],
          properties: {
            results: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'object' } },
          },
        },
      },
    },
    async (request) => {
      await ownedChat(request, request.params.id);
      return { messages: await chatd.submitToolResults(request.params.id, request.body.results) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { afterMessageId?: number; cursor?: string } }>(
    '/v1/chats/:id/stream',
    {
      // A HEAD of a stream would hold a subscription open with nothing to send it to.
      exposeHeadRoute: false,
      schema: {
        summary: 'Follow a chat live (Server-Sent Events)',
        description:
          'Resumable: reconnect with `Last-Event-ID` (or `?cursor=`) on any replica and no part is sent twice or skipped. `?afterMessageId=` skips committed messages the client has (a new stream only: a cursor already says what the client has). An idle stream sends a `: ping` comment every 15 s.',
        tags,
        operationId: 'streamChat',
        response: {
          200: eventStreamResponse(
            'The live stream; it stays open until the client leaves or the server stops',
            'Server-Sent Events. Each event has `id: <cursor>` (resume from it) and one `data:` line of JSON: a `ChatStreamEvent` (see `components.schemas.ChatStreamEvent`), e.g. `{"type":"message-part","chatId":"…","historyVersion":3,"generationAttempt":1,"seq":1,"role":"assistant","part":{"type":"text-delta","id":"…","delta":"Hi"}}`.',
          ),
          ...errorResponses({ 400: 'Invalid query or a malformed cursor', 404: notFound }),
        },
        params: chatParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            afterMessageId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            cursor: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await ownedChat(request, id);
      const header = request.headers['last-event-id'];
      const cursor = (Array.isArray(header) ? header[0] : header) ?? request.query.cursor;
      const stop = new AbortController();
      // Validated here, so a bad cursor is a plain 400 before the stream starts.
      const events = chatd.subscribe(id, {
        signal: stop.signal,
        ...(cursor === undefined ? {} : { cursor }),
        ...(request.query.afterMessageId === undefined
          ? {}
          : { afterMessageId: request.query.afterMessageId }),
      });
      reply.hijack();
      const writer = new SseWriter(reply.raw, { headers: reply.getHeaders() });
      streams.add(writer, request.tokenId);
      reply.raw.once('close', () => stop.abort());
      try {
        for await (const event of events) {
          if (writer.closed) break;
          const { cursor: eventCursor, ...data } = event as ChatStreamEventWithCursor;
          await writer.send(data, eventCursor);
        }
      } catch (error) {
        request.log.warn({ err: error }, 'chat stream ended with an error');
      } finally {
        // The response ends before the subscription is released, which the client need not wait for.
        streams.delete(writer);
        writer.close();
        stop.abort();
      }
    },
  );
}
