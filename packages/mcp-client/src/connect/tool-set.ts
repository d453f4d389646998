import type { Logger } from '@chatd/core';
import type { Tool as AiTool } from 'ai';
import type { McpIdentity } from '../auth/index.js';
import { type ResolvedServerConfig, validateServerConfig } from '../config/index.js';
import { errorMessage, McpClientError } from '../errors/index.js';
import {
  assignToolNames,
  isToolAllowed,
  type McpToolNameCollision,
  type McpToolOutput,
  wrapMcpTool,
} from '../tools/index.js';
import type { McpConnection } from './connection.js';
import { scrubMessage } from './scrub.js';

/** Status of one configured server after `connectAll`. */
export type McpServerState = 'connected' | 'failed' | 'disabled' | 'filtered-out';

/** One entry per config passed to `connectAll`, in the same order. */
export interface McpServerStatus {
  /** The config id (`configs[i]` when the config had none). */
  id: string;
  /** The config's slug (empty when the config had none). */
  slug: string;
  /** Whether the server's tools are in the set and, when not, why. */
  status: McpServerState;
  /** Why it failed: a message with URLs redacted and no secrets. Only for `failed`. */
  error?: string;
  /** The names the model sees for this server's tools, sorted. */
  toolNames: string[];
}

/** What `connectAll` returns. */
export interface McpToolSet {
  /** AI SDK tools by name, ready for `streamText({ tools })`. */
  tools: Record<string, AiTool<unknown, McpToolOutput>>;
  /** One status per config, in input order. */
  servers: McpServerStatus[];
  /** Tool names that collided and were suffixed. */
  collisions: McpToolNameCollision[];
  /**
   * Releases what this call holds: pooled connections go back to the pool (closed after the
   * idle timeout); the plain `connectAll` closes them. Idempotent.
   */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A config after validation: ready to connect, or settled already (invalid or disabled). */
export type CheckedConfig = { config: ResolvedServerConfig } | { status: McpServerStatus };

/** A server that connected, whose tools go into the tool set. */
export interface ConnectedServer {
  config: ResolvedServerConfig;
  connection: McpConnection;
}

/** Options of {@link buildTools}. */
export interface BuildToolsOptions {
  /** The chat the tools are for, sent with each call. */
  identity: McpIdentity | undefined;
  /** Cap on a result's text, in UTF-8 bytes. */
  maxResultBytes: number;
  logger: Logger;
}

/** The id and slug a status reports for a config that may not have valid ones. */
function reportedIdentity(raw: unknown, label: string): { id: string; slug: string } {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    id: typeof record.id === 'string' && record.id !== '' ? record.id : label,
    slug: typeof record.slug === 'string' ? record.slug : '',
  };
}

/**
 * Validates every config, in order. An invalid one, or one repeating an earlier config's id, is
 * settled as `failed` (and logged); a disabled one as `disabled`. Neither fails the others.
 */
export function checkConfigs(configs: readonly unknown[], logger: Logger): CheckedConfig[] {
  const seenIds = new Map<string, number>();
  return configs.map((raw, index): CheckedConfig => {
    const label = `configs[${index}]`;
    let config: ResolvedServerConfig;
    try {
      config = validateServerConfig(raw, label);
      const previous = seenIds.get(config.id);
      if (previous !== undefined) {
        throw new McpClientError(
          'MCP_CONFIG_INVALID',
          `Invalid MCP server ${label} (id ${config.id}): id: duplicates configs[${previous}]`,
        );
      }
      seenIds.set(config.id, index);
    } catch (error) {
      const reported = reportedIdentity(raw, label);
      const message = scrubMessage(errorMessage(error));
      logger.warn({ mcpServer: reported.id, err: message }, 'invalid MCP server config');
      return { status: { ...reported, status: 'failed', error: message, toolNames: [] } };
    }
    if (!config.enabled) {
      return { status: { id: config.id, slug: config.slug, status: 'disabled', toolNames: [] } };
    }
    return { config };
  });
}

/**
 * Wraps the allowed tools of every held server as AI SDK tools under provider-safe names, and
 * logs the names that collided.
 */
export function buildTools(
  servers: readonly ConnectedServer[],
  { identity, maxResultBytes, logger }: BuildToolsOptions,
): Pick<McpToolSet, 'tools' | 'collisions'> & { namesByConfig: Map<string, string[]> } {
  const requests = servers.flatMap(({ config, connection }) =>
    connection.tools
      .filter((tool) => isToolAllowed(tool.name, config.toolAllowList, config.toolDenyList))
      .map((tool) => ({
        configId: config.id,
        slug: config.slug,
        toolName: tool.name,
        tool,
        connection,
      })),
  );
  const { named, collisions } = assignToolNames(requests);
  for (const collision of collisions) {
    logger.warn(
      {
        toolName: collision.name,
        tools: collision.tools.map((tool) => `${tool.configId}:${tool.toolName}`),
      },
      'MCP tool names collided; every colliding tool got a hash suffix',
    );
  }
  const tools: Record<string, AiTool<unknown, McpToolOutput>> = {};
  const namesByConfig = new Map<string, string[]>();
  for (const request of named) {
    tools[request.name] = wrapMcpTool({
      connection: request.connection,
      tool: request.tool,
      name: request.name,
      identity,
      maxResultBytes,
      logger,
    });
    const list = namesByConfig.get(request.configId) ?? [];
    list.push(request.name);
    namesByConfig.set(request.configId, list);
  }
  return { tools, collisions, namesByConfig };
}

/** The final status of one config: a connected server none of whose tools passed is `filtered-out`. */
export function finalStatus(
  status: McpServerStatus,
  connected: ConnectedServer | undefined,
  namesByConfig: ReadonlyMap<string, string[]>,
): McpServerStatus {
  if (!connected) return status;
  const toolNames = namesByConfig.get(connected.config.id) ?? [];
  return toolNames.length === 0
    ? { ...status, status: 'filtered-out', toolNames }
    : { ...status, toolNames };
}
