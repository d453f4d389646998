import { readFileSync } from 'node:fs';
import { maxHeaderSize } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { requiresToken } from './routes/auth-hook.js';
import { addSharedSchemas, type ErrorStatus, errorResponses, ref } from './routes/schemas.js';

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

/** The methods that change state, which are also the ones whose bodies Fastify reads. */
const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One cause of a shared error response, with the code the server answers it with. */
interface SharedCause {
  code: string;
  description: string;
}

/** The limits the shared error responses name, read from the running server. */
interface ServerLimits {
  bodyLimit: number;
  maxParamLength: number;
  maxHeaderSize: number;
  headersTimeout: number;
}

/** The limits of `app`: Fastify's options and Node's HTTP parser. */
function serverLimits(app: FastifyInstance): ServerLimits {
  return {
    bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024,
    // The router's own option (the top-level one still reads Fastify's default of 100).
    maxParamLength: app.initialConfig.routerOptions?.maxParamLength ?? 100,
    maxHeaderSize,
    headersTimeout: app.server.headersTimeout,
  };
}

/**
 * The error responses a route answers before (or around) its handler, from the rules the
 * server applies rather than per route, so the document cannot drift from them:
 *
 * - every route: what Node's HTTP parser refuses (`clientErrorHandler`: malformed HTTP, a URL
 *   or headers over its limit, headers that arrive too slowly), an unexpected failure
 *   (`errorHandler`'s `500`), and shutting down (the shutdown hook's `503`);
 * - a route with path parameters: what the router refuses (`frameworkErrors`: a parameter
 *   that is not valid percent-encoding or is over `maxParamLength`);
 * - a route whose method has a body: what the body parser refuses (not JSON, over
 *   `bodyLimit`, an unsupported content type), whatever the route does with the body;
 * - a route behind a token (`requiresToken`): the auth hook's `401`, and on mutations the
 *   rate limit's `429`.
 */
function sharedErrorCauses(
  url: string,
  methods: readonly string[],
  limits: ServerLimits,
): Map<ErrorStatus, SharedCause[]> {
  const causes = new Map<ErrorStatus, SharedCause[]>();
  const add = (status: ErrorStatus, code: string, description: string) =>
    causes.set(status, [...(causes.get(status) ?? []), { code, description }]);
  add(400, 'BAD_REQUEST', 'a request that is not valid HTTP');
  if (url.includes(':')) {
    add(400, 'FST_ERR_BAD_URL', 'a path that is not valid percent-encoding');
  }
  if (methods.some((method) => MUTATIONS.has(method))) {
    add(400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'a JSON content type with a body that is not JSON');
    add(400, 'FST_ERR_CTP_EMPTY_JSON_BODY', 'a JSON content type with an empty body');
  }
  if (requiresToken(url)) {
    add(401, 'UNAUTHORIZED', 'no token, or a token the server does not know');
  }
  add(
    408,
    'REQUEST_TIMEOUT',
    `the request line and headers did not arrive within ${limits.headersTimeout / 1000} s`,
  );
  if (methods.some((method) => MUTATIONS.has(method))) {
    add(413, 'FST_ERR_CTP_BODY_TOO_LARGE', `a body over ${limits.bodyLimit / 1024 / 1024} MiB`);
  }
  if (url.includes(':')) {
    add(
      414,
      'FST_ERR_MAX_PARAM_LENGTH',
      `a path parameter over ${limits.maxParamLength} characters`,
    );
  }
  if (methods.some((method) => MUTATIONS.has(method))) {
    add(
      415,
      'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      'a body whose content type is neither `application/json` nor `text/plain`',
    );
  }
  if (requiresToken(url) && methods.some((method) => MUTATIONS.has(method))) {
    add(
      429,
      'RATE_LIMITED',
      'too many mutations: retry after the `Retry-After` header (seconds) or `details.retryAfterMs`',
    );
  }
  add(
    431,
    'HEADERS_TOO_LARGE',
    `the request line and headers, the URL included, over ${limits.maxHeaderSize / 1024} KiB`,
  );
  add(500, 'INTERNAL', 'an unexpected failure; the server logs it');
  add(
    503,
    'SHUTTING_DOWN',
    'the server is shutting down: retry, on another replica if there is one',
  );
  add(503, 'DATABASE_UNREACHABLE', 'the Postgres server cannot be reached: retry shortly');
  return causes;
}

/** The causes as `cause (\`CODE\`)`, joined; capitalised for a response of their own. */
function describeCauses(causes: readonly SharedCause[], { capitalise = false } = {}): string {
  const text = causes.map(({ code, description }) => `${description} (\`${code}\`)`).join('; ');
  return capitalise ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** A route's own response schema for one status (a `$ref` to `ErrorBody` or any schema). */
type ResponseSchema = { description?: string; $ref?: string; content?: unknown } & Record<
  string,
  unknown
>;

/**
 * Adds the shared responses to what the route documents itself. A status the route documents
 * in the error shape keeps its own description, followed by the shared causes it does not name
 * yet (by code); a status it documents with another body (`/readyz`'s `503`) becomes either
 * body.
 */
function withSharedErrors(
  own: Record<string, ResponseSchema>,
  causes: Map<ErrorStatus, SharedCause[]>,
): Record<string, ResponseSchema> {
  const responses: Record<string, ResponseSchema> = { ...own };
  for (const [status, all] of causes) {
    const mine = own[String(status)];
    const missing = all.filter(({ code }) => !mine?.description?.includes(`\`${code}\``));
    if (mine === undefined) {
      Object.assign(
        responses,
        errorResponses({ [status]: describeCauses(missing, { capitalise: true }) }),
      );
    } else if (missing.length === 0) {
    } else if (mine.$ref === ref('ErrorBody').$ref) {
      responses[status] = {
        ...mine,
        description: `${mine.description}; ${describeCauses(missing)}`,
      };
    } else if (mine.content === undefined) {
      const { description, ...schema } = mine;
      responses[status] = {
        description: `${description}; or ${describeCauses(missing)}`,
        anyOf: [schema, ref('ErrorBody')],
      };
    } else {
      throw new Error(`A response ${status} with content cannot take the shared error responses`);
    }
  }
  return responses;
}

/**
 * Documents what every route shares, from the rules the server applies rather than per route
 * ({@link sharedErrorCauses}): the error responses, and the bearer scheme on the routes behind
 * a token.
 */
function documentSharedResponses(limits: ServerLimits) {
  return ({
    schema,
    url,
    route,
  }: {
    schema: FastifySchema | undefined;
    url: string;
    route: { method: string | readonly string[] };
  }): { schema: FastifySchema; url: string } => {
    const documented = schema ?? {};
    const methods = typeof route.method === 'string' ? [route.method] : route.method;
    return {
      url,
      schema: {
        ...documented,
        ...(requiresToken(url) ? { security: [{ bearerAuth: [] }] } : {}),
        response: withSharedErrors(
          (documented.response ?? {}) as Record<string, ResponseSchema>,
          sharedErrorCauses(url, methods, limits),
        ),
      },
    };
  };
}

/** The top bar's logo at /docs: the name, in the bar's own white. */
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">' +
  '<text x="0" y="30" font-family="sans-serif" font-size="28" font-weight="700" fill="#fff">' +
  'chatd</text></svg>';

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
    transform: documentSharedResponses(serverLimits(app)),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: true, persistAuthorization: false },
    // The server's own name in the tab and the top bar, not the UI plugin's.
    theme: { title: 'chatd API reference' },
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: DOCS_PREFIX },
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
