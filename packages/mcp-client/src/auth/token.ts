/** An OAuth2 token of the chat's user for one server, as the caller stores it. */
export interface McpUserToken {
  /** The access token; sent as `Authorization: Bearer …`, never logged. */
  accessToken: string;
  /** The refresh token, when the provider issued one; never logged. */
  refreshToken?: string;
  /** Token type; any case of `bearer` is sent as `Bearer`. @default 'Bearer' */
  tokenType?: string;
  /** When the access token expires, in milliseconds since the Unix epoch or as a `Date`. */
  expiresAt?: number | Date;
  /**
   * Why the last refresh failed permanently. A token with a reason is not sent at all: the user
   * has to authorize again.
   */
  refreshFailureReason?: string;
}

/** The identity of the chat a request is made for, forwarded when a config asks for it. */
export interface McpIdentity {
  /** The user who owns the chat; also part of the pool key (anonymous when absent). */
  ownerId?: string;
  /** The chat making the request; forwarded as `X-Chatd-Chat-Id` (as `X-Chatd-Subchat-Id` when it has a parent). */
  chatId?: string;
  /** The parent chat of a subagent chat; forwarded as `X-Chatd-Chat-Id` in its place. */
  parentChatId?: string;
}

/** `expiresAt` as milliseconds, or undefined. */
export function expiresAtMs(token: McpUserToken): number | undefined {
  const { expiresAt } = token;
  if (expiresAt === undefined) return undefined;
  return typeof expiresAt === 'number' ? expiresAt : expiresAt.getTime();
}

/** Normalizes a token type: any case of `bearer` (or none) becomes `Bearer`. */
export function normalizeTokenType(tokenType: string | undefined): string {
  if (tokenType === undefined || tokenType.trim() === '') return 'Bearer';
  return tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType;
}
