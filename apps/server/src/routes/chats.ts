import type { Chat, Chatd, ChatStreamEventWithCursor } from '@chatd/chatd';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { SseWriter } from '../sse.js';
import { currentUser } from './auth-hook.js';

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

type ContentInput = Parameters<Chatd['createChat']>[0]['content'];
/** Client tools the chat declares: the model may call them, and the client answers. */
type DynamicTools = NonNullable<Parameters<Chatd['createChat']>[0]['dynamicTools']>;

/** What the stream route needs beyond chatd: the set of open streams, ended on shutdown. */
export interface StreamRegistry {
  add(writer: SseWriter): void;
  delete(writer: SseWriter): void;
}

/** The chat API under `/v1/chats`: every route is the owner's only (others get 404). */
export function chatRoutes(
  app: FastifyInstance,
  chatd: Chatd,
  streams: StreamRegistry,
  unknownMcpServers: (ids: readonly string[]) => Promise<string[]>,
): void {
  /** The chat, if the caller owns it; a 404 either way otherwise (no existence leak). */
  async function ownedChat(request: FastifyRequest, chatId: string): Promise<Chat> {
    const user = currentUser(request);
    const chat = await chatd.getChat(chatId);
    if (chat.ownerId !== user.id) {
      throw new HttpError(404, 'CHAT_NOT_FOUND', `Chat ${chatId} does not exist`);
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
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
          properties: {
            content,
            modelConfigId: { type: 'string', minLength: 1, maxLength: 200 },
            title: { type: 'string', minLength: 1, maxLength: 200 },
            systemPrompt: { type: 'string', minLength: 1, maxLength: 100_000 },
            labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 200 } },
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
      const chat = await chatd.createChat({ ...request.body, ownerId: user.id });
      return reply.status(201).send(chat);
    },
  );

  app.get<{ Querystring: { archived?: boolean; limit?: number; cursor?: string } }>(
    '/v1/chats',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            archived: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 200 },
            cursor: { type: 'string', minLength: 1, maxLength: 500 },
          },
        },
      },
    },
    async (request) => chatd.listChats(currentUser(request).id, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/chats/:id',
    { schema: { params: chatParams } },
    (request) => ownedChat(request, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { title?: string; archived?: boolean } }>(
    '/v1/chats/:id',
    {
      schema: {
        params: chatParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 200 },
            archived: { type: 'boolean' },
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await ownedChat(request, id);
      if (request.body.title !== undefined) await chatd.renameChat(id, request.body.title);
      if (request.body.archived === true) await chatd.archive(id);
      if (request.body.archived === false) await chatd.unarchive(id);
      return chatd.getChat(id);
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { beforeId?: number; afterId?: number; limit?: number };
  }>(
    '/v1/chats/:id/messages',
    {
      schema: {
        params: chatParams,
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
        params: chatParams,
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
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
        params: {
          type: 'object',
          required: ['id', 'messageId'],
          properties: { ...chatParams.properties, messageId: positiveId },
        },
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
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
    { schema: { params: queueParams } },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      await chatd.deleteQueued(request.params.id, request.params.queuedId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string; queuedId: number } }>(
    '/v1/chats/:id/queue/:queuedId/promote',
    { schema: { params: queueParams } },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      const message = await chatd.promoteQueued(request.params.id, request.params.queuedId);
      return reply.status(202).send({ message: message ?? null });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/interrupt',
    { schema: { params: chatParams } },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      return reply.status(202).send(await chatd.interrupt(request.params.id));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/compact',
    { schema: { params: chatParams } },
    async (request, reply) => {
      await ownedChat(request, request.params.id);
      await chatd.compact(request.params.id);
      return reply.status(202).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/chats/:id/reconcile',
    { schema: { params: chatParams } },
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
        params: chatParams,
        body: {
          type: 'object',
          required: ['results'],
          additionalProperties: false,
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
      schema: {
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
      const writer = new SseWriter(reply.raw);
      streams.add(writer);
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
        stop.abort();
        streams.delete(writer);
        writer.close();
      }
    },
  );
}
