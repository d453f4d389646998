/**
 * MCP servers as AI SDK tools: `connectAll(configs, options)` connects to every MCP server
 * configured for a chat, in parallel, and returns `{ tools, servers, collisions, close }`, with
 * `tools` ready for `streamText`.
 *
 * ## Design
 *
 * - **Failure isolation.** A server that fails (bad config, unreachable, slow, refused auth) is
 *   left out and reported in `servers` with a redacted message; it never fails the call or the
 *   other servers. Only a non-array `configs`, a bad option or an aborted `signal` reject.
 * - **One budget per server.** Connect, initialize and the paginated `tools/list` share
 *   `connectTimeoutMs` (10 s) on every transport, including the SSE transport's `start()`, which
 *   takes no signal: the deadline rejects and closes the transport anyway. Each tool call has
 *   `callTimeoutMs` (60 s); when it passes, or the AI SDK aborts the step, the SDK sends MCP's
 *   `notifications/cancelled` and the model gets an error result. All deadlines run on the
 *   injected `Clock`.
 * - **Pooling.** Connecting costs 75–100 ms, so {@link McpClientPool} keeps connections across
 *   chat turns, keyed by a hash of the config and the user: an edited config never reuses an old
 *   connection and users never share one. Auth and identity headers are computed per HTTP
 *   request (a `fetch` wrapper), so a refreshed token takes effect on a reused connection and a
 *   connection shared by several chats sends each call's own chat id. Idle connections close
 *   after `idleTimeoutMs` (5 min); dead ones leave the pool and are reopened next turn.
 *   `notifications/tools/list_changed` re-lists a pooled connection's tools for the next turn.
 * - **Names.** `slug__tool`, sanitized to `[A-Za-z0-9_-]`, at most 64 characters, sorted. Names
 *   that collide are all renamed `<57 chars>_<6 hex>` (hashed from config id and original name),
 *   so every tool stays reachable under a stable name, and the collision is reported.
 * - **Results.** Text joined, resources described, structured content as JSON, invalid UTF-8
 *   repaired, text capped at `maxResultBytes` (truncation marker included); images and binary
 *   reach the model as image/file content via `toModelOutput`; `isError` becomes an error
 *   result, never a throw.
 * - **Auth.** OAuth2 bearer tokens are refreshed when they expire within 10 s (permanent failures
 *   are recorded and reported through `onTokenRefreshed`); API keys; custom headers. URLs are
 *   redacted and secrets removed in every log line, status and error.
 * - **Sessions.** An HTTP 404 (expired session) reconnects and re-initializes once; the call is
 *   retried because the server refused it before running it. A call that may have run is never
 *   retried: when its response stream breaks, it fails at once with an error result.
 * - **stdio.** Local servers run as child processes with an explicit environment (plus `PATH`,
 *   `HOME` and a few other safe variables), their stderr goes to the logger, and they are
 *   killed on close.
 *
 * `close()` of a tool set hands its connections back to the pool (the plain `connectAll`
 * closes them); `pool.close()` closes every connection, kills every child process and releases
 * every timer and socket, then resolves.
 *
 * @packageDocumentation
 */
export {
  type McpIdentity,
  type McpUserToken,
  type OAuthRequestOptions,
  type RefreshOAuth2TokenOptions,
  type RefreshOAuth2TokenResult,
  refreshOAuth2Token,
  revokeOAuth2Token,
} from './auth/index.js';
export {
  type McpAuthType,
  type McpOAuth2Config,
  type McpServerConfig,
  type McpTransportType,
  type ResolvedServerConfig,
  validateServerConfig,
} from './config/index.js';
export {
  type ConnectAllOptions,
  type ConnectAllStandaloneOptions,
  connectAll,
  McpClientPool,
  type McpClientPoolOptions,
  type McpServerState,
  type McpServerStatus,
  type McpToolSet,
  type TokenRefreshedCallback,
} from './connect/index.js';
export {
  McpClientError,
  type McpClientErrorCode,
  OAuthRefreshError,
} from './errors/index.js';
export type {
  McpToolMedia,
  McpToolMetadata,
  McpToolNameCollision,
  McpToolOutput,
} from './tools/index.js';
