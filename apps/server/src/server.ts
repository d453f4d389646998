import { type Chatd, createChatd } from '@chatd/chatd';
import { InvalidArgumentError, type Logger } from '@chatd/core';
import { McpClientPool } from '@chatd/mcp-client';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance } from 'fastify';
import { Users } from './auth.js';
import type { ServerConfig } from './config.js';
import { trackConnections } from './connections.js';
import { openDatabase } from './database.js';
import { demoTools } from './demo-model.js';
import { clientErrorHandler, errorHandler, HttpError } from './errors.js';
import { McpServers, serverToolProvider } from './mcp.js';
import { createMetrics } from './metrics.js';
import { ModelCatalog } from './models.js';
import { registerApiDocs } from './openapi.js';
import { rateLimitMutations } from './rate-limit.js';
import { adminRoutes } from './routes/admin.js';
import { adminHook, authHook } from './routes/auth-hook.js';
import { chatRoutes } from './routes/chats.js';
import { mcpServerRoutes } from './routes/mcp-servers.js';
import { modelConfigRoutes } from './routes/model-configs.js';
import { serverRouteSchemas } from './routes/schemas.js';
import { apiChatRoutes } from './routes/use-chat.js';
import { checkSecretKey, loadSecretKey, SecretBox } from './secrets.js';
import { OpenStreams } from './sse.js';
import { refuseUnstorableText } from './storable-text.js';

/** A running server: its URL, the admin token of a first start, and how to stop it. */
export interface ChatdServer {
  /** The Fastify app (routes, `inject()`). */
  readonly app: FastifyInstance;
  /** The engine. */
  readonly chatd: Chatd;
  /** The URL it listens on (after {@link ChatdServer.listen}). */
  url: string | undefined;
  /**
   * The admin token created on the first start, shown once; `undefined` on later starts, and
   * until {@link ChatdServer.listen} has resolved.
   */
  firstAdminToken: string | undefined;
  /**
   * Starts listening on the configured host and port; on the first start (no user yet), then
   * creates the admin and its token ({@link ChatdServer.firstAdminToken}).
   */
  listen(): Promise<string>;
  /**
   * Stops gracefully: refuses new requests, ends open streams (clients resume elsewhere),
   * hands this replica's chats over, closes the database.
   */
  close(): Promise<void>;
}

// Bodies are JSON and must match exactly: no type coercion (a number is not a string) and no
// silently dropped unknown fields. Query strings and path parameters are text, so their
// numbers and booleans are coerced.
const strictAjv = new Ajv({
  allErrors: false,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: true,
});
const coercingAjv = new Ajv({
  allErrors: false,
  coerceTypes: true,
  removeAdditional: false,
  useDefaults: true,
});
for (const ajv of [strictAjv, coercingAjv]) {
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
}

/**
 * Browser pages of `origins` may call the API with a bearer token (no cookies: credentials
 * stay off) and read the streams; a preflight is remembered for 10 minutes.
 */
function corsOptions(origins: ServerConfig['corsOrigins']): FastifyCorsOptions {
  return {
    origin: origins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
    exposedHeaders: ['retry-after', 'x-vercel-ai-ui-message-stream'],
    maxAge: 600,
  };
}

function validatorFor({ schema, httpPart }: { schema: object; httpPart?: string }) {
  return (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema);
}

/** Adapts Fastify's pino logger to the libraries' logger interface (same call shape). */
function libraryLogger(app: FastifyInstance): Logger {
  return app.log as unknown as Logger;
}

/** Builds the server: database, engine, routes. Call `listen()` to serve. */
export async function createServer(
  config: ServerConfig,
  { logLevel = 'info' }: { logLevel?: string } = {},
): Promise<ChatdServer> {
  const app = Fastify({
    logger: {
      level: logLevel,
      redact: {
        paths: ['req.headers.authorization', 'token', '*.token', 'apiKey', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    bodyLimit: 5 * 1024 * 1024,
    // A client chat id (`/api/chat/:id/stream`) may have 200 characters, and each can take up
    // to 9 once percent-encoded in the path; the router's default limit (100) refused ids the
    // body accepts.
    routerOptions: { maxParamLength: 1800 },
    // Malformed percent-encoding and over-long path parameters are refused by the router,
    // before any route: answered in the one error shape too.
    frameworkErrors: errorHandler,
    // So are requests Node's HTTP parser refuses (too-long URL or headers, malformed HTTP).
    clientErrorHandler,
    // Fastify's own 503 while closing has another body shape; the shutdown hook below answers
    // in the one error shape instead, from the moment close() starts.
    return503OnClosing: false,
  });
  const logger = libraryLogger(app);
  // Checked before the database opens, so a missing key stops the start with nothing done.
  const secretKey = config.databaseUrl === undefined ? undefined : await loadSecretKey(config);
  const database = await openDatabase(config, logger);
  const box = new SecretBox(secretKey ?? (await loadSecretKey(config)));
  await checkSecretKey(database.db, box).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const users = new Users(database.db, { pubsub: database.pubsub });
  const models = new ModelCatalog(config, database.db, box, database.pubsub);
  await models.ready;
  await models.refresh();
  const { titleModelConfigId } = config;
  if (typeof titleModelConfigId === 'string' && !(await models.has(titleModelConfigId))) {
    await database.close();
    throw new InvalidArgumentError(
      'CHATD_TITLE_MODEL',
      `no model configuration ${titleModelConfigId} (see GET /v1/models), or 'off'`,
    );
  }
  const mcpServers = new McpServers(database.db, box);
  const mcpPool = new McpClientPool({ logger });
  const chatd = createChatd({
    store: database.store,
    models,
    tools: serverToolProvider(demoTools, mcpServers, mcpPool, logger),
    logger,
    ...(titleModelConfigId === undefined ? {} : { options: { titleModelConfigId } }),
  });
  const streams = new OpenStreams();
  const connections = trackConnections(app.server);
  users.onRevoked((tokenId) => streams.closeOpenedWith(tokenId));
  let ready = false;
  let shuttingDown = false;

  app.setValidatorCompiler(validatorFor);
  // An empty body sent as JSON is no body: clients that set the header on every request
  // (`POST /v1/chats/:id/interrupt` with nothing to say) are not refused for it. A route that
  // needs a body still answers 400 naming it; anything else is parsed as Fastify parses JSON,
  // with its guard against prototype poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
  // Response schemas document the API and are the contract openapi.test.ts checks; they must
  // not filter it. Fastify's default serializer (fast-json-stringify) silently drops every
  // property a response schema does not declare, so a field the engine adds, or one the schema
  // forgot, would vanish for clients. Plain JSON sends what the handler returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler);
  // First of all hooks: every request is timed, also one a later hook refuses and whose
  // client goes away before the answer is written.
  const metrics = createMetrics(app, {
    chatd,
    pubsub: database.pubsub,
    db: database.db,
    openStreams: () => streams.size,
  });
  // Before the hooks that answer, so every answer (a 401, a 503 while closing) carries the CORS
  // headers a browser page needs to read it.
  if (config.corsOrigins === '*' || config.corsOrigins.length > 0) {
    await app.register(cors, corsOptions(config.corsOrigins));
  }
  // First of the hooks that answer: once close() has started, nothing new is served (not even
  // a token check), and the client is told to retry elsewhere on a new connection.
  app.addHook('onRequest', async (_request, reply) => {
    if (!shuttingDown) return;
    void reply.header('connection', 'close');
    throw new HttpError(503, 'SHUTTING_DOWN', 'The server is shutting down; retry');
  });
  app.setNotFoundHandler((request) => {
    throw new HttpError(
      404,
      'NOT_FOUND',
      `No route ${request.method} ${request.url.split('?')[0]}`,
    );
  });
  authHook(app, users);
  refuseUnstorableText(app);
  rateLimitMutations(app, config.rateLimitPerMinute);
  adminHook(app);
  // Before the routes: the OpenAPI generator collects them as they are declared.
  await registerApiDocs(app);
  chatRoutes(app, chatd, streams, (ids) => mcpServers.unknown(ids));
  adminRoutes(app, users, chatd);
  modelConfigRoutes(app, models);
  mcpServerRoutes(app, mcpServers);
  apiChatRoutes(app, chatd, database.db, streams);
  app.get('/v1/models', { schema: serverRouteSchemas.models }, async () => ({
    models: await models.list(),
  }));
  app.get('/healthz', { schema: serverRouteSchemas.healthz }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: serverRouteSchemas.readyz }, async (_request, reply) => {
    const databaseUp = await database.ping();
    const body = { database: databaseUp, worker: ready || !config.worker };
    return reply.status(databaseUp && body.worker ? 200 : 503).send(body);
  });
  app.get('/metrics', { schema: serverRouteSchemas.metrics }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );

  if (config.worker) await chatd.start();
  ready = true;

  let closing: Promise<void> | undefined;
  const server: ChatdServer = {
    app,
    chatd,
    url: undefined,
    firstAdminToken: undefined,
    async listen() {
      const address = await app.listen({ port: config.port, host: config.host });
      // Only now that the server is listening: a start that fails before (a port in use, a bad
      // HOST) has created no admin, so the start that succeeds creates it and shows its token,
      // instead of finding an admin whose token nobody ever saw.
      server.firstAdminToken = await users.bootstrapAdmin(config.adminToken);
      server.url = address.replace('[::1]', 'localhost');
      return server.url;
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        // Ending the streams first lets their clients reconnect to another replica at once.
        streams.closeAll();
        // Requests that came before the close are answered in full; later ones get a 503
        // (SHUTTING_DOWN) while the chats are handed over.
        await connections.requestsDone();
        await chatd.close();
        users.close();
        models.close();
        await mcpPool.close();
        const appClosed = app.close();
        connections.closeIdle();
        await appClosed;
        await database.close();
      })();
      return closing;
    },
  };
  return server;
}
