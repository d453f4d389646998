import { CHAT_MESSAGE_ROLES, CHAT_STATUSES, chatErrorInfoSchema } from '@chatd/core';
import type { FastifyInstance } from 'fastify';

/*
 * The response schemas of the HTTP API, shared by the route files and the OpenAPI document
 * (`/openapi.json`). They are documentation and test contracts, not filters: the server
 * serialises responses with plain `JSON.stringify` (see server.ts), and `openapi.test.ts`
 * validates real responses against the document built from them.
 *
 * Objects the server owns (chats, pages, users, tokens, models) are described field by field
 * with `additionalProperties: false`, so a field added to a response without being documented
 * fails the contract test instead of going unnoticed. Message parts and stream events are open
 * unions that grow with the AI SDK and with newer chatd versions: they are objects with a
 * required `type` and any other fields, and clients skip the types they do not know.
 */
// The kinds core knows, read off its schema (an enum) so the document cannot drift from it.
const ERROR_KINDS: readonly string[] = (
  chatErrorInfoSchema.shape.kind as unknown as { options: readonly string[] }
).options;

/** The `$id` of a schema {@link addSharedSchemas} adds; each becomes an OpenAPI component. */
export type SharedSchemaId =
  | 'ErrorBody'
  | 'ChatErrorInfo'
  | 'Chat'
  | 'MessagePart'
  | 'MessageContent'
  | 'ChatMessage'
  | 'QueuedChatMessage'
  | 'ChatStreamEvent'
  | 'UiMessageChunk'
  | 'User'
  | 'IssuedToken'
  | 'TokenInfo'
  | 'ModelInfo';

/** A `$ref` to a schema added by {@link addSharedSchemas}, e.g. `ref('Chat')`. */
export function ref(id: SharedSchemaId): { $ref: string } {
  return { $ref: `${id}#` };
}

/** The HTTP statuses the routes answer with the error shape. */
export type ErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 408
  | 409
  | 413
  | 414
  | 415
  | 429
  | 431
  | 500
  | 503;

/**
 * Error responses in the one error shape, each with what it means on this route:
 * `errorResponses({ 404: 'No such chat, or not yours' })`.
 */
export function errorResponses(
  descriptions: Partial<Record<ErrorStatus, string>>,
): Record<string, { description: string; $ref: string }> {
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      { description, ...ref('ErrorBody') },
    ]),
  );
}

/** A response without a body (`204`, or a `202` that only acknowledges). */
export function emptyResponse(description: string) {
  return { type: 'null', description } as const;
}

/**
 * A `text/event-stream` response. OpenAPI 3.1 cannot describe the events of a stream (3.2's
 * `itemSchema` can), so the schema is a string and `events` says what each event carries.
 */
export function eventStreamResponse(description: string, events: string) {
  return {
    description,
    content: { 'text/event-stream': { schema: { type: 'string', description: events } } },
  } as const;
}

const isoDateTime = { type: 'string', format: 'date-time' } as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] });

const errorBody = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'The one error shape of every route.',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: {
          type: 'string',
          description:
            'Stable UPPER_SNAKE code, never renamed once shipped (`VALIDATION_FAILED`, `UNAUTHORIZED`, `CHAT_NOT_FOUND`, `QUEUE_FULL`, …).',
        },
        message: { type: 'string', description: 'For people; may change between versions.' },
        details: {
          description:
            'More about the error, by code: `VALIDATION_FAILED` lists the invalid fields (`path` is a JSON pointer into the body, the query or the path parameters); `QUEUE_FULL` gives the cap (`{ max }`); `RATE_LIMITED` says when to retry (`{ retryAfterMs }`).',
          oneOf: [
            {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                additionalProperties: false,
                properties: {
                  path: { type: 'string', examples: ['/content/0/text'] },
                  message: { type: 'string' },
                },
              },
            },
            {
              type: 'object',
              required: ['max'],
              additionalProperties: false,
              properties: { max: { type: 'integer' } },
            },
            {
              type: 'object',
              required: ['retryAfterMs'],
              additionalProperties: false,
              properties: { retryAfterMs: { type: 'integer' } },
            },
          ],
        },
      },
    },
  },
} as const;

const chatErrorInfo = {
  $id: 'ChatErrorInfo',
  type: 'object',
  description: "Why a chat's generation failed; safe to show to the chat's user.",
  required: ['message', 'kind', 'retryable'],
  additionalProperties: false,
  properties: {
    message: { type: 'string', minLength: 1 },
    detail: { type: 'string' },
    kind: {
      type: 'string',
      description: 'What kind of failure; treat a kind you do not know as `generic`.',
      examples: ERROR_KINDS,
    },
    provider: { type: 'string' },
    retryable: { type: 'boolean' },
    statusCode: { type: 'integer', minimum: 100, maximum: 599 },
  },
} as const;

const chat = {
  $id: 'Chat',
  type: 'object',
  description: 'A chat (`Chat` of `@chatd/core`).',
  required: [
    'id',
    'ownerId',
    'title',
    'status',
    'archived',
    'parentChatId',
    'rootChatId',
    'modelConfigId',
    'mcpServerIds',
    'labels',
    'lastError',
    'createdAt',
    'updatedAt',
    'lastUserActivityAt',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    ownerId: { type: 'string', description: 'The id of the user who created it.' },
    title: { type: 'string' },
    status: { type: 'string', enum: [...CHAT_STATUSES] },
    archived: { type: 'boolean' },
    parentChatId: { type: ['string', 'null'], description: 'The parent of a sub-chat.' },
    rootChatId: { type: 'string', description: "The family's root; the chat's own id for a root." },
    modelConfigId: { type: ['string', 'null'], description: 'The model the chat last used.' },
    mcpServerIds: { type: 'array', items: { type: 'string' } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    lastError: nullable(ref('ChatErrorInfo')),
    createdAt: isoDateTime,
    updatedAt: { ...isoDateTime, description: 'When its execution state last changed.' },
    lastUserActivityAt: { ...isoDateTime, description: "Orders the owner's chat list." },
  },
} as const;

const messagePart = {
  $id: 'MessagePart',
  type: 'object',
  description:
    'One part of a message: `text`, `reasoning`, `tool-call`, `tool-result`, `file`, `source`, … An open union: parts of a type you do not know are kept verbatim and may be skipped.',
  required: ['type'],
  additionalProperties: true,
  properties: { type: { type: 'string' } },
} as const;

const messageContent = {
  $id: 'MessageContent',
  type: 'object',
  description: "A message's stored content: a version tag and its ordered parts.",
  required: ['version', 'parts'],
  additionalProperties: true,
  properties: {
    version: { type: 'integer', minimum: 1 },
    parts: { type: 'array', items: ref('MessagePart') },
  },
} as const;

const count = { type: 'integer', minimum: 0 } as const;

const chatMessage = {
  $id: 'ChatMessage',
  type: 'object',
  description: 'A committed message of the history (`ChatMessage` of `@chatd/core`).',
  required: ['id', 'chatId', 'role', 'content', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: 1, description: 'Increasing in history order.' },
    chatId: { type: 'string' },
    role: { type: 'string', enum: [...CHAT_MESSAGE_ROLES] },
    content: ref('MessageContent'),
    createdAt: isoDateTime,
    revision: { ...count, description: 'The history version that last wrote it (edits).' },
    createdBy: { type: 'string' },
    modelConfigId: { type: 'string' },
    usage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        inputTokens: count,
        outputTokens: count,
        totalTokens: count,
        reasoningTokens: count,
        cacheCreationTokens: count,
        cacheReadTokens: count,
        contextLimit: count,
      },
    },
    costMicros: { ...count, description: 'What the model call cost, in micro-dollars.' },
    runtimeMs: count,
  },
} as const;

const queuedChatMessage = {
  $id: 'QueuedChatMessage',
  type: 'object',
  description: 'A user message waiting in the queue of a busy chat.',
  required: ['id', 'chatId', 'content', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: 1, description: 'The queue entry id (not a message id).' },
    chatId: { type: 'string' },
    content: ref('MessageContent'),
    createdAt: isoDateTime,
    createdBy: { type: 'string' },
    modelConfigId: { type: 'string' },
  },
} as const;

const chatStreamEvent = {
  $id: 'ChatStreamEvent',
  type: 'object',
  description:
    'The `data:` of one event of `GET /v1/chats/{id}/stream` (`ChatStreamEvent` of `@chatd/core`), told apart by `type`: `message-part` (a preview part of the in-flight message), `message` (a committed message; upsert by id), `status`, `queue-update`, `error`, `retry`, `action-required`, `preview-reset`, `history-reset`. An open union: skip the types you do not know.',
  required: ['type', 'chatId'],
  additionalProperties: true,
  properties: {
    type: {
      type: 'string',
      examples: [
        'message-part',
        'message',
        'status',
        'queue-update',
        'error',
        'retry',
        'action-required',
        'preview-reset',
        'history-reset',
      ],
    },
    chatId: { type: 'string' },
  },
} as const;

const uiMessageChunk = {
  $id: 'UiMessageChunk',
  type: 'object',
  description:
    "The `data:` of one event of the AI SDK's UI message stream (`start`, `start-step`, `text-start`, `text-delta`, `text-end`, `tool-input-available`, `finish-step`, `finish`, `error`, …); the stream ends with `data: [DONE]`.",
  required: ['type'],
  additionalProperties: true,
  properties: { type: { type: 'string' } },
} as const;

const user = {
  $id: 'User',
  type: 'object',
  required: ['id', 'name', 'isAdmin'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    isAdmin: { type: 'boolean' },
  },
} as const;

const issuedToken = {
  $id: 'IssuedToken',
  type: 'object',
  description: 'A new API token: `token` is shown in this response only (the server keeps a hash).',
  required: ['id', 'token'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Revoke it with this id.' },
    token: { type: 'string', description: 'Send as `Authorization: Bearer <token>`.' },
  },
} as const;

const tokenInfo = {
  $id: 'TokenInfo',
  type: 'object',
  description: 'An API token as listed: never the token itself.',
  required: ['id', 'name', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Revoke it with this id.' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const modelInfo = {
  $id: 'ModelInfo',
  type: 'object',
  required: ['id', 'provider', 'label', 'demo', 'default'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'What chats pass as `modelConfigId`.' },
    provider: { type: 'string' },
    label: { type: 'string' },
    demo: { type: 'boolean', description: 'The built-in offline demo model.' },
    default: {
      type: 'boolean',
      description: 'The model a new chat gets when it names none (exactly one is).',
    },
  },
} as const;

const SHARED_SCHEMAS = [
  errorBody,
  chatErrorInfo,
  chat,
  messagePart,
  messageContent,
  chatMessage,
  queuedChatMessage,
  chatStreamEvent,
  uiMessageChunk,
  user,
  issuedToken,
  tokenInfo,
  modelInfo,
] as const satisfies ReadonlyArray<{ $id: SharedSchemaId }>;

/**
 * Adds the shared schemas to the app (once, before the routes that `$ref` them), so the
 * OpenAPI document lists each once under `components.schemas` and the routes refer to it.
 */
export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}

/**
 * The documentation of the routes server.ts declares itself (models, health, readiness,
 * metrics), kept here with the other response schemas so server.ts stays wiring.
 */
export const serverRouteSchemas = {
  models: {
    summary: 'List the models chats can use',
    description:
      'Every model configuration: the built-in demo model, those from the environment and those admins stored.',
    tags: ['models'],
    operationId: 'listModels',
    response: {
      200: {
        description: 'The models',
        type: 'object',
        required: ['models'],
        additionalProperties: false,
        properties: { models: { type: 'array', items: ref('ModelInfo') } },
      },
    },
  },
  healthz: {
    summary: 'Liveness: the process is up',
    tags: ['operations'],
    operationId: 'health',
    response: {
      200: {
        description: 'Up',
        type: 'object',
        required: ['status'],
        additionalProperties: false,
        properties: { status: { type: 'string', const: 'ok' } },
      },
    },
  },
  readyz: {
    summary: 'Readiness: the database answers and the worker runs',
    tags: ['operations'],
    operationId: 'ready',
    response: {
      200: { description: 'Ready', ...readiness() },
      503: { description: 'Not ready (yet): see which part', ...readiness() },
    },
  },
  metrics: {
    summary: 'Prometheus metrics',
    tags: ['operations'],
    operationId: 'metrics',
    response: {
      200: {
        description: 'The metrics in the Prometheus text format',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  },
} as const;

function readiness() {
  return {
    type: 'object',
    required: ['database', 'worker'],
    additionalProperties: false,
    properties: {
      database: { type: 'boolean', description: 'The database answered a ping.' },
      worker: { type: 'boolean', description: 'The worker runs (or this replica has none).' },
    },
  } as const;
}
