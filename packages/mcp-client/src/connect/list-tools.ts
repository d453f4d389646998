import type { Logger } from '@chatd/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';

/** Upper bound on `tools/list` pages, against servers that return the same cursor forever. */
const MAX_TOOL_PAGES = 100;

/**
 * Handed to the SDK as its own request timeout, so that only our deadlines on the injected Clock
 * fire (the SDK's timers run on the real clock, out of a test's reach).
 */
export const SDK_TIMEOUT_MS = 2_147_483_647;

/**
 * Every tool the server lists, following `nextCursor` for at most 100 pages. A tool listed twice
 * keeps its first definition.
 */
export async function listAllTools(
  client: Client,
  signal: AbortSignal,
  logger: Logger,
): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
      signal,
      timeout: SDK_TIMEOUT_MS,
    });
    for (const tool of result.tools) {
      if (seen.has(tool.name)) {
        logger.warn({ tool: tool.name }, 'MCP server listed a tool twice; keeping the first');
        continue;
      }
      seen.add(tool.name);
      tools.push(tool);
    }
    if (!result.nextCursor) return tools;
    cursor = result.nextCursor;
  }
  logger.warn({ pages: MAX_TOOL_PAGES }, 'tools/list did not end; using the pages read');
  return tools;
}
