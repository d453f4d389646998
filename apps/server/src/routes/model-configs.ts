import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import { MODEL_PROVIDERS, type ModelCatalog, type NewModelConfig } from '../models.js';
import { requireAdmin } from './auth-hook.js';

const count = { type: 'integer', minimum: 1, maximum: 10_000_000 } as const;
const price = { type: 'integer', minimum: 0, maximum: 1_000_000_000_000 } as const;
const pricing = {
  type: 'object',
  additionalProperties: false,
  properties: { input: price, output: price, cacheRead: price, cacheWrite: price },
} as const;

const storedModelConfig = {
  type: 'object',
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
        response: {
          200: {
            type: 'object',
            required: ['modelConfigs'],
            properties: { modelConfigs: { type: 'array', items: storedModelConfig } },
          },
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
        body: {
          type: 'object',
          required: ['id', 'provider', 'model'],
          additionalProperties: false,
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
        response: { 201: storedModelConfig },
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
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 204: { type: 'null', description: 'Deleted' } },
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
