import type { McpUserToken } from '@chatd/mcp-client';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import type { McpServers, NewMcpServer } from '../mcp.js';
import { currentUser, requireAdmin } from './auth-hook.js';
import { errorResponses } from './schemas.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

const tags = ['mcp'];
const adminsOnly = 'Admins only (`FORBIDDEN`)';
const notFound = 'No such MCP server (`MCP_SERVER_NOT_FOUND`)';

const serverInfo = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'slug', 'transport', 'url', 'command', 'authType', 'enabled', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    slug: { type: 'string' },
    transport: { type: 'string', enum: ['streamable-http', 'sse', 'stdio'] },
    url: { type: ['string', 'null'], description: 'Without credentials or query string.' },
    command: { type: ['string', 'null'] },
    authType: { type: 'string', enum: ['none', 'oauth2', 'api-key', 'custom-headers'] },
    enabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    hasToken: { type: 'boolean', description: 'Whether you stored an OAuth token for it.' },
  },
} as const;

/**
 * MCP servers: admins add and remove them (the config is validated by `@chatd/mcp-client`
 * and stored sealed; secrets are never returned); every user lists them, picks them per chat
 * (`mcpServerIds`) and stores their own OAuth token for servers that need one.
 */
export function mcpServerRoutes(app: FastifyInstance, servers: McpServers): void {
  app.get(
    '/v1/mcp-servers',
    {
      schema: {
        summary: 'List the MCP servers chats can use',
        description: 'Pick them per chat with `mcpServerIds` on `POST /v1/chats`.',
        tags,
        operationId: 'listMcpServers',
        response: {
          200: {
            description: 'Every MCP server (without secrets)',
            type: 'object',
            required: ['mcpServers'],
            additionalProperties: false,
            properties: { mcpServers: { type: 'array', items: serverInfo } },
          },
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const withToken = await servers.tokenServerIds(user.id);
      return {
        mcpServers: (await servers.list()).map((server) => ({
          ...server,
          hasToken: withToken.has(server.id),
        })),
      };
    },
  );

  app.post<{ Body: NewMcpServer }>(
    '/v1/admin/mcp-servers',
    {
      schema: {
        summary: 'Add an MCP server',
        description:
          "The body is `@chatd/mcp-client`'s server config without `id`; it is stored sealed, and its secrets are never returned.",
        tags,
        operationId: 'createMcpServer',
        // The full config is checked by `@chatd/mcp-client`'s own schema in the handler, which
        // names the bad field; here only its shape.
        body: {
          type: 'object',
          required: ['slug'],
          examples: [{ slug: 'docs', url: 'https://mcp.example.com/mcp' }],
          properties: { slug: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: {
          201: { description: 'The MCP server (without secrets)', ...serverInfo },
          ...errorResponses({
            400: 'An invalid config, naming the bad field (`INVALID_ARGUMENT`)',
            403: adminsOnly,
            409: 'The slug is taken (`MCP_SERVER_EXISTS`)',
          }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      if ('id' in (request.body as object)) {
        throw new HttpError(400, 'INVALID_ARGUMENT', 'id is assigned by the server');
      }
      return reply.status(201).send(await servers.create(request.body));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/mcp-servers/:id',
    {
      schema: {
        summary: 'Remove an MCP server',
        tags,
        operationId: 'deleteMcpServer',
        params: idParams,
        response: {
          204: { type: 'null', description: 'Deleted' },
          ...errorResponses({ 400: 'A malformed id', 403: adminsOnly, 404: notFound }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      if (!(await servers.delete(request.params.id))) {
        throw new HttpError(404, 'MCP_SERVER_NOT_FOUND', 'No such MCP server');
      }
      return reply.status(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: McpUserToken & { expiresAt?: number } }>(
    '/v1/mcp-servers/:id/token',
    {
      schema: {
        summary: 'Store your OAuth token for an MCP server',
        description: 'Stored sealed; chats of yours that use the server connect with it.',
        tags,
        operationId: 'saveMcpServerToken',
        params: idParams,
        body: {
          type: 'object',
          required: ['accessToken'],
          additionalProperties: false,
          examples: [{ accessToken: 'your-oauth-access-token', tokenType: 'Bearer' }],
          properties: {
            accessToken: { type: 'string', minLength: 1, maxLength: 10_000, writeOnly: true },
            refreshToken: { type: 'string', minLength: 1, maxLength: 10_000, writeOnly: true },
            tokenType: { type: 'string', minLength: 1, maxLength: 40 },
            // At most the last instant a Date can hold (year 275760).
            expiresAt: {
              type: 'integer',
              minimum: 0,
              maximum: 8_640_000_000_000_000,
              description: 'Milliseconds since the epoch',
            },
          },
        },
        response: {
          204: { type: 'null', description: 'Stored' },
          ...errorResponses({ 400: 'Invalid body or a malformed id', 404: notFound }),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if ((await servers.unknown([request.params.id])).length > 0) {
        throw new HttpError(404, 'MCP_SERVER_NOT_FOUND', 'No such MCP server');
      }
      await servers.saveToken(user.id, request.params.id, request.body);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/mcp-servers/:id/token',
    {
      schema: {
        summary: 'Delete your OAuth token for an MCP server',
        tags,
        operationId: 'deleteMcpServerToken',
        params: idParams,
        response: {
          204: { type: 'null', description: 'Deleted' },
          ...errorResponses({
            400: 'A malformed id',
            404: 'No token of yours for this MCP server (`TOKEN_NOT_FOUND`)',
          }),
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (!(await servers.deleteToken(user.id, request.params.id))) {
        throw new HttpError(404, 'TOKEN_NOT_FOUND', 'No token stored for this MCP server');
      }
      return reply.status(204).send();
    },
  );
}
