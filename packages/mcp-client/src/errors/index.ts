export {
  errorMessage,
  isPermanentRefreshError,
  McpClientError,
  type McpClientErrorCode,
  OAuthRefreshError,
} from './mcp-client-error.js';
