import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import { MODEL_PROVIDERS, type ModelCatalog, type NewModelConfig } from '../models.js';
import { requireAdmin } from './auth-hook.js';
import { errorResponses } from './schemas.js';

const count = { type: 'integer', minimum: 1, maximum: 10_000_000 } as const;
const price = { type: 'integer', minimum: 0, maximum: 1_000_000_000_000 } as const;
const pricing = {
  type: 'object',
  additionalProperties: false,
  properties: { input: price, output: price, cacheRead: price, cacheWrite: price },
} as const;

const tags = ['models'];
const adminsOnly = 'Admins only (`FORBIDDEN`)';

const storedModelConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'model', 'label', 'baseUrl', 'hasApiKey', 'createdAt'],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string', enum: [...MODEL_PROVIDERS] },
    model: { type: 'string' },
    label: { type: 'string' },
    baseUrl: { type: ['string', 'null'] },
    hasApiKey: { type: 'boolean', description: 'The key itself is write-only.' },
    contextLimitTokens: { type: ['integer', 'null'] },
    maxOutputTokens: { type: ['integer', 'null'] },
    pricing: { anyOf: [pricing, { type: 'null' }] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * Model configurations for admins: provider, model id, context limit, output limit, prices
 * and an API key that is sealed before it is stored and never returned.
 */
export function modelConfigRoutes(app: FastifyInstance, models: ModelCatalog): void {
  app.get(
    '/v1/admin/model-configs',
    {
      schema: {
        summary: 'List the stored model configurations',
        tags,
        operationId: 'listModelConfigs',
        response: {
          200: {
            description: 'Every stored configuration (without its key)',
            type: 'object',
            required: ['modelConfigs'],
            additionalProperties: false,
            properties: { modelConfigs: { type: 'array', items: storedModelConfig } },
          },
          ...errorResponses({ 403: adminsOnly }),
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      return { modelConfigs: await models.listStored() };
    },
  );

  app.post<{ Body: NewModelConfig }>(
    '/v1/admin/model-configs',
    {
      schema: {
        summary: 'Store a model configuration',
        description:
          'Chats can use it at once, on every replica. The API key is sealed with `CHATD_SECRET_KEY` before it is stored and never returned.',
        tags,
        operationId: 'createModelConfig',
        body: {
          type: 'object',
          required: ['id', 'provider', 'model'],
          additionalProperties: false,
          examples: [
            {
              id: 'local-llama',
              provider: 'openai-compatible',
              model: 'llama3.2',
              label: 'Llama 3.2 on Ollama',
              baseUrl: 'http://127.0.0.1:11434/v1',
              contextLimitTokens: 128000,
            },
          ],
          properties: {
            id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
            provider: { type: 'string', enum: [...MODEL_PROVIDERS] },
            model: { type: 'string', minLength: 1, maxLength: 200 },
            label: { type: 'string', minLength: 1, maxLength: 200 },
            baseUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
            apiKey: { type: 'string', minLength: 1, maxLength: 10_000, writeOnly: true },
            contextLimitTokens: count,
            maxOutputTokens: count,
            pricing,
          },
        },
        response: {
          201: { description: 'The stored configuration', ...storedModelConfig },
          ...errorResponses({
            400: 'Invalid body, or `openai-compatible` without `baseUrl` (`INVALID_ARGUMENT`)',
            403: adminsOnly,
            409: 'The id is taken (`MODEL_CONFIG_EXISTS`)',
          }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      return reply.status(201).send(await models.create(request.body));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/model-configs/:id',
    {
      schema: {
        summary: 'Delete a stored model configuration',
        tags,
        operationId: 'deleteModelConfig',
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: {
          204: { type: 'null', description: 'Deleted' },
          ...errorResponses({
            403: adminsOnly,
            404: 'No such stored configuration (`MODEL_CONFIG_NOT_FOUND`)',
          }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      if (!(await models.delete(request.params.id))) {
        throw new HttpError(
          404,
          'MODEL_CONFIG_NOT_FOUND',
          `No model configuration ${request.params.id}`,
        );
      }
      return reply.status(204).send();
    },
  );
}
