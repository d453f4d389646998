import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Json, readStream } from './test-support/read-stream.js';
import {
  ADMIN_TOKEN,
  type Answer,
  call,
  createUser,
  registeredRoutes,
  startTestServer,
  type TestServer,
} from './test-support/test-server.js';

/*
 * The authorisation matrix: every `/v1` and `/api/chat` route (each method, HEAD included),
 * called over HTTP as the chat's owner, another user, an admin, no token and a bad token.
 * The route list comes from the running app, so a route added without a row here fails.
 *
 * Refused callers go first and the entitled one last, with a snapshot of the owner's data and
 * the admin lists before and after the refusals: a refused request must change nothing, and
 * no refused answer may contain the owner's title, message text or secrets.
 */

// Text only the owner's data holds: a refused answer containing one of them is a leak.
const TITLE = 'Zebra-title-7c1f';
const MESSAGE = 'Quokka-message-4be2';
const QUEUED = 'Narwhal-queued-91ad';
const MCP_TOKEN = 'mcp-access-token-5d3e';
const API_KEY = 'sk-provider-key-2f8a';
const CLIENT_CHAT_ID = 'client-chat-authz';

const ASK_USER = {
  name: 'ask_user',
  description: 'Asks the user a question',
  inputSchema: { type: 'object', properties: { question: { type: 'string' } } },
};

type Persona = 'owner' | 'other' | 'admin' | 'none' | 'bad';
type SignedIn = 'owner' | 'other' | 'admin';

/** One request of a row: where it goes, and what it is about (checked after each refusal). */
interface Target {
  path: string;
  body?: unknown;
  /** The owner's chat the request is about. */
  chatId?: string;
  /** A token of the owner's the request is about (it must keep working). */
  token?: string;
}

/**
 * What a route allows. `chat`: only the chat's owner (everyone else 404, as if it did not
 * exist); `admin`: admins only (users 403); `user`: any signed-in user, each on their own data.
 */
interface Row {
  kind: 'chat' | 'admin' | 'user';
  /** Builds the request, creating what it needs (a fresh chat for actions that change one). */
  prepare: () => Promise<Target>;
  /** The statuses the entitled caller may get: the owner (chat, user) or the admin (admin). */
  allowed: number[];
  /** `user` rows: the statuses of the other signed-in personas. */
  others?: number[];
  /** `user` rows: checks a signed-in persona's answer (its own data only). */
  check?: (persona: SignedIn, answer: Answer) => void;
}

/** The routes that need no token; listed so a new public route is a decision, not an accident. */
const PUBLIC_ROUTES = [
  'GET /docs',
  'GET /docs/',
  'GET /docs/*',
  'GET /docs/json',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/yaml',
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /readyz',
];

describe('authorisation of every route', () => {
  let started: TestServer;
  let url: string;
  const tokens: Record<Persona, string | undefined> = {
    owner: undefined,
    other: undefined,
    admin: ADMIN_TOKEN,
    none: undefined,
    bad: 'chatd_not-a-token-of-this-server',
  };
  const ids: Record<SignedIn, string> = { owner: '', other: '', admin: '' };
  let chatA: string;
  let mcpServerId: string;
  let counter = 0;
  const unique = (prefix: string) => {
    counter += 1;
    return `${prefix}-${counter}`;
  };

  /** Sends as a persona; an event stream is read to its first bytes (or `[DONE]`), then cut. */
  async function send(
    persona: Persona,
    method: string,
    path: string,
    body?: unknown,
    { whole = false }: { whole?: boolean } = {},
  ): Promise<Answer> {
    const token = tokens[persona];
    const controller = new AbortController();
    const response = await fetch(`${url}${path}`, {
      method,
      signal: controller.signal,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const contentType = response.headers.get('content-type') ?? '';
    let text = '';
    if (contentType.includes('text/event-stream') && response.body !== null) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      do {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      } while (whole && !text.includes('data: [DONE]'));
      controller.abort();
      await reader.cancel().catch(() => {});
    } else {
      text = await response.text();
    }
    const json = contentType.includes('application/json') && text !== '';
    return {
      status: response.status,
      contentType,
      text,
      body: json ? JSON.parse(text) : undefined,
    };
  }

  /** A fresh chat of the owner's, settled in `waiting` or waiting for a client tool. */
  async function ownerChat(state: 'waiting' | 'requires-action', { queued = false } = {}) {
    const created = await call(url, tokens.owner, 'POST', '/v1/chats', {
      content: `${state === 'waiting' ? 'Tell me about' : 'Ask me about'} ${MESSAGE}`,
      title: TITLE,
      dynamicTools: [ASK_USER],
    });
    expect(created.status).toBe(201);
    const chatId: string = created.body.id;
    const events = await readStream(url, tokens.owner as string, chatId, (event) =>
      state === 'waiting'
        ? event.type === 'status' && event.status === 'waiting'
        : event.type === 'action-required',
    );
    const toolCallId: string | undefined = events.at(-1)?.data.toolCalls?.[0]?.toolCallId;
    let queuedId: number | undefined;
    if (queued) {
      const sent = await call(url, tokens.owner, 'POST', `/v1/chats/${chatId}/messages`, {
        content: QUEUED,
        busy: 'queue',
      });
      expect(sent.body).toMatchObject({ queued: true });
      queuedId = sent.body.queuedMessage.id;
    }
    const { body } = await call(url, tokens.owner, 'GET', `/v1/chats/${chatId}/messages?afterId=0`);
    return { chatId, toolCallId, queuedId, firstMessageId: body.messages[0].id as number };
  }

  /** The owner's chats (both lists), a chat's state, messages and queue, and the admin lists. */
  async function snapshot(target: Target) {
    const chat = async (chatId: string) => {
      const [state, messages, events] = await Promise.all([
        call(url, tokens.owner, 'GET', `/v1/chats/${chatId}`),
        call(url, tokens.owner, 'GET', `/v1/chats/${chatId}/messages?limit=200`),
        readStream(url, tokens.owner as string, chatId, (event) => event.type === 'queue-update'),
      ]);
      return { state: state.body, messages: messages.body, queue: events.at(-1)?.data };
    };
    const [active, archived, users, modelConfigs, mcpServers, token, a, targeted] =
      await Promise.all([
        call(url, tokens.owner, 'GET', '/v1/chats?limit=200'),
        call(url, tokens.owner, 'GET', '/v1/chats?limit=200&archived=true'),
        call(url, ADMIN_TOKEN, 'GET', '/v1/admin/users'),
        call(url, ADMIN_TOKEN, 'GET', '/v1/admin/model-configs'),
        call(url, tokens.owner, 'GET', '/v1/mcp-servers'),
        target.token === undefined ? undefined : call(url, target.token, 'GET', '/v1/me'),
        chat(chatA),
        target.chatId === undefined || target.chatId === chatA ? undefined : chat(target.chatId),
      ]);
    return {
      chats: [active.body, archived.body],
      admin: [users.body, modelConfigs.body],
      mcpServers: mcpServers.body,
      token: token?.status,
      chatA: a,
      chat: targeted,
    };
  }

  /** Waits until no chat of the owner's is generating, so snapshots hold still. */
  async function settle(): Promise<void> {
    await vi.waitFor(
      async () => {
        for (const archived of [false, true]) {
          const { body } = await call(
            url,
            tokens.owner,
            'GET',
            `/v1/chats?limit=200&archived=${archived}`,
          );
          const busy = body.chats.filter((chat: Json) =>
            ['running', 'interrupting'].includes(chat.status),
          );
          expect(busy).toEqual([]);
        }
      },
      { timeout: 30_000, interval: 25 },
    );
  }

  /** Nothing of the owner's, and no secret, in an answer the caller was not entitled to. */
  function expectNoLeak(answer: Answer): void {
    for (const secret of [TITLE, MESSAGE, QUEUED, MCP_TOKEN, API_KEY, tokens.owner as string]) {
      expect(answer.text).not.toContain(secret);
    }
  }

  const ROWS: Record<string, Row> = {
    'GET /v1/me': {
      kind: 'user',
      prepare: async () => ({ path: '/v1/me' }),
      allowed: [200],
      others: [200],
      check: (persona, answer) => expect(answer.body.id).toBe(ids[persona]),
    },
    'GET /v1/models': {
      kind: 'user',
      prepare: async () => ({ path: '/v1/models' }),
      allowed: [200],
      others: [200],
    },
    'GET /v1/chats': {
      kind: 'user',
      prepare: async () => ({ path: '/v1/chats?limit=200' }),
      allowed: [200],
      others: [200],
      check: (persona, answer) => {
        for (const chat of answer.body.chats) expect(chat.ownerId).toBe(ids[persona]);
        if (persona === 'owner') {
          expect(answer.body.chats.map((chat: Json) => chat.id)).toContain(chatA);
        }
      },
    },
    'POST /v1/chats': {
      kind: 'user',
      prepare: async () => ({ path: '/v1/chats', body: { content: 'hello', title: 'Mine' } }),
      allowed: [201],
      others: [201],
      check: (persona, answer) => expect(answer.body.ownerId).toBe(ids[persona]),
    },
    'GET /v1/mcp-servers': {
      kind: 'user',
      prepare: async () => ({ path: '/v1/mcp-servers' }),
      allowed: [200],
      others: [200],
      // Only the owner stored a token for it.
      check: (persona, answer) =>
        expect(answer.body.mcpServers).toContainEqual(
          expect.objectContaining({ id: mcpServerId, hasToken: persona === 'owner' }),
        ),
    },
    'GET /v1/chats/:id': {
      kind: 'chat',
      prepare: async () => ({ path: `/v1/chats/${chatA}`, chatId: chatA }),
      allowed: [200],
    },
    'PATCH /v1/chats/:id': {
      kind: 'chat',
      prepare: async () => ({ path: `/v1/chats/${chatA}`, chatId: chatA, body: { title: TITLE } }),
      allowed: [200],
    },
    'DELETE /v1/chats/:id': {
      kind: 'chat',
      prepare: async () => {
        const { chatId } = await ownerChat('waiting');
        return { path: `/v1/chats/${chatId}`, chatId };
      },
      allowed: [204],
    },
    'GET /v1/chats/:id/messages': {
      kind: 'chat',
      prepare: async () => ({ path: `/v1/chats/${chatA}/messages`, chatId: chatA }),
      allowed: [200],
    },
    'POST /v1/chats/:id/messages': {
      kind: 'chat',
      prepare: async () => ({
        path: `/v1/chats/${chatA}/messages`,
        chatId: chatA,
        body: { content: `${QUEUED} again`, busy: 'queue' },
      }),
      allowed: [200],
    },
    'PATCH /v1/chats/:id/messages/:messageId': {
      kind: 'chat',
      prepare: async () => {
        const { chatId, firstMessageId } = await ownerChat('waiting');
        return {
          path: `/v1/chats/${chatId}/messages/${firstMessageId}`,
          chatId,
          body: { content: `${MESSAGE} edited` },
        };
      },
      allowed: [200],
    },
    'DELETE /v1/chats/:id/queue/:queuedId': {
      kind: 'chat',
      prepare: async () => {
        const { chatId, queuedId } = await ownerChat('requires-action', { queued: true });
        return { path: `/v1/chats/${chatId}/queue/${queuedId}`, chatId };
      },
      allowed: [204],
    },
    'POST /v1/chats/:id/queue/:queuedId/promote': {
      kind: 'chat',
      prepare: async () => {
        const { chatId, queuedId } = await ownerChat('requires-action', { queued: true });
        return { path: `/v1/chats/${chatId}/queue/${queuedId}/promote`, chatId };
      },
      allowed: [202],
    },
    'POST /v1/chats/:id/interrupt': {
      kind: 'chat',
      prepare: async () => {
        const { chatId } = await ownerChat('requires-action');
        return { path: `/v1/chats/${chatId}/interrupt`, chatId };
      },
      allowed: [202],
    },
    'POST /v1/chats/:id/compact': {
      kind: 'chat',
      prepare: async () => {
        const { chatId } = await ownerChat('waiting');
        return { path: `/v1/chats/${chatId}/compact`, chatId };
      },
      // 409 NOTHING_TO_COMPACT is documented for a history too short to summarise.
      allowed: [202, 409],
    },
    'POST /v1/chats/:id/reconcile': {
      kind: 'chat',
      prepare: async () => ({ path: `/v1/chats/${chatA}/reconcile`, chatId: chatA }),
      // The chat is in a valid state: the documented 409 TRANSITION_NOT_ALLOWED.
      allowed: [409],
    },
    'POST /v1/chats/:id/tool-results': {
      kind: 'chat',
      prepare: async () => {
        const { chatId, toolCallId } = await ownerChat('requires-action');
        return {
          path: `/v1/chats/${chatId}/tool-results`,
          chatId,
          body: { results: [{ toolCallId, output: 'green' }] },
        };
      },
      allowed: [200],
    },
    'GET /v1/chats/:id/stream': {
      kind: 'chat',
      prepare: async () => ({ path: `/v1/chats/${chatA}/stream`, chatId: chatA }),
      allowed: [200],
    },
    'POST /api/chat': {
      kind: 'user',
      // The owner's client chat id: every other user gets a chat of their own under it.
      prepare: async () => ({
        path: '/api/chat',
        body: {
          id: CLIENT_CHAT_ID,
          messages: [{ id: unique('m'), role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
        },
      }),
      allowed: [200],
      others: [200],
    },
    'GET /api/chat/:id/stream': {
      kind: 'user',
      prepare: async () => ({ path: `/api/chat/${CLIENT_CHAT_ID}/stream` }),
      // 204 when the owner's turn is over; others get what an unused id gets (204).
      allowed: [200, 204],
      others: [204],
    },
    'POST /api/chat/:id/interrupt': {
      kind: 'user',
      prepare: async () => ({ path: `/api/chat/${CLIENT_CHAT_ID}/interrupt` }),
      // 409 when the owner's turn is over; others reach only a chat of their own under that
      // id, if they made one (POST /api/chat), else nothing (404).
      allowed: [202, 409],
      others: [202, 404, 409],
    },
    'DELETE /v1/mcp-servers/:id/token': {
      kind: 'user',
      prepare: async () => ({ path: `/v1/mcp-servers/${mcpServerId}/token` }),
      allowed: [204],
      // Their own token, which they do not have: the owner's stays.
      others: [404],
    },
    'PUT /v1/mcp-servers/:id/token': {
      kind: 'user',
      prepare: async () => ({
        path: `/v1/mcp-servers/${mcpServerId}/token`,
        body: { accessToken: MCP_TOKEN },
      }),
      allowed: [204],
      others: [204],
    },
    'GET /v1/admin/users': {
      kind: 'admin',
      prepare: async () => ({ path: '/v1/admin/users' }),
      allowed: [200],
    },
    'POST /v1/admin/users': {
      kind: 'admin',
      prepare: async () => ({ path: '/v1/admin/users', body: { name: unique('carol') } }),
      allowed: [201],
    },
    'DELETE /v1/admin/users/:userId': {
      kind: 'admin',
      prepare: async () => {
        const doomed = await createUser(url, unique('dave'));
        return { path: `/v1/admin/users/${doomed.id}` };
      },
      allowed: [204],
    },
    'PATCH /v1/admin/users/:userId': {
      kind: 'admin',
      prepare: async () => {
        const renamed = await createUser(url, unique('gina'));
        return { path: `/v1/admin/users/${renamed.id}`, body: { name: unique('georgina') } };
      },
      allowed: [200],
    },
    'GET /v1/admin/users/:userId/tokens': {
      kind: 'admin',
      prepare: async () => ({ path: `/v1/admin/users/${ids.owner}/tokens` }),
      allowed: [200],
    },
    'POST /v1/admin/users/:userId/tokens': {
      kind: 'admin',
      prepare: async () => ({
        path: `/v1/admin/users/${ids.owner}/tokens`,
        body: { name: 'another' },
      }),
      allowed: [201],
    },
    'DELETE /v1/admin/tokens/:tokenId': {
      kind: 'admin',
      prepare: async () => {
        const issued = await call(
          url,
          ADMIN_TOKEN,
          'POST',
          `/v1/admin/users/${ids.owner}/tokens`,
          {},
        );
        return { path: `/v1/admin/tokens/${issued.body.id}`, token: issued.body.token };
      },
      allowed: [204],
    },
    'GET /v1/admin/model-configs': {
      kind: 'admin',
      prepare: async () => ({ path: '/v1/admin/model-configs' }),
      allowed: [200],
    },
    'POST /v1/admin/model-configs': {
      kind: 'admin',
      prepare: async () => ({
        path: '/v1/admin/model-configs',
        body: {
          id: unique('authz-model'),
          provider: 'openai-compatible',
          model: 'm',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKey: API_KEY,
        },
      }),
      allowed: [201],
    },
    'DELETE /v1/admin/model-configs/:id': {
      kind: 'admin',
      prepare: async () => {
        const id = unique('authz-doomed');
        const created = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/model-configs', {
          id,
          provider: 'openai',
          model: 'm',
          apiKey: API_KEY,
        });
        expect(created.status).toBe(201);
        return { path: `/v1/admin/model-configs/${id}` };
      },
      allowed: [204],
    },
    'POST /v1/admin/mcp-servers': {
      kind: 'admin',
      prepare: async () => ({
        path: '/v1/admin/mcp-servers',
        body: { slug: unique('authz-new'), url: 'http://127.0.0.1:9/mcp' },
      }),
      allowed: [201],
    },
    'DELETE /v1/admin/mcp-servers/:id': {
      kind: 'admin',
      prepare: async () => {
        const created = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/mcp-servers', {
          slug: unique('authz-doomed'),
          url: 'http://127.0.0.1:9/mcp',
        });
        expect(created.status).toBe(201);
        return { path: `/v1/admin/mcp-servers/${created.body.id}` };
      },
      allowed: [204],
    },
  };

  /** Streams have no HEAD: it would hold a subscription open with nothing to send it to. */
  const STREAMS = new Set(['GET /v1/chats/:id/stream', 'GET /api/chat/:id/stream']);
  /** Each row as its route, then its HEAD twin when the route is a GET (Fastify adds one). */
  const MATRIX = Object.keys(ROWS).flatMap((route) =>
    route.startsWith('GET ') && !STREAMS.has(route)
      ? [route, route.replace(/^GET /, 'HEAD ')]
      : [route],
  );

  beforeAll(async () => {
    started = await startTestServer();
    url = started.url;
    const owner = await createUser(url, 'alice');
    const other = await createUser(url, 'bob');
    tokens.owner = owner.token;
    tokens.other = other.token;
    ids.owner = owner.id;
    ids.other = other.id;
    ids.admin = (await call(url, ADMIN_TOKEN, 'GET', '/v1/me')).body.id;
    // Chat A waits for a client tool with a queued message: a state that holds still.
    chatA = (await ownerChat('requires-action', { queued: true })).chatId;
    const server = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/mcp-servers', {
      slug: 'authz',
      url: 'http://127.0.0.1:9/mcp',
    });
    mcpServerId = server.body.id;
    const stored = await call(url, tokens.owner, 'PUT', `/v1/mcp-servers/${mcpServerId}/token`, {
      accessToken: MCP_TOKEN,
    });
    expect(stored.status).toBe(204);
    // The owner's useChat chat, answered, with the title the title model gives it.
    const first = await send(
      'owner',
      'POST',
      '/api/chat',
      {
        id: CLIENT_CHAT_ID,
        messages: [{ id: 'm0', role: 'user', parts: [{ type: 'text', text: `Hi ${MESSAGE}` }] }],
      },
      { whole: true },
    );
    expect(first.text).toContain(MESSAGE);
    await vi.waitFor(
      async () => {
        const { body } = await call(url, tokens.owner, 'GET', '/v1/chats?limit=200');
        expect(body.chats.every((chat: Json) => chat.title !== `Hi ${MESSAGE}`)).toBe(true);
      },
      { timeout: 30_000, interval: 25 },
    );
  });

  afterAll(async () => {
    await started?.close();
  });

  it('has a row for every /v1 and /api/chat route the app registered, and lists the public ones', () => {
    const routes = registeredRoutes(started.server.app);
    const secured = routes.filter(
      (route) => route.includes(' /v1/') || route.includes(' /api/chat'),
    );
    expect(secured).toEqual([...MATRIX].sort());
    const isHeadTwin = (route: string) => route.startsWith('HEAD ');
    expect(routes.filter((route) => !secured.includes(route) && !isHeadTwin(route))).toEqual(
      PUBLIC_ROUTES,
    );
  });

  it.each(MATRIX)(
    '%s: refuses everyone but the entitled caller, leaking nothing',
    async (route) => {
      const [method, pattern] = route.split(' ') as [string, string];
      const row = ROWS[route.replace(/^HEAD /, 'GET ')] as Row;
      const head = method === 'HEAD';
      await settle();
      const target = await row.prepare();
      await settle();
      const { path, body } = target;
      const before = await snapshot(target);

      const refusals: Array<[Persona, string, number, string]> = [
        ['none', path, 401, 'UNAUTHORIZED'],
        ['bad', path, 401, 'UNAUTHORIZED'],
        // A percent-encoded path reaches the same route: it needs the same token.
        ['none', `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`, 401, 'UNAUTHORIZED'],
      ];
      if (row.kind === 'chat') {
        refusals.push(
          ['other', path, 404, 'CHAT_NOT_FOUND'],
          ['admin', path, 404, 'CHAT_NOT_FOUND'],
        );
      }
      if (row.kind === 'admin') {
        refusals.push(['owner', path, 403, 'FORBIDDEN'], ['other', path, 403, 'FORBIDDEN']);
      }
      for (const [persona, refusedPath, status, code] of refusals) {
        const answer = await send(persona, method, refusedPath, body);
        const seen = { route, persona, path: refusedPath, status: answer.status };
        expect(seen).toEqual({ ...seen, status });
        if (!head) expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
        expectNoLeak(answer);
      }
      if (row.kind === 'chat' && !head && target.chatId !== undefined) {
        // Another user's chat answers exactly as a chat that does not exist, message included:
        // nothing tells "exists, not yours" apart from "no such chat".
        const { chatId } = target;
        const missingId = crypto.randomUUID();
        const notYours = await send('other', method, path, body);
        const missing = await send('other', method, path.replaceAll(chatId, missingId), body);
        expect({
          route,
          status: missing.status,
          body: missing.text.replaceAll(missingId, '<id>'),
        }).toEqual({
          route,
          status: notYours.status,
          body: notYours.text.replaceAll(chatId, '<id>'),
        });
      }
      expect(await snapshot(target)).toEqual(before);

      if (row.kind === 'user') {
        for (const persona of ['other', 'admin'] as const) {
          const answer = await send(persona, method, path, body, { whole: true });
          const seen = { route, persona, status: answer.status };
          expect(seen).toEqual({ ...seen, status: expect.toBeOneOf(row.others ?? []) });
          expectNoLeak(answer);
          if (!head && answer.status < 300) row.check?.(persona, answer);
          // Their own data only: the owner's is as it was.
          await settle();
          expect(await snapshot(target)).toEqual(before);
        }
        if (pattern === '/api/chat/:id/stream') {
          const unused = await send('other', method, '/api/chat/never-used/stream');
          expect(unused.status).toBe(204);
        }
      }

      const entitled: SignedIn = row.kind === 'admin' ? 'admin' : 'owner';
      const answer = await send(entitled, method, path, body);
      const seen = { route, persona: entitled, status: answer.status, body: answer.body };
      expect(seen).toEqual({ ...seen, status: expect.toBeOneOf(row.allowed) });
      if (answer.status >= 400) expect(answer.body.error.code).toEqual(expect.any(String));
      if (answer.contentType.includes('text/event-stream') && !head) {
        expect(answer.text.length).toBeGreaterThan(0);
      }
      if (!head && answer.status < 300 && row.kind === 'user') row.check?.(entitled, answer);
      for (const secret of [MCP_TOKEN, API_KEY]) expect(answer.text).not.toContain(secret);
    },
  );

  it("never shows another user's chats in their list or their streams", async () => {
    await settle();
    for (const persona of ['other', 'admin'] as const) {
      const listed = await send(persona, 'GET', '/v1/chats?limit=200');
      const archived = await send(persona, 'GET', '/v1/chats?limit=200&archived=true');
      for (const answer of [listed, archived]) {
        expect(answer.status).toBe(200);
        expectNoLeak(answer);
        for (const chat of answer.body.chats) expect(chat.ownerId).toBe(ids[persona]);
      }
    }
    const owned = await send('owner', 'GET', '/v1/chats?limit=200');
    const ownIds: string[] = owned.body.chats.map((chat: Json) => chat.id);
    expect(ownIds).toContain(chatA);
    for (const chatId of ownIds) {
      for (const path of [`/v1/chats/${chatId}/stream`, `/v1/chats/${chatId}/messages`]) {
        const answer = await send('other', 'GET', path);
        expect({ path, status: answer.status }).toEqual({ path, status: 404 });
        expectNoLeak(answer);
      }
    }
  });
});
