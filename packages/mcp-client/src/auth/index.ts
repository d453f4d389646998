export {
  applyHeaders,
  authHeaders,
  IDENTITY_HEADERS,
  identityHeaders,
  parseCustomHeaders,
} from './headers.js';
export {
  MAX_FAILURE_REASON_LENGTH,
  needsRefresh,
  OAUTH_TIMEOUT_MS,
  type OAuthRequestOptions,
  REFRESH_MARGIN_MS,
  type RefreshOAuth2TokenOptions,
  type RefreshOAuth2TokenResult,
  refreshFailureReason,
  refreshOAuth2Token,
  revokeOAuth2Token,
} from './oauth2.js';
export { expiresAtMs, type McpIdentity, type McpUserToken, normalizeTokenType } from './token.js';
