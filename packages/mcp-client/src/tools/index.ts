export {
  capText,
  convertCallResult,
  type McpCallResultLike,
  type McpToolMedia,
  type McpToolOutput,
  repairText,
} from './convert-result.js';
export { isToolAllowed } from './filtering.js';
export {
  assignToolNames,
  baseToolName,
  collisionSuffix,
  MAX_TOOL_NAME_LENGTH,
  type McpToolNameCollision,
  sanitizeName,
  type ToolNameAssignment,
  type ToolNameRequest,
} from './naming.js';
export {
  type McpToolMetadata,
  toModelOutput,
  toolInputSchema,
  type WrapMcpToolOptions,
  wrapMcpTool,
} from './wrap-tool.js';
