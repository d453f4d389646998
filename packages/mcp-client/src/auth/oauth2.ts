import { type Clock, realClock, redactUrl, withDeadline } from '@chatd/core';
import type { McpOAuth2Config } from '../config/index.js';
import { errorMessage, McpClientError, OAuthRefreshError } from '../errors/index.js';
import { expiresAtMs, type McpUserToken } from './token.js';

/** A token is refreshed when it expires within this many milliseconds. */
export const REFRESH_MARGIN_MS = 10_000;
/** Default budget of one refresh or revocation. */
export const OAUTH_TIMEOUT_MS = 10_000;
/** Longest refresh failure reason kept, in characters. */
export const MAX_FAILURE_REASON_LENGTH = 400;
const MAX_REDIRECTS = 10;

/** Options shared by {@link refreshOAuth2Token} and {@link revokeOAuth2Token}. */
export interface OAuthRequestOptions {
  /** The server's OAuth2 client registration. */
  oauth2: McpOAuth2Config;
  /** The user's token to refresh or revoke. */
  token: McpUserToken;
  /** Clock for the budget and the expiry check. @default realClock */
  clock?: Clock;
  /** Budget of the whole operation in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Abandons the operation. */
  signal?: AbortSignal;
  /** fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of {@link refreshOAuth2Token}. */
export interface RefreshOAuth2TokenOptions extends OAuthRequestOptions {
  /** Refresh even when the token is not about to expire. @default false */
  force?: boolean;
}

/** Outcome of {@link refreshOAuth2Token}. */
export interface RefreshOAuth2TokenResult {
  /** The token to use from now on (the input token when no refresh was needed). */
  token: McpUserToken;
  /** Whether a refresh request was made and succeeded. */
  refreshed: boolean;
  /** Whether the access token differs from the input's. */
  accessTokenChanged: boolean;
}

/** Whether `token` expires within {@link REFRESH_MARGIN_MS} of `now` (or already has). */
export function needsRefresh(token: McpUserToken, now: number): boolean {
  const expiresAt = expiresAtMs(token);
  return expiresAt !== undefined && expiresAt - now <= REFRESH_MARGIN_MS;
}

/** Turns a refresh failure into a reason for storage, truncated to 400 characters. */
export function refreshFailureReason(error: unknown): string {
  const text = errorMessage(error);
  return text.length > MAX_FAILURE_REASON_LENGTH ? text.slice(0, MAX_FAILURE_REASON_LENGTH) : text;
}

const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

async function readOAuthError(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: unknown };
    // Only a well-formed error code is kept: provider bodies are never echoed.
    return typeof body.error === 'string' && OAUTH_ERROR_CODE.test(body.error)
      ? body.error
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refreshes `token` when it expires within 10 s (or when `force` is set), with the
 * `refresh_token` grant at `oauth2.tokenUrl`. Keeps the old refresh token when the provider does
 * not rotate it.
 *
 * @throws OAuthRefreshError `OAUTH_REFRESH_FAILED`; `permanent` is true for `invalid_grant` and
 *   `bad_refresh_token`. Thrown also when there is no refresh token or token URL.
 */
export async function refreshOAuth2Token({
  oauth2,
  token,
  clock = realClock,
  timeoutMs = OAUTH_TIMEOUT_MS,
  signal,
  fetch: fetchImpl = globalThis.fetch,
  force = false,
}: RefreshOAuth2TokenOptions): Promise<RefreshOAuth2TokenResult> {
  if (!force && !needsRefresh(token, clock.now())) {
    return { token, refreshed: false, accessTokenChanged: false };
  }
  if (!token.refreshToken)
    throw new OAuthRefreshError('no refresh token to refresh with', undefined);
  if (!oauth2.tokenUrl) throw new OAuthRefreshError('no oauth2.tokenUrl configured', undefined);
  const tokenUrl = oauth2.tokenUrl;
  const refreshToken = token.refreshToken;
  const where = redactUrl(tokenUrl);
  return withDeadline(
    {
      clock,
      timeoutMs,
      signal,
      onTimeout: () => new OAuthRefreshError(`token refresh at ${where} timed out`, undefined),
    },
    async (deadlineSignal) => {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
      if (oauth2.clientId) body.set('client_id', oauth2.clientId);
      if (oauth2.clientSecret) body.set('client_secret', oauth2.clientSecret);
      if (oauth2.scopes && oauth2.scopes.length > 0) body.set('scope', oauth2.scopes.join(' '));
      let response: Response;
      try {
        response = await fetchImpl(tokenUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body,
          signal: deadlineSignal,
        });
      } catch (error) {
        throw new OAuthRefreshError(
          `token refresh at ${where} failed: ${error instanceof Error ? error.name : 'error'}`,
          undefined,
        );
      }
      if (!response.ok) {
        const oauthError = await readOAuthError(response);
        throw new OAuthRefreshError(
          `token refresh at ${where} failed with HTTP ${response.status}${oauthError ? ` (${oauthError})` : ''}`,
          oauthError,
        );
      }
      let payload: Record<string, unknown>;
      try {
        payload = (await response.json()) as Record<string, unknown>;
      } catch {
        throw new OAuthRefreshError(`token refresh at ${where} returned invalid JSON`, undefined);
      }
      if (typeof payload.access_token !== 'string' || payload.access_token === '') {
        const oauthError = typeof payload.error === 'string' ? payload.error : undefined;
        throw new OAuthRefreshError(
          `token refresh at ${where} returned no access_token`,
          oauthError !== undefined && OAUTH_ERROR_CODE.test(oauthError) ? oauthError : undefined,
        );
      }
      const next: McpUserToken = { accessToken: payload.access_token };
      const rotated = typeof payload.refresh_token === 'string' && payload.refresh_token !== '';
      next.refreshToken = rotated ? (payload.refresh_token as string) : refreshToken;
      const tokenType =
        typeof payload.token_type === 'string' ? payload.token_type : token.tokenType;
      if (tokenType !== undefined) next.tokenType = tokenType;
      if (typeof payload.expires_in === 'number' && payload.expires_in > 0) {
        next.expiresAt = clock.now() + payload.expires_in * 1000;
      }
      return {
        token: next,
        refreshed: true,
        accessTokenChanged: next.accessToken !== token.accessToken,
      };
    },
  );
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
}

/** HTTPS with a host, or plain HTTP on a loopback host. */
function checkEndpoint(url: URL): void {
  if (url.hostname === '') throw new Error('has no host');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url)) return;
  throw new Error('must use HTTPS');
}

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port;
}

/**
 * Revokes the user's token at `oauth2.revocationUrl` (RFC 7009).
 *
 * - The refresh token is revoked when there is one, else the access token; the access token is
 *   tried after the refresh token only when the provider answers `unsupported_token_type`.
 * - Client credentials go in the body; a 401 retries once with HTTP Basic auth.
 * - The endpoint must be HTTPS with a host (plain HTTP only on loopback hosts).
 * - At most 10 redirects are followed, and only 307/308 (which keep the POST) to the same
 *   scheme, host and port, on HTTPS (loopback to loopback is exempt).
 * - 200 and 204 are success; anything else, 202 included, is a failure. Provider bodies are
 *   never echoed; only a well-formed OAuth error code is reported.
 *
 * Resolves `false` when there is no revocation URL (nothing to do) and `true` when revoked.
 *
 * @throws McpClientError `OAUTH_REVOKE_FAILED`.
 */
export async function revokeOAuth2Token({
  oauth2,
  token,
  clock = realClock,
  timeoutMs = OAUTH_TIMEOUT_MS,
  signal,
  fetch: fetchImpl = globalThis.fetch,
}: OAuthRequestOptions): Promise<boolean> {
  if (!oauth2.revocationUrl) return false;
  let endpoint: URL;
  try {
    endpoint = new URL(oauth2.revocationUrl);
    checkEndpoint(endpoint);
  } catch (error) {
    throw new McpClientError(
      'OAUTH_REVOKE_FAILED',
      `revocation endpoint ${redactUrl(oauth2.revocationUrl)} ${errorMessage(error)}`,
    );
  }
  const where = redactUrl(endpoint);
  return withDeadline(
    {
      clock,
      timeoutMs,
      signal,
      onTimeout: () =>
        new McpClientError('OAUTH_REVOKE_FAILED', `revocation at ${where} timed out`),
    },
    async (deadlineSignal) => {
      const attempt = async (value: string, hint: string): Promise<Response> => {
        const post = (basic: boolean) =>
          postFollowingRedirects(endpoint, deadlineSignal, fetchImpl, () => {
            const body = new URLSearchParams({ token: value, token_type_hint: hint });
            const headers: Record<string, string> = {
              'content-type': 'application/x-www-form-urlencoded',
            };
            if (basic && oauth2.clientId) {
              const credentials = `${encodeURIComponent(oauth2.clientId)}:${encodeURIComponent(oauth2.clientSecret ?? '')}`;
              headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
            } else {
              if (oauth2.clientId) body.set('client_id', oauth2.clientId);
              if (oauth2.clientSecret) body.set('client_secret', oauth2.clientSecret);
            }
            return { headers, body };
          });
        const response = await post(false);
        if (response.status === 401 && oauth2.clientId) {
          await response.body?.cancel();
          return post(true);
        }
        return response;
      };
      const useRefresh = token.refreshToken !== undefined && token.refreshToken !== '';
      let response = useRefresh
        ? await attempt(token.refreshToken as string, 'refresh_token')
        : await attempt(token.accessToken, 'access_token');
      if (isSuccess(response)) {
        await response.body?.cancel();
        return true;
      }
      let oauthError = await readOAuthError(response);
      if (useRefresh && oauthError === 'unsupported_token_type' && token.accessToken !== '') {
        response = await attempt(token.accessToken, 'access_token');
        if (isSuccess(response)) {
          await response.body?.cancel();
          return true;
        }
        oauthError = await readOAuthError(response);
      }
      throw new McpClientError(
        'OAUTH_REVOKE_FAILED',
        `revocation at ${where} failed with HTTP ${response.status}${oauthError ? ` (${oauthError})` : ''}`,
      );
    },
  );
}

function isSuccess(response: Response): boolean {
  return response.status === 200 || response.status === 204;
}

async function postFollowingRedirects(
  start: URL,
  signal: AbortSignal,
  fetchImpl: typeof fetch,
  build: () => { headers: Record<string, string>; body: URLSearchParams },
): Promise<Response> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    const { headers, body } = build();
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      throw new McpClientError(
        'OAUTH_REVOKE_FAILED',
        `revocation at ${redactUrl(url)} failed: ${error instanceof Error ? error.name : 'error'}`,
      );
    }
    if (response.status < 300 || response.status >= 400) return response;
    await response.body?.cancel();
    const location = response.headers.get('location');
    const refuse = (why: string) =>
      new McpClientError('OAUTH_REVOKE_FAILED', `revocation redirect refused: ${why}`);
    if (redirects >= MAX_REDIRECTS) throw refuse(`more than ${MAX_REDIRECTS} redirects`);
    if (response.status !== 307 && response.status !== 308) {
      throw refuse(`HTTP ${response.status} would not keep the POST`);
    }
    if (location === null) throw refuse('no Location header');
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw refuse('invalid Location header');
    }
    const loopbackHop = isLoopback(url) && isLoopback(next);
    if (!loopbackHop) {
      if (next.protocol !== 'https:') throw refuse('target is not HTTPS');
      if (!sameOrigin(url, next)) throw refuse('target is on another scheme, host or port');
    }
    url = next;
  }
}
