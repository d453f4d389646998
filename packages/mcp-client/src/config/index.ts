export {
  type McpAuthType,
  type McpOAuth2Config,
  type McpServerConfig,
  type McpTransportType,
  type ResolvedServerConfig,
  validateServerConfig,
} from './server-config.js';
