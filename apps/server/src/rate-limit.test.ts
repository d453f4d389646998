import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import type { Json } from './test-support/read-stream.js';
import {
  ADMIN_TOKEN,
  call,
  createUser,
  startTestServer,
  type TestServer,
} from './test-support/test-server.js';

describe('rate limits on mutations', () => {
  let started: TestServer;
  let url: string;

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    started = await startTestServer({
      CHATD_DEMO_DELAY_MS: '0',
      CHATD_RATE_LIMIT_PER_MINUTE: '3',
    });
    url = started.url;
  });
  afterAll(() => started?.close());

  it("refuses a user's mutations past the limit with 429 and Retry-After; reads and other users go on", async () => {
    // The first mutation creates the other user (one of the admin's three).
    const other = (await (
      await call('POST', '/v1/admin/users', ADMIN_TOKEN, { name: 'other' })
    ).json()) as Json;
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      statuses.push(
        (await call('POST', '/v1/chats', ADMIN_TOKEN, { content: `chat ${index}` })).status,
      );
    }
    expect(statuses).toEqual([201, 201, 429]);
    const refused = await call('POST', '/v1/chats', ADMIN_TOKEN, { content: 'again' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as Json;
    expect(body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(body.error.details.retryAfterMs).toBeGreaterThan(0);
    expect((await call('GET', '/v1/chats', ADMIN_TOKEN)).status).toBe(200);
    expect((await call('POST', '/v1/chats', other.token.token, { content: 'mine' })).status).toBe(
      201,
    );
    expect(
      (
        await started.server.app.inject({
          method: 'GET',
          url: '/v1/chats',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('refuses a limit that is not a whole number', () => {
    expect(() => loadConfig({ CHATD_RATE_LIMIT_PER_MINUTE: '1.5' })).toThrow(
      /CHATD_RATE_LIMIT_PER_MINUTE/,
    );
    expect(() => loadConfig({ CHATD_RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(
      /CHATD_RATE_LIMIT_PER_MINUTE/,
    );
  });
});

describe('checks before the body is read', () => {
  let started: TestServer;

  beforeAll(async () => {
    started = await startTestServer({
      CHATD_DEMO_DELAY_MS: '0',
      CHATD_RATE_LIMIT_PER_MINUTE: '2',
    });
  });
  afterAll(() => started?.close());

  it('counts mutations whose body fails validation: they too are refused past the limit', async () => {
    const user = await createUser(started.url, 'invalid-bodies');
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      statuses.push(
        (await call(started.url, user.token, 'POST', '/v1/chats', { bogus: 1 })).status,
      );
    }
    expect(statuses).toEqual([400, 400, 429]);
  });

  it('refuses a non-admin on an admin route with 403 whatever the body, without validating it', async () => {
    const user = await createUser(started.url, 'not-admin');
    const answer = await call(started.url, user.token, 'POST', '/v1/admin/users', {});
    expect(answer.status).toBe(403);
    // Not the admin route's schema ("must have required property 'name'").
    expect(answer.body).toEqual({ error: { code: 'FORBIDDEN', message: 'Admins only' } });
  });
});
