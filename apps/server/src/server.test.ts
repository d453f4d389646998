import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config.js';
import type { ChatdServer } from './server.js';
import { type Json, readStream } from './test-support/read-stream.js';
import { ADMIN_TOKEN, call, newDataDir, startTestServer } from './test-support/test-server.js';

interface Started {
  server: ChatdServer;
  url: string;
  token: string;
  dataDir: string;
}

/** A server in `dataDir` (kept across restarts), with its admin token. */
async function start(dataDir: string): Promise<Started> {
  const { server, url } = await startTestServer({}, { dataDir });
  return { server, url, token: ADMIN_TOKEN, dataDir };
}

const isWaiting = (event: Json) => event.type === 'status' && event.status === 'waiting';

describe('the server on embedded PGlite', () => {
  let started: Started;
  let other: { token: string; id: string };

  beforeAll(async () => {
    const dataDir = await newDataDir('chatd-server-');
    started = await start(dataDir);
    const created = await call(started.url, started.token, 'POST', '/v1/admin/users', {
      name: 'bob',
    });
    expect(created.status).toBe(201);
    other = { token: created.body.token.token, id: created.body.user.id };
  });

  afterAll(async () => {
    await started?.server.close();
    await rm(started.dataDir, { recursive: true, force: true });
  });

  it('refuses a chat-list cursor it did not give out, in terms of the request', async () => {
    const { url, token } = started;
    const refused = await call(url, token, 'GET', '/v1/chats?cursor=garbage');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: '/cursor', message: expect.stringContaining('not a cursor') }],
    });
    expect(refused.text).not.toMatch(/options|listChats/);
  });

  it('creates a chat with the demo model and streams the reply live over SSE, each event with its cursor', async () => {
    const { url, token } = started;
    const models = await call(url, token, 'GET', '/v1/models');
    expect(models.body.models[0]).toMatchObject({ id: 'demo', demo: true, default: true });
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'Hello there' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'running', modelConfigId: 'demo' });
    const events = await readStream(url, token, created.body.id, isWaiting);
    const parts = events.filter((event) => event.data.type === 'message-part');
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.map((event) => event.data.seq)).toEqual(parts.map((_, index) => index + 1));
    const answer = events.find(
      (event) => event.data.type === 'message' && event.data.message.role === 'assistant',
    );
    expect(answer?.data.message.content.parts[0].text).toContain('chatd demo model');
    for (const event of events) {
      expect(event.id).toMatch(/^c2\./);
      expect(event.data.cursor).toBeUndefined();
      expect(event.data.chatId).toBe(created.body.id);
    }
  });

  it('resumes a stream with Last-Event-ID: nothing twice, nothing skipped', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'Tell me something' });
    const first = await readStream(
      url,
      token,
      created.body.id,
      (event) => event.type === 'message-part' && event.seq === 5,
    );
    const rest = await readStream(url, token, created.body.id, isWaiting, {
      'last-event-id': first.at(-1)?.id as string,
    });
    const seqs = [...first, ...rest]
      .filter((event) => event.data.type === 'message-part')
      .map((event) => event.data.seq);
    // The answer may be committed before the second stream starts: then its parts are replaced
    // by the committed message (and a preview reset), never repeated.
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    if (rest[0]?.data.type === 'message-part') expect(rest[0].data.seq).toBe(6);
    expect(
      rest.some(
        (event) => event.data.type === 'message' && event.data.message.role === 'assistant',
      ),
    ).toBe(true);
  });

  it('runs the demo tool when asked to roll a dice, then answers with its result', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'Please roll a dice' });
    await readStream(url, token, created.body.id, isWaiting);
    const { body } = await call(url, token, 'GET', `/v1/chats/${created.body.id}/messages`);
    const types = body.messages
      .slice()
      .reverse()
      .flatMap((message: Json) =>
        message.content.parts.map((part: Json) => `${message.role}:${part.type}`),
      );
    expect(types).toEqual([
      'user:text',
      'assistant:tool-call',
      'tool:tool-result',
      'assistant:text',
    ]);
  });

  it('waits for a client tool the chat declared, and runs on with the result the client posts', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', {
      content: 'Ask me for my favourite colour',
      dynamicTools: [
        {
          name: 'ask_user',
          description: 'Asks the user a question',
          inputSchema: { type: 'object', properties: { question: { type: 'string' } } },
        },
      ],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const events = await readStream(url, token, id, (event) => event.type === 'action-required');
    const pending = events.at(-1)?.data.toolCalls ?? [];
    expect(pending).toEqual([expect.objectContaining({ toolName: 'ask_user' })]);
    const answered = await call(url, token, 'POST', `/v1/chats/${id}/tool-results`, {
      results: [{ toolCallId: pending[0].toolCallId, output: 'green' }],
    });
    expect(answered.status).toBe(200);
    await readStream(url, token, id, isWaiting);
    const { body } = await call(url, token, 'GET', `/v1/chats/${id}/messages`);
    expect(JSON.stringify(body.messages[0].content)).toContain('The ask_user tool answered');

    const malformed = await call(url, token, 'POST', '/v1/chats', {
      content: 'x',
      dynamicTools: [{ name: 'has space', inputSchema: {} }],
    });
    expect(malformed.status).toBe(400);
  });

  it('queues a message sent while busy, and 409s an interrupt of an idle chat', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'first' });
    const sent = await call(url, token, 'POST', `/v1/chats/${created.body.id}/messages`, {
      content: 'second',
    });
    expect(sent.status).toBe(200);
    expect(typeof sent.body.queued).toBe('boolean');
    await readStream(url, token, created.body.id, (event) => isWaiting(event));
    // Wait for the whole queue to drain (the queued message is answered too).
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const chat = await call(url, token, 'GET', `/v1/chats/${created.body.id}`);
      if (chat.body.status === 'waiting') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const interrupted = await call(url, token, 'POST', `/v1/chats/${created.body.id}/interrupt`);
    expect(interrupted.status).toBe(409);
    expect(interrupted.body.error.code).toMatch(/TRANSITION_NOT_ALLOWED|INVALID_STATE/);
  });

  it('takes an empty body sent as JSON as no body: bodiless routes answer, body routes say 400', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'hi', title: 't' });
    await readStream(url, token, created.body.id, (event) => isWaiting(event));
    const post = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '',
      });
    // The chat is idle: the interrupt itself is refused, not its empty body.
    const interrupted = await post(`/v1/chats/${created.body.id}/interrupt`);
    expect(interrupted.status).toBe(409);
    const refused = await post('/v1/chats');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Json).error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('PATCH changes nothing when the chat cannot be archived in its state (409)', async () => {
    const { url, token } = started;
    // Waiting for a client tool: archiving is not allowed there, and the state stays put.
    const created = await call(url, token, 'POST', '/v1/chats', {
      content: 'Ask me for my favourite colour',
      title: 'before',
      labels: { kept: 'yes' },
      dynamicTools: [{ name: 'ask_user', inputSchema: { type: 'object' } }],
    });
    const id = created.body.id;
    await readStream(url, token, id, (event) => event.type === 'action-required');
    const refused = await call(url, token, 'PATCH', `/v1/chats/${id}`, {
      title: 'after',
      labels: { kept: 'no' },
      archived: true,
    });
    expect(refused.status).toBe(409);
    const chat = (await call(url, token, 'GET', `/v1/chats/${id}`)).body;
    expect(chat).toMatchObject({ title: 'before', labels: { kept: 'yes' }, archived: false });
    // Its runner waits for the client tool; later tests count runners.
    expect((await call(url, token, 'DELETE', `/v1/chats/${id}`)).status).toBe(204);
  });

  it('labels chats at creation and with PATCH (which replaces them), and lists by label', async () => {
    const { url, token } = started;
    const tagged = await call(url, token, 'POST', '/v1/chats', {
      content: 'labelled',
      title: 't',
      labels: { team: 'blue', kind: 'a:b' },
    });
    const other = await call(url, token, 'POST', '/v1/chats', { content: 'plain', title: 't' });
    const listed = async (query: string) =>
      (await call(url, token, 'GET', `/v1/chats?limit=200&${query}`)).body.chats.map(
        (chat: Json) => chat.id,
      );
    expect(await listed('label=team:blue')).toEqual([tagged.body.id]);
    // A value may hold a colon: only the first one separates key and value.
    expect(await listed('label=team:blue&label=kind:a:b')).toEqual([tagged.body.id]);
    expect(await listed('label=team:red')).toEqual([]);
    const patched = await call(url, token, 'PATCH', `/v1/chats/${other.body.id}`, {
      labels: { team: 'blue' },
    });
    expect(patched.body.labels).toEqual({ team: 'blue' });
    expect((await listed('label=team:blue')).sort()).toEqual(
      [tagged.body.id, other.body.id].sort(),
    );
    await call(url, token, 'PATCH', `/v1/chats/${tagged.body.id}`, { labels: {} });
    expect(await listed('label=team:blue')).toEqual([other.body.id]);
    const refused = await call(url, token, 'GET', '/v1/chats?label=no-colon');
    expect(refused.status).toBe(400);
    // A key with a colon could never be named in the filter: refused where it is written.
    const colonKey = await call(url, token, 'PATCH', `/v1/chats/${other.body.id}`, {
      labels: { 'team:x': 'blue' },
    });
    expect(colonKey.status).toBe(400);
    expect(colonKey.body.error.code).toBe('VALIDATION_FAILED');
    const created = await call(url, token, 'POST', '/v1/chats', {
      content: 'x',
      labels: { 'a:b': 'c' },
    });
    expect(created.status).toBe(400);
    expect((await call(url, token, 'GET', `/v1/chats/${other.body.id}`)).body.labels).toEqual({
      team: 'blue',
    });
  });

  it('deletes a running chat: 204, then 404; its open stream ends and its turn stops', async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', {
      content: 'Tell me a long story',
      title: 't',
    });
    const chatId = created.body.id;
    const firstPart = (event: Json) => event.type === 'message-part';
    await readStream(url, token, chatId, firstPart);
    const streaming = readStream(url, token, chatId, () => false);
    // Bob may not delete it.
    expect((await call(url, other.token, 'DELETE', `/v1/chats/${chatId}`)).status).toBe(404);
    const deleted = await call(url, token, 'DELETE', `/v1/chats/${chatId}`);
    expect(deleted.status).toBe(204);
    await streaming;
    expect((await call(url, token, 'GET', `/v1/chats/${chatId}`)).status).toBe(404);
    expect((await call(url, token, 'DELETE', `/v1/chats/${chatId}`)).status).toBe(404);
    await vi.waitFor(() => expect(started.server.chatd.stats().liveRunners).toBe(0), {
      timeout: 10_000,
    });
  });

  it("refuses without a token or with a bad one (401), hides other users' chats (404) and admin routes (403)", async () => {
    const { url, token } = started;
    const created = await call(url, token, 'POST', '/v1/chats', { content: 'mine' });
    const chatId = created.body.id;
    expect((await call(url, undefined, 'GET', '/v1/chats')).status).toBe(401);
    expect((await call(url, 'chatd_nope', 'GET', '/v1/chats')).body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Missing or invalid API token' },
    });
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/chats/${chatId}`],
      ['PATCH', `/v1/chats/${chatId}`, { title: 'x' }],
      ['GET', `/v1/chats/${chatId}/messages`],
      ['POST', `/v1/chats/${chatId}/messages`, { content: 'hi' }],
      ['PATCH', `/v1/chats/${chatId}/messages/1`, { content: 'hi' }],
      ['DELETE', `/v1/chats/${chatId}/queue/1`],
      ['POST', `/v1/chats/${chatId}/queue/1/promote`],
      ['POST', `/v1/chats/${chatId}/interrupt`],
      ['POST', `/v1/chats/${chatId}/compact`],
      ['POST', `/v1/chats/${chatId}/reconcile`],
      ['POST', `/v1/chats/${chatId}/tool-results`, { results: [{}] }],
      ['GET', `/v1/chats/${chatId}/stream`],
    ];
    for (const [method, path, body] of routes) {
      const response = await call(url, other.token, method, path, body);
      expect({
        route: `${method} ${path}`,
        status: response.status,
        code: response.body?.error?.code,
      }).toEqual({
        route: `${method} ${path}`,
        status: 404,
        code: 'CHAT_NOT_FOUND',
      });
      expect((await call(url, undefined, method, path, body)).status).toBe(401);
    }
    expect((await call(url, other.token, 'GET', '/v1/chats')).body.chats).toEqual([]);
    expect((await call(url, other.token, 'GET', '/v1/admin/users')).status).toBe(403);
    expect((await call(url, other.token, 'POST', '/v1/admin/users', { name: 'eve' })).status).toBe(
      403,
    );
    // The chat is untouched.
    expect((await call(url, token, 'GET', `/v1/chats/${chatId}`)).body.title).not.toBe('x');
  });

  it.each([
    ['no content', 'POST', '/v1/chats', {}],
    ['empty content', 'POST', '/v1/chats', { content: '' }],
    ['content of the wrong type', 'POST', '/v1/chats', { content: 42 }],
    ['an unknown field', 'POST', '/v1/chats', { content: 'hi', owner: 'someone-else' }],
    ['an unknown model', 'POST', '/v1/chats', { content: 'hi', modelConfigId: 'nope' }],
    ['a part of an unknown type', 'POST', '/v1/chats', { content: [{ type: 'video' }] }],
    ['a bad limit', 'GET', '/v1/chats?limit=0', undefined],
    ['a malformed chat id', 'GET', '/v1/chats/not-a-uuid', undefined],
  ] as const)(
    'answers %s with a 4xx in the error shape and writes nothing',
    async (_name, method, path, body) => {
      const { url } = started;
      const before = (await call(url, other.token, 'GET', '/v1/chats')).body.chats.length;
      const response = await call(url, other.token, method, path, body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body).toEqual({
        error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
      });
      expect((await call(url, other.token, 'GET', '/v1/chats')).body.chats.length).toBe(before);
    },
  );

  it('issues an API token without a body (its name is optional) and the token works', async () => {
    const { url, token } = started;
    const issued = await call(url, token, 'POST', `/v1/admin/users/${other.id}/tokens`);
    expect(issued.status).toBe(201);
    expect((await call(url, issued.body.token, 'GET', '/v1/me')).body).toMatchObject({
      id: other.id,
    });
  });

  it('revoking a token ends the streams it opened', async () => {
    const { url, token } = started;
    const issued = await call(url, token, 'POST', `/v1/admin/users/${other.id}/tokens`);
    const bob = issued.body.token as string;
    const chat = await call(url, bob, 'POST', '/v1/chats', { content: 'hi', title: 't' });
    await readStream(url, bob, chat.body.id, isWaiting);
    let opened!: () => void;
    const streamOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const streaming = readStream(url, bob, chat.body.id, () => {
      opened();
      return false;
    });
    await streamOpen;
    expect((await call(url, token, 'DELETE', `/v1/admin/tokens/${issued.body.id}`)).status).toBe(
      204,
    );
    // Ends (instead of running on until the test times out).
    await streaming;
    expect((await call(url, bob, 'GET', `/v1/chats/${chat.body.id}`)).status).toBe(401);
  });

  it("lists a user's tokens without the tokens themselves", async () => {
    const { url, token } = started;
    const carol = await call(url, token, 'POST', '/v1/admin/users', { name: 'carol' });
    const carolId = carol.body.user.id as string;
    const second = await call(url, token, 'POST', `/v1/admin/users/${carolId}/tokens`, {
      name: 'laptop',
    });
    const listed = await call(url, token, 'GET', `/v1/admin/users/${carolId}/tokens`);
    expect(listed.status).toBe(200);
    expect(listed.body.tokens).toEqual([
      { id: carol.body.token.id, name: 'created with the user', createdAt: expect.any(String) },
      { id: second.body.id, name: 'laptop', createdAt: expect.any(String) },
    ]);
    expect(listed.text).not.toContain(second.body.token);
    await call(url, token, 'DELETE', `/v1/admin/tokens/${second.body.id}`);
    const after = await call(url, token, 'GET', `/v1/admin/users/${carolId}/tokens`);
    expect(after.body.tokens.map((listedToken: Json) => listedToken.id)).toEqual([
      carol.body.token.id,
    ]);
    const nobody = '00000000-0000-4000-8000-000000000000';
    expect((await call(url, token, 'GET', `/v1/admin/users/${nobody}/tokens`)).status).toBe(404);
  });

  it('renames a user and makes them an admin or not, from their next request', async () => {
    const { url, token } = started;
    const frank = await call(url, token, 'POST', '/v1/admin/users', { name: 'frank' });
    const frankId = frank.body.user.id as string;
    const frankToken = frank.body.token.token as string;
    expect((await call(url, frankToken, 'GET', '/v1/admin/users')).status).toBe(403);
    const promoted = await call(url, token, 'PATCH', `/v1/admin/users/${frankId}`, {
      admin: true,
      name: 'franklin',
    });
    expect(promoted).toMatchObject({
      status: 200,
      body: { id: frankId, name: 'franklin', isAdmin: true },
    });
    expect((await call(url, frankToken, 'GET', '/v1/admin/users')).status).toBe(200);
    // Frank, now an admin, takes the rights away again; his next request has none.
    expect(
      (await call(url, token, 'PATCH', `/v1/admin/users/${frankId}`, { admin: false })).status,
    ).toBe(200);
    expect((await call(url, frankToken, 'GET', '/v1/admin/users')).status).toBe(403);
    expect((await call(url, frankToken, 'GET', '/v1/me')).body).toMatchObject({
      name: 'franklin',
      isAdmin: false,
    });

    const taken = await call(url, token, 'PATCH', `/v1/admin/users/${frankId}`, { name: 'bob' });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'USER_EXISTS' } } });
    const me = await call(url, token, 'GET', '/v1/me');
    const self = await call(url, token, 'PATCH', `/v1/admin/users/${me.body.id}`, { admin: false });
    expect(self).toMatchObject({ status: 409, body: { error: { code: 'CANNOT_DEMOTE_SELF' } } });
    const nobody = '00000000-0000-4000-8000-000000000000';
    expect((await call(url, token, 'PATCH', `/v1/admin/users/${nobody}`, {})).status).toBe(404);
  });

  it('deletes a user: their tokens stop working, their streams end, their chats and turns go', async () => {
    const { url, token } = started;
    const dave = await call(url, token, 'POST', '/v1/admin/users', { name: 'dave' });
    const daveId = dave.body.user.id as string;
    const daveToken = dave.body.token.token as string;
    const idle = await call(url, daveToken, 'POST', '/v1/chats', { content: 'hi', title: 'idle' });
    await readStream(url, daveToken, idle.body.id, isWaiting);
    const running = await call(url, daveToken, 'POST', '/v1/chats', {
      content: 'Tell me a long story',
      title: 'running',
    });
    await readStream(url, daveToken, running.body.id, (event) => event.type === 'message-part');
    const streaming = readStream(url, daveToken, running.body.id, () => false);

    // Not yourself: an admin is always left.
    const me = await call(url, token, 'GET', '/v1/me');
    const self = await call(url, token, 'DELETE', `/v1/admin/users/${me.body.id}`);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('CANNOT_DELETE_SELF');
    // Not as a user.
    expect((await call(url, daveToken, 'DELETE', `/v1/admin/users/${daveId}`)).status).toBe(403);

    expect((await call(url, token, 'DELETE', `/v1/admin/users/${daveId}`)).status).toBe(204);
    await streaming;
    expect((await call(url, daveToken, 'GET', '/v1/me')).status).toBe(401);
    const users = await call(url, token, 'GET', '/v1/admin/users');
    expect(users.body.users.map((user: Json) => user.id)).not.toContain(daveId);
    for (const chatId of [idle.body.id, running.body.id]) {
      await expect(started.server.chatd.getChat(chatId)).rejects.toMatchObject({
        code: 'CHAT_NOT_FOUND',
      });
    }
    expect((await started.server.chatd.listChats(daveId, { includeChildren: true })).chats).toEqual(
      [],
    );
    await vi.waitFor(() => expect(started.server.chatd.stats().liveRunners).toBe(0), {
      timeout: 10_000,
    });
    expect((await call(url, token, 'DELETE', `/v1/admin/users/${daveId}`)).status).toBe(404);
  });

  it('reports health, readiness and Prometheus metrics', async () => {
    const { url } = started;
    expect((await call(url, undefined, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(url, undefined, 'GET', '/readyz')).body).toEqual({
      database: true,
      worker: true,
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('chatd_http_request_duration_seconds');
    expect(metrics).toMatch(/chatd_chats\{status="waiting"\} \d+/);
    // Earlier tests ran demo turns on this server: their tokens are counted. Their drafts may
    // not be: on its own PGlite the server writes one only once a reply streams for a second.
    expect(metrics).toMatch(/chatd_tokens_total\{direction="output"\} [1-9]\d*/);
    expect(metrics).toMatch(/chatd_draft_batches_written_total \d+/);
    expect(metrics).toMatch(/chatd_buffer_bytes \d+/);
  });
});

describe('starting and stopping', () => {
  it('creates the admin once, keeps the data across a restart, and refuses a second server on the same folder', async () => {
    const dataDir = await newDataDir('chatd-server-');
    try {
      const first = await start(dataDir);
      expect(first.server.firstAdminToken).toBe(first.token);
      const created = await call(first.url, first.token, 'POST', '/v1/chats', {
        content: 'keep me',
      });
      await expect(start(dataDir)).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
      await first.server.close();

      const second = await start(dataDir);
      expect(second.server.firstAdminToken).toBeUndefined();
      const chat = await call(second.url, second.token, 'GET', `/v1/chats/${created.body.id}`);
      expect(chat.status).toBe(200);
      await second.server.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('titles new chats with the model of CHATD_TITLE_MODEL; off keeps their first words', async () => {
    const titleOf = async (env: Record<string, string>) => {
      const test = await startTestServer(env);
      try {
        const created = await call(test.url, ADMIN_TOKEN, 'POST', '/v1/chats', {
          content: 'keep my words please',
        });
        const read = async () =>
          (await call(test.url, ADMIN_TOKEN, 'GET', `/v1/chats/${created.body.id}`)).body;
        await vi.waitFor(async () => expect((await read()).status).toBe('waiting'), {
          timeout: 20_000,
          interval: 20,
        });
        // A title is asked for right after the first step: give it time to land.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return (await read()).title;
      } finally {
        await test.close();
      }
    };
    expect(await titleOf({ CHATD_TITLE_MODEL: 'demo' })).toBe('Demo: keep my words please');
    expect(await titleOf({ CHATD_TITLE_MODEL: 'off' })).toBe('keep my words please');
    await expect(startTestServer({ CHATD_TITLE_MODEL: 'nope/missing' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/CHATD_TITLE_MODEL.*nope\/missing/),
    });
  });

  it('refuses a bad configuration with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    // Empty is no port, not port 0 (any free port).
    expect(() => loadConfig({ PORT: '' })).toThrow(/PORT.*expected a port number/);
    expect(loadConfig({}).port).toBe(8787);
    expect(() => loadConfig({ CHATD_TITLE_MODEL: '' })).toThrow(/CHATD_TITLE_MODEL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL.*postgres/);
    expect(() => loadConfig({ OPENAI_COMPATIBLE_MODELS: 'a,b' })).toThrow(
      /OPENAI_COMPATIBLE_BASE_URL/,
    );
  });
});
