export {
  CLIENT_INFO,
  type ConnectionAuth,
  isSessionExpired,
  McpConnection,
  type McpConnectionOptions,
  type TokenRefreshedCallback,
} from './connection.js';
export {
  type ConnectAllOptions,
  type ConnectAllStandaloneOptions,
  connectAll,
  McpClientPool,
  type McpClientPoolOptions,
  type McpServerState,
  type McpServerStatus,
  type McpToolSet,
  poolKey,
} from './pool.js';
export { scrubMessage } from './scrub.js';
