import type { Logger } from '@chatd/core';
import type { ResolvedServerConfig } from '../config/index.js';
import { type McpIdentity, type McpUserToken, normalizeTokenType } from './token.js';

/** The identity header names, in the order they are added. */
export const IDENTITY_HEADERS = {
  ownerId: 'X-Chatd-Owner-Id',
  chatId: 'X-Chatd-Chat-Id',
  subchatId: 'X-Chatd-Subchat-Id',
} as const;

/**
 * Parses `customHeaders` JSON text into headers. Invalid JSON, or anything but an object of
 * string values, is logged as a warning (without the text, which may hold secrets) and yields
 * no headers, so the server still connects.
 */
export function parseCustomHeaders(
  text: string | undefined,
  logger: Logger,
): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    logger.warn('customHeaders is not valid JSON; connecting without them');
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    logger.warn('customHeaders is not a JSON object; connecting without them');
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      logger.warn({ header: name }, 'customHeaders value is not a string; header skipped');
      continue;
    }
    headers[name] = value;
  }
  return headers;
}

/**
 * The auth headers of a config, with the user's token for `oauth2`. A token with a recorded
 * refresh failure or an empty access token is not sent; an expired one is sent with a warning
 * (the caller refreshes first when it can).
 */
export function authHeaders(
  config: ResolvedServerConfig,
  token: McpUserToken | undefined,
  customHeaders: Record<string, string>,
  logger: Logger,
  now: number,
  expiresAt: number | undefined,
): Record<string, string> {
  switch (config.authType) {
    case 'oauth2': {
      if (token === undefined) {
        logger.debug('no OAuth2 token for this server; connecting without Authorization');
        return {};
      }
      if (token.refreshFailureReason !== undefined && token.refreshFailureReason !== '') {
        logger.warn('OAuth2 token has a permanent refresh failure; not sending it');
        return {};
      }
      if (token.accessToken === '') return {};
      if (expiresAt !== undefined && expiresAt <= now) {
        logger.warn('OAuth2 access token is expired and could not be refreshed; sending it anyway');
      }
      return { Authorization: `${normalizeTokenType(token.tokenType)} ${token.accessToken}` };
    }
    case 'api-key':
      if (config.apiKeyHeader && config.apiKeyValue) {
        return { [config.apiKeyHeader]: config.apiKeyValue };
      }
      return {};
    case 'custom-headers':
      return { ...customHeaders };
    default:
      return {};
  }
}

/** The identity headers for `identity`: the chat id is the parent's for subagent chats. */
export function identityHeaders(identity: McpIdentity | undefined): Record<string, string> {
  if (identity === undefined) return {};
  const headers: Record<string, string> = {};
  if (identity.ownerId) headers[IDENTITY_HEADERS.ownerId] = identity.ownerId;
  if (identity.parentChatId) {
    headers[IDENTITY_HEADERS.chatId] = identity.parentChatId;
    if (identity.chatId) headers[IDENTITY_HEADERS.subchatId] = identity.chatId;
  } else if (identity.chatId) {
    headers[IDENTITY_HEADERS.chatId] = identity.chatId;
  }
  return headers;
}

/**
 * Applies `auth` and then `identity` to `headers` (the transport's own headers). Neither
 * overrides a header already set; identity headers never override auth headers (names compared
 * case-insensitively, as HTTP does).
 */
export function applyHeaders(
  headers: Headers,
  auth: Record<string, string>,
  identity: Record<string, string>,
): void {
  for (const [name, value] of Object.entries(auth)) headers.set(name, value);
  for (const [name, value] of Object.entries(identity)) {
    if (!headers.has(name)) headers.set(name, value);
  }
}
