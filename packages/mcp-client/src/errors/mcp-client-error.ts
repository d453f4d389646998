import { ChatdError, type ChatdErrorOptions } from '@chatd/core';

/**
 * Error codes thrown or reported by `@chatd/mcp-client`.
 *
 * - `MCP_CONFIG_INVALID`: a server config failed validation (the message names the field).
 * - `MCP_CONNECT_FAILED`: connecting, initializing or listing tools failed.
 * - `MCP_CONNECT_TIMEOUT`: connect, initialize and tools/list did not finish within the budget.
 * - `MCP_CALL_TIMEOUT`: a tool call did not finish within `callTimeoutMs`.
 * - `MCP_CALL_FAILED`: a tool call failed in transport or protocol.
 * - `MCP_SESSION_EXPIRED`: the server no longer knows the session (HTTP 404).
 * - `MCP_POOL_CLOSED`: the pool was used after `close()`.
 * - `OAUTH_REFRESH_FAILED`: the token endpoint refused or failed a refresh.
 * - `OAUTH_REVOKE_FAILED`: token revocation failed or was refused.
 */
export type McpClientErrorCode =
  | 'MCP_CONFIG_INVALID'
  | 'MCP_CONNECT_FAILED'
  | 'MCP_CONNECT_TIMEOUT'
  | 'MCP_CALL_TIMEOUT'
  | 'MCP_CALL_FAILED'
  | 'MCP_SESSION_EXPIRED'
  | 'MCP_POOL_CLOSED'
  | 'OAUTH_REFRESH_FAILED'
  | 'OAUTH_REVOKE_FAILED';

/**
 * The error class of `@chatd/mcp-client`. Messages never contain secrets, and URLs in them are
 * redacted (no userinfo, query or fragment).
 */
export class McpClientError extends ChatdError<McpClientErrorCode> {
  constructor(code: McpClientErrorCode, message: string, options?: ChatdErrorOptions) {
    super(code, message, options);
    this.name = 'McpClientError';
  }
}

/**
 * A token refresh failed. `permanent` is true when the provider said the refresh token is no
 * longer usable (`invalid_grant`, `bad_refresh_token`): retrying cannot succeed and the user has
 * to authorize again.
 */
export class OAuthRefreshError extends McpClientError {
  /** Whether the failure is permanent (`invalid_grant` or `bad_refresh_token`). */
  readonly permanent: boolean;
  /** The OAuth error code the provider returned, when it returned one. */
  readonly oauthError: string | undefined;

  constructor(message: string, oauthError: string | undefined, options?: ChatdErrorOptions) {
    const permanent = isPermanentRefreshError(oauthError);
    super('OAUTH_REFRESH_FAILED', message, { ...options, retryable: !permanent });
    this.name = 'OAuthRefreshError';
    this.permanent = permanent;
    this.oauthError = oauthError;
  }
}

/**
 * Whether an OAuth error code from a refresh means the refresh token is permanently unusable:
 * true only for `invalid_grant` and `bad_refresh_token`.
 */
export function isPermanentRefreshError(oauthError: string | undefined): boolean {
  return oauthError === 'invalid_grant' || oauthError === 'bad_refresh_token';
}

/** Turns any thrown value into a short message, for statuses and error results. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
