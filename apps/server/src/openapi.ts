import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { requiresToken } from './routes/auth-hook.js';
import { addSharedSchemas, errorResponses } from './routes/schemas.js';

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = '/openapi.json';
/** Where the interactive API reference is served; its assets live under this prefix. */
export const DOCS_PREFIX = '/docs';

/** The OpenAPI tags, one per area of the API, in the order the reference shows them. */
const TAGS = [
  { name: 'chats', description: 'Chats, their messages, queue, actions and live streams' },
  { name: 'ai-sdk', description: "The AI SDK's UI message stream protocol, for a stock `useChat`" },
  { name: 'models', description: 'Models chats can use, and the configurations admins store' },
  { name: 'mcp', description: 'MCP servers chats can use, and users’ tokens for them' },
  { name: 'users', description: 'You, users and API tokens' },
  { name: 'operations', description: 'Health, readiness, metrics and this document' },
];

interface PackageInfo {
  name: string;
  version: string;
  description: string;
}

/**
 * This package's name, version and description. Read at run time rather than injected at
 * build time, so the tests (which run the TypeScript source) and the build both see the real
 * version; `../package.json` is the same file from `src/` and from `dist/`, and npm always
 * publishes it.
 */
function packageInfo(): PackageInfo {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Documents what every route behind a token shares, from the rules the hooks apply rather
 * than per route, so the document cannot drift from them: the bearer scheme and the `401` of
 * the auth hook (`requiresToken`), and the `429` of the rate limit on mutations. A route that
 * has its own `429` (a full queue) keeps its description, which names both causes.
 */
function documentAuth({
  schema,
  url,
  route,
}: {
  schema: FastifySchema | undefined;
  url: string;
  route: { method: string | readonly string[] };
}): { schema: FastifySchema; url: string } {
  const documented = schema ?? {};
  if (!requiresToken(url)) return { schema: documented, url };
  const methods = typeof route.method === 'string' ? [route.method] : route.method;
  const mutation = methods.some((method) => MUTATIONS.has(method));
  return {
    url,
    schema: {
      ...documented,
      security: [{ bearerAuth: [] }],
      response: {
        ...errorResponses({
          401: 'No token, or a token the server does not know (`UNAUTHORIZED`)',
          ...(mutation
            ? {
                429: 'Too many mutations (`RATE_LIMITED`): retry after the `Retry-After` header (seconds) or `details.retryAfterMs`',
              }
            : {}),
        }),
        ...(documented.response as object | undefined),
      },
    },
  };
}

/**
 * Registers the API documentation: the shared response schemas, an OpenAPI 3.1 document
 * generated from every route's schema at `GET /openapi.json`, and an interactive reference at
 * `GET /docs` (Swagger UI, served from the package's own files, so it works offline). Both
 * are public, like `/healthz`.
 *
 * Call it before any route is declared: the generator collects routes as they are added.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  const { name, version, description } = packageInfo();
  addSharedSchemas(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: name,
        version,
        description: `${description}\n\nEvery \`/v1\` and \`/api/chat\` route needs \`Authorization: Bearer <token>\`. Errors always have one shape, \`{ "error": { "code", "message", "details"? } }\`; request bodies must match their schema exactly (no coercion, unknown fields refused).`,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (`chatd_…`); admins issue them with `POST /v1/admin/users`.',
          },
        },
      },
    },
    // Components keep their `$id` as name (`#/components/schemas/Chat`) instead of `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
    transform: documentAuth,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true, persistAuthorization: false },
  });
  app.get(
    OPENAPI_PATH,
    {
      schema: {
        summary: 'This API as an OpenAPI 3.1 document',
        tags: ['operations'],
        operationId: 'openapi',
        response: {
          200: {
            description: 'The document, generated from the route schemas',
            type: 'object',
            required: ['openapi', 'info', 'paths'],
            properties: { openapi: { type: 'string' }, info: { type: 'object' } },
          },
        },
      },
    },
    async () => app.swagger(),
  );
}
