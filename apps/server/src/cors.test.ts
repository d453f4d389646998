import { errorOf } from '@chatd/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-support/test-server.js';

const APP = 'http://localhost:3000';

describe('CHATD_CORS_ORIGINS', () => {
  it('reads a comma-separated list of origins, or * for any; none by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(
      loadConfig({ CHATD_CORS_ORIGINS: ' https://app.example.com , http://localhost:3000' })
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(loadConfig({ CHATD_CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it.each([
    'app.example.com',
    'https://app.example.com/',
    'https://app.example.com/chat',
    'ftp://files.example.com',
    'null',
  ])('refuses %j, naming the variable', (origin) => {
    expect(errorOf(() => loadConfig({ CHATD_CORS_ORIGINS: origin }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'CHATD_CORS_ORIGINS',
    });
  });
});

describe('a server with CORS for one origin, over HTTP', () => {
  let started: TestServer;
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    started = await startTestServer({ CHATD_CORS_ORIGINS: APP });
  });
  afterAll(async () => {
    await started?.close();
  });

  it("answers the browser's preflight for an authorised JSON request", async () => {
    const preflight = await fetch(`${started.url}/v1/chats`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the page read answers, errors and streams (/v1 and /api/chat), and no other origin', async () => {
    const models = await fetch(`${started.url}/v1/models`, { headers: { ...auth, origin: APP } });
    expect(models.status).toBe(200);
    expect(models.headers.get('access-control-allow-origin')).toBe(APP);
    const refused = await fetch(`${started.url}/v1/models`, { headers: { origin: APP } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP);

    const created = await fetch(`${started.url}/v1/chats`, {
      method: 'POST',
      headers: { ...auth, origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hi', title: 'cors' }),
    });
    const { id } = (await created.json()) as { id: string };
    const stream = await fetch(`${started.url}/v1/chats/${id}/stream`, {
      headers: { ...auth, origin: APP },
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('access-control-allow-origin')).toBe(APP);
    await stream.body?.cancel();

    const answer = await fetch(`${started.url}/api/chat`, {
      method: 'POST',
      headers: { ...auth, origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'cors-client-chat',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hello' }] }],
      }),
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answer.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(answer.headers.get('access-control-expose-headers')).toContain(
      'x-vercel-ai-ui-message-stream',
    );
    expect(await answer.text()).toContain('data: [DONE]');

    const other = await fetch(`${started.url}/v1/models`, {
      headers: { ...auth, origin: 'http://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a server without CORS', () => {
  it('sends no CORS headers, so browsers keep other origins out', async () => {
    const started = await startTestServer();
    try {
      const models = await fetch(`${started.url}/v1/models`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, origin: APP },
      });
      expect(models.status).toBe(200);
      expect(models.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await started.close();
    }
  });
});
