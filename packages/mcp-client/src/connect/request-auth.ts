import type { Clock, Logger } from '@chatd/core';
import {
  applyHeaders,
  authHeaders,
  expiresAtMs,
  identityHeaders,
  type McpIdentity,
  type McpUserToken,
  needsRefresh,
  parseCustomHeaders,
  refreshFailureReason,
  refreshOAuth2Token,
} from '../auth/index.js';
import type { ResolvedServerConfig } from '../config/index.js';
import { errorMessage, OAuthRefreshError } from '../errors/index.js';
import { requestContext } from './request-context.js';
import { scrubMessage } from './scrub.js';

/** After a transient refresh failure, the old token is used for this long before trying again. */
const REFRESH_RETRY_MS = 30_000;

/** Called with a refreshed (or permanently failed) token so the caller can persist it. */
export type TokenRefreshedCallback = (
  configId: string,
  token: McpUserToken,
) => void | Promise<void>;

/** The auth state of a connection, replaced by each `connectAll` that uses it. */
export interface ConnectionAuth {
  /** The user's token for this server. */
  token?: McpUserToken | undefined;
  /** Persists refreshed tokens. */
  onTokenRefreshed?: TokenRefreshedCallback | undefined;
}

/** Options of {@link RequestAuth}. */
export interface RequestAuthOptions {
  /** The validated server config. */
  config: ResolvedServerConfig;
  /** Clock of token expiry and of the refresh budget. */
  clock: Clock;
  /** Logger, already a child with the server's id. */
  logger: Logger;
  /** The connection's lifetime: a refresh in progress stops when it aborts. */
  lifetime: AbortSignal;
  /** The user the connection belongs to: the identity of requests made outside any call. */
  ownerId: string | undefined;
}

/**
 * The auth and identity headers of one connection's HTTP requests, computed for each request by
 * the {@link RequestAuth.fetch} wrapper. A token refreshed or replaced by a later chat turn
 * therefore takes effect on a reused connection, and each call carries the identity of the chat
 * that made it, even when several chats share the connection.
 *
 * @internal
 */
export class RequestAuth {
  readonly #config: ResolvedServerConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #lifetime: AbortSignal;
  readonly #ownerId: string | undefined;
  readonly #customHeaders: Record<string, string>;
  #auth: ConnectionAuth = {};
  /** API-key and custom headers never change, so they are computed once. */
  #staticHeaders: Record<string, string> | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshRetryAfter = 0;

  constructor({ config, clock, logger, lifetime, ownerId }: RequestAuthOptions) {
    this.#config = config;
    this.#clock = clock;
    this.#logger = logger;
    this.#lifetime = lifetime;
    this.#ownerId = ownerId;
    this.#customHeaders =
      config.authType === 'custom-headers' ? parseCustomHeaders(config.customHeaders, logger) : {};
  }

  /** Replaces the token and refresh callback used from the next request on. */
  set(auth: ConnectionAuth): void {
    this.#auth = auth;
  }

  /**
   * Whether any request gets headers from here. Without auth or identity headers there is
   * nothing to add per request, and the transport can use the plain `fetch`.
   */
  get addsHeaders(): boolean {
    return this.#config.authType !== 'none' || this.#config.forwardIdentityHeaders;
  }

  /** The secret values this connection knows, to remove from messages and log lines. */
  secrets(): string[] {
    const secrets = Object.values(this.#customHeaders);
    if (this.#config.apiKeyValue) secrets.push(this.#config.apiKeyValue);
    if (this.#config.oauth2?.clientSecret) secrets.push(this.#config.oauth2.clientSecret);
    const token = this.#auth.token;
    if (token?.accessToken) secrets.push(token.accessToken);
    if (token?.refreshToken) secrets.push(token.refreshToken);
    return secrets;
  }

  /**
   * `fetch` with the auth headers of the moment (an OAuth2 token about to expire is refreshed
   * first) and the identity headers of the request's chat.
   */
  readonly fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const auth = await this.#authHeaders();
    const identity = this.#config.forwardIdentityHeaders
      ? identityHeaders(requestContext.getStore()?.identity ?? this.#backgroundIdentity())
      : {};
    applyHeaders(headers, auth, identity);
    return fetch(input, { ...init, headers });
  };

  async #authHeaders(): Promise<Record<string, string>> {
    if (this.#config.authType !== 'oauth2') {
      this.#staticHeaders ??= this.#currentAuthHeaders();
      return this.#staticHeaders;
    }
    await this.#refreshIfNeeded();
    return this.#currentAuthHeaders();
  }

  #currentAuthHeaders(): Record<string, string> {
    const token = this.#auth.token;
    return authHeaders(
      this.#config,
      token,
      this.#customHeaders,
      this.#logger,
      this.#clock.now(),
      token === undefined ? undefined : expiresAtMs(token),
    );
  }

  /** Requests made outside any call (the SSE stream, session setup) carry the owner only. */
  #backgroundIdentity(): McpIdentity | undefined {
    return this.#ownerId === undefined ? undefined : { ownerId: this.#ownerId };
  }

  async #refreshIfNeeded(): Promise<void> {
    const token = this.#auth.token;
    const now = this.#clock.now();
    if (
      token === undefined ||
      token.refreshFailureReason ||
      !token.refreshToken ||
      !this.#config.oauth2?.tokenUrl ||
      !needsRefresh(token, now) ||
      now < this.#refreshRetryAfter
    ) {
      return;
    }
    // One refresh at a time, shared by every request that needs it. It runs under the
    // connection's lifetime (and its own 10 s budget), not under the signal of whichever request
    // happened to start it, so one aborted request cannot fail the others' refresh.
    this.#refreshing ??= this.#refresh(token).finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async #refresh(token: McpUserToken): Promise<void> {
    const auth = this.#auth;
    let next: McpUserToken;
    try {
      const result = await refreshOAuth2Token({
        oauth2: this.#config.oauth2 ?? {},
        token,
        clock: this.#clock,
        signal: this.#lifetime,
      });
      next = result.token;
      this.#logger.info(
        { accessTokenChanged: result.accessTokenChanged },
        'OAuth2 token refreshed',
      );
    } catch (error) {
      if (this.#lifetime.aborted) return;
      const permanent = error instanceof OAuthRefreshError && error.permanent;
      this.#logger.warn(
        { err: this.#scrub(error), permanent },
        permanent
          ? 'OAuth2 refresh failed permanently; the user must authorize again'
          : 'OAuth2 refresh failed; using the current token',
      );
      if (!permanent) {
        this.#refreshRetryAfter = this.#clock.now() + REFRESH_RETRY_MS;
        return;
      }
      next = { ...token, refreshFailureReason: refreshFailureReason(error) };
    }
    // A later connectAll may have replaced the auth state meanwhile; only update our own.
    if (this.#auth === auth) this.#auth = { ...auth, token: next };
    try {
      await auth.onTokenRefreshed?.(this.#config.id, next);
    } catch (error) {
      this.#logger.warn({ err: this.#scrub(error) }, 'onTokenRefreshed failed');
    }
  }

  #scrub(error: unknown): string {
    return scrubMessage(errorMessage(error), this.secrets());
  }
}
