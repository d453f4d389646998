export {
  CLIENT_INFO,
  isSessionExpired,
  McpConnection,
  type McpConnectionOptions,
} from './connection.js';
export {
  type ConnectAllOptions,
  type ConnectAllStandaloneOptions,
  connectAll,
  McpClientPool,
  type McpClientPoolOptions,
} from './pool.js';
export { poolKey } from './pool-key.js';
export { type ConnectionAuth, RequestAuth, type TokenRefreshedCallback } from './request-auth.js';
export { scrubMessage } from './scrub.js';
export type {
  McpServerState,
  McpServerStatus,
  McpToolSet,
} from './tool-set.js';
export { childPid, createTransport, describeServer } from './transports.js';
