import type { IncomingHttpHeaders } from 'node:http';
import { ManualClock } from '@chatd/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPermanentRefreshError, OAuthRefreshError } from '../errors/index.js';
import {
  type LoopbackHttpServer,
  readBody,
  sendJson,
  startHttpServer,
} from '../test-support/http-server.js';
import { refreshFailureReason, refreshOAuth2Token, revokeOAuth2Token } from './oauth2.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: URLSearchParams;
}

/** A fake OAuth provider: each path answers with what the test put in `routes`. */
let provider: LoopbackHttpServer;
let seen: Seen[] = [];
type Answer = { status: number; body?: unknown; location?: string };
let routes: Record<string, (seen: Seen) => Answer | Promise<Answer>> = {};

beforeAll(async () => {
  provider = await startHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const entry = {
      path: url.pathname,
      headers: request.headers,
      body: new URLSearchParams(await readBody(request)),
    };
    seen.push(entry);
    const route = routes[url.pathname];
    if (!route) return false;
    const answer = await route(entry);
    if (answer.location) {
      response.writeHead(answer.status, { location: answer.location });
      response.end();
    } else if (answer.body === undefined) {
      response.writeHead(answer.status);
      response.end();
    } else {
      sendJson(response, answer.status, answer.body);
    }
    return true;
  });
});
afterAll(async () => {
  await provider.close();
});
beforeEach(() => {
  seen = [];
  routes = {};
});

const oauth2 = () => ({
  tokenUrl: `${provider.origin}/token`,
  revocationUrl: `${provider.origin}/revoke`,
  clientId: 'client-1',
  clientSecret: 'client-secret-1',
});
const token = { accessToken: 'access-secret', refreshToken: 'refresh-secret' };

describe('refreshOAuth2Token', () => {
  it('does nothing while the token is valid for more than 10 s', async () => {
    const clock = new ManualClock();
    const result = await refreshOAuth2Token({
      oauth2: oauth2(),
      token: { ...token, expiresAt: clock.now() + 10_001 },
      clock,
    });
    expect(result).toMatchObject({ refreshed: false, accessTokenChanged: false });
    expect(seen).toHaveLength(0);
  });

  it('refreshes within 10 s of expiry and keeps the refresh token when not rotated', async () => {
    const clock = new ManualClock();
    routes['/token'] = () => ({
      status: 200,
      body: { access_token: 'new-access', token_type: 'bearer', expires_in: 60 },
    });
    const result = await refreshOAuth2Token({
      oauth2: oauth2(),
      token: { ...token, expiresAt: clock.now() + 10_000 },
      clock,
    });
    expect(result).toEqual({
      token: {
        accessToken: 'new-access',
        refreshToken: 'refresh-secret',
        tokenType: 'bearer',
        expiresAt: clock.now() + 60_000,
      },
      refreshed: true,
      accessTokenChanged: true,
    });
    expect(Object.fromEntries(seen[0]?.body ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-secret',
      client_id: 'client-1',
      client_secret: 'client-secret-1',
    });
  });

  it('classifies invalid_grant as permanent without echoing the provider body', async () => {
    routes['/token'] = () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant secret-detail' },
    });
    const error = await refreshOAuth2Token({ oauth2: oauth2(), token, force: true }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OAuthRefreshError);
    expect(error).toMatchObject({
      code: 'OAUTH_REFRESH_FAILED',
      permanent: true,
      oauthError: 'invalid_grant',
      retryable: false,
    });
    expect(String((error as Error).message)).not.toMatch(/secret/);
  });

  it('treats a server error as transient', async () => {
    routes['/token'] = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    await expect(
      refreshOAuth2Token({ oauth2: oauth2(), token, force: true }),
    ).rejects.toMatchObject({ permanent: false, retryable: true });
  });

  it('times out on the clock', async () => {
    const clock = new ManualClock();
    routes['/token'] = () => new Promise<Answer>(() => {});
    const pending = refreshOAuth2Token({ oauth2: oauth2(), token, force: true, clock });
    const settled = pending.catch((error: unknown) => error);
    await clock.waitForTimers(1);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    await clock.advance(10_000);
    expect(await settled).toMatchObject({
      code: 'OAUTH_REFRESH_FAILED',
      message: expect.stringContaining('timed out'),
    });
  });

  it.each([
    ['invalid_grant', true],
    ['bad_refresh_token', true],
    ['invalid_client', false],
    ['temporarily_unavailable', false],
    [undefined, false],
  ])('isPermanentRefreshError(%s) is %s', (code, expected) => {
    expect(isPermanentRefreshError(code)).toBe(expected);
  });

  it('truncates failure reasons to 400 characters', () => {
    expect(refreshFailureReason(new Error('x'.repeat(1000)))).toHaveLength(400);
    expect(refreshFailureReason(new Error('short'))).toBe('short');
  });
});

describe('revokeOAuth2Token', () => {
  it('does nothing without a revocation URL', async () => {
    expect(await revokeOAuth2Token({ oauth2: { clientId: 'c' }, token })).toBe(false);
  });

  it('revokes the refresh token first', async () => {
    routes['/revoke'] = () => ({ status: 200 });
    expect(await revokeOAuth2Token({ oauth2: oauth2(), token })).toBe(true);
    expect(seen[0]?.body.get('token')).toBe('refresh-secret');
    expect(seen[0]?.body.get('token_type_hint')).toBe('refresh_token');
  });

  it('treats 204 as success and 202 as failure', async () => {
    routes['/revoke'] = () => ({ status: 204 });
    expect(await revokeOAuth2Token({ oauth2: oauth2(), token })).toBe(true);
    routes['/revoke'] = () => ({ status: 202 });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toMatchObject({
      code: 'OAUTH_REVOKE_FAILED',
    });
  });

  it('retries with HTTP Basic client authentication after a 401', async () => {
    routes['/revoke'] = (request) =>
      request.headers.authorization?.startsWith('Basic ')
        ? { status: 200 }
        : { status: 401, body: { error: 'invalid_client' } };
    expect(await revokeOAuth2Token({ oauth2: oauth2(), token })).toBe(true);
    expect(seen[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('client-1:client-secret-1').toString('base64')}`,
    );
    expect(seen[1]?.body.get('client_secret')).toBeNull();
  });

  it('falls back to the access token only on unsupported_token_type', async () => {
    routes['/revoke'] = (request) =>
      request.body.get('token_type_hint') === 'refresh_token'
        ? { status: 400, body: { error: 'unsupported_token_type' } }
        : { status: 200 };
    expect(await revokeOAuth2Token({ oauth2: oauth2(), token })).toBe(true);
    expect(seen.map((request) => request.body.get('token'))).toEqual([
      'refresh-secret',
      'access-secret',
    ]);

    seen = [];
    routes['/revoke'] = () => ({ status: 400, body: { error: 'invalid_request' } });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toThrow('invalid_request');
    expect(seen).toHaveLength(1);
  });

  it('fails when both tokens are refused, without token material or provider text', async () => {
    routes['/revoke'] = (request) =>
      request.body.get('token_type_hint') === 'refresh_token'
        ? { status: 400, body: { error: 'unsupported_token_type' } }
        : {
            status: 400,
            body: { error: 'invalid_token', error_description: 'access-secret is bad' },
          };
    const error = (await revokeOAuth2Token({ oauth2: oauth2(), token }).catch(
      (caught: unknown) => caught,
    )) as Error;
    expect(error.message).toContain('invalid_token');
    expect(error.message).not.toMatch(/secret|is bad/);
  });

  it('rejects endpoints that are not HTTPS unless on a loopback host', async () => {
    await expect(
      revokeOAuth2Token({ oauth2: { revocationUrl: 'http://auth.example.com/revoke' }, token }),
    ).rejects.toThrow('must use HTTPS');
    expect(seen).toHaveLength(0);
  });

  it('follows a 307 redirect between loopback hosts', async () => {
    routes['/revoke'] = () => ({ status: 307, location: '/revoke-here' });
    routes['/revoke-here'] = () => ({ status: 200 });
    expect(await revokeOAuth2Token({ oauth2: oauth2(), token })).toBe(true);
    expect(seen.map((request) => request.path)).toEqual(['/revoke', '/revoke-here']);
    expect(seen[1]?.body.get('token')).toBe('refresh-secret');
  });

  it('refuses redirects that drop the POST, leave HTTPS or the origin, or loop', async () => {
    routes['/revoke'] = () => ({ status: 302, location: '/revoke-here' });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toThrow(
      'would not keep the POST',
    );
    routes['/revoke'] = () => ({ status: 307, location: 'http://auth.example.com/revoke' });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toThrow('not HTTPS');
    routes['/revoke'] = () => ({ status: 308, location: 'https://auth.example.com/revoke' });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toThrow(
      'another scheme, host or port',
    );
    routes['/revoke'] = () => ({ status: 307, location: '/revoke' });
    await expect(revokeOAuth2Token({ oauth2: oauth2(), token })).rejects.toThrow(
      'more than 10 redirects',
    );
  });
});
