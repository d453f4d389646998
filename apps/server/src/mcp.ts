import { randomUUID } from 'node:crypto';
import type { ToolProvider, ToolTurnContext, TurnTools } from '@chatd/chatd';
import type { Logger } from '@chatd/core';
import {
  type McpClientPool,
  type McpServerConfig,
  type McpUserToken,
  validateServerConfig,
} from '@chatd/mcp-client';
import type { ServerDatabase } from './database.js';
import { HttpError } from './errors.js';
import type { SecretBox } from './secrets.js';

/** An MCP server as the API shows it: what it is and how it is reached, never its secrets. */
export interface McpServerInfo {
  id: string;
  slug: string;
  transport: 'streamable-http' | 'sse' | 'stdio';
  /** The endpoint of an HTTP server, without query string or credentials. */
  url: string | null;
  /** The command of a stdio server (its arguments and environment may hold secrets). */
  command: string | null;
  authType: 'none' | 'oauth2' | 'api-key' | 'custom-headers';
  enabled: boolean;
  createdAt: string;
}

/** An MCP server config as an admin sends it: `@chatd/mcp-client`'s config without `id`. */
export type NewMcpServer = Omit<McpServerConfig, 'id'>;

interface McpServerRow {
  id: string;
  slug: string;
  config_sealed: string;
  info: Omit<McpServerInfo, 'id' | 'slug' | 'createdAt'>;
  created_at: Date | string;
}

/** An HTTP URL as it may be shown: no credentials, no query (tokens hide in both). */
function shownUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return null;
  }
}

const toInfo = (row: McpServerRow): McpServerInfo => ({
  id: row.id,
  slug: row.slug,
  ...row.info,
  createdAt: new Date(row.created_at).toISOString(),
});

/**
 * The MCP servers admins configure, and the OAuth tokens users hold for them. A config is
 * stored sealed as a whole (API keys, headers, a stdio server's environment and OAuth client
 * secrets are all inside it); only the fields the API shows are stored in the clear.
 */
export class McpServers {
  readonly #db: ServerDatabase;
  readonly #box: SecretBox;

  constructor(db: ServerDatabase, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  async list(): Promise<McpServerInfo[]> {
    const rows = await this.#db.query<McpServerRow>(
      'SELECT * FROM server_mcp_servers ORDER BY slug',
    );
    return rows.map(toInfo);
  }

  /**
   * Validates and stores a config.
   * @throws HttpError 400 naming the bad field; 409 `MCP_SERVER_EXISTS` for a taken slug.
   */
  async create(input: NewMcpServer): Promise<McpServerInfo> {
    const id = randomUUID();
    let config: ReturnType<typeof validateServerConfig>;
    try {
      config = validateServerConfig({ ...input, id });
    } catch (error) {
      // The message names the config by its id, which the server drew and the client never
      // saw: said without it.
      const message = (error as Error).message.replace(` (id ${id})`, '');
      throw new HttpError(400, 'INVALID_ARGUMENT', message);
    }
    const info: McpServerRow['info'] = {
      transport: config.transport,
      url: shownUrl(config.url),
      command: config.transport === 'stdio' ? (config.command ?? null) : null,
      authType: config.authType,
      enabled: config.enabled,
    };
    const [row] = await this.#db.query<McpServerRow>(
      `INSERT INTO server_mcp_servers (id, slug, config_sealed, info)
       VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING RETURNING *`,
      [id, config.slug, this.#box.seal(JSON.stringify({ ...input, id })), JSON.stringify(info)],
    );
    if (row === undefined) {
      throw new HttpError(409, 'MCP_SERVER_EXISTS', `An MCP server ${config.slug} exists`);
    }
    return toInfo(row);
  }

  async delete(id: string): Promise<boolean> {
    return (
      (await this.#db.query('DELETE FROM server_mcp_servers WHERE id = $1 RETURNING id', [id]))
        .length > 0
    );
  }

  /** The ids among `ids` that name no configured server. */
  async unknown(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<{ id: string }>(
      'SELECT id FROM server_mcp_servers WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const known = new Set(rows.map((row) => row.id));
    return ids.filter((id) => !known.has(id));
  }

  /** The configs of `ids`, unsealed, for one turn. */
  async configs(ids: readonly string[]): Promise<McpServerConfig[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<McpServerRow>(
      'SELECT * FROM server_mcp_servers WHERE id = ANY($1::uuid[]) ORDER BY slug',
      [ids],
    );
    return rows.map((row) => JSON.parse(this.#box.open(row.config_sealed)) as McpServerConfig);
  }

  /** A user's OAuth token for a server (set by the user, refreshed by the pool). */
  async saveToken(userId: string, serverId: string, token: McpUserToken): Promise<void> {
    const expiresAt = token.expiresAt instanceof Date ? token.expiresAt.getTime() : token.expiresAt;
    await this.#db.query(
      `INSERT INTO server_mcp_tokens (user_id, server_id, token_sealed) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, server_id) DO UPDATE SET token_sealed = EXCLUDED.token_sealed,
         updated_at = now()`,
      [userId, serverId, this.#box.seal(JSON.stringify({ ...token, expiresAt }))],
    );
  }

  async deleteToken(userId: string, serverId: string): Promise<boolean> {
    return (
      (
        await this.#db.query(
          'DELETE FROM server_mcp_tokens WHERE user_id = $1 AND server_id = $2 RETURNING user_id',
          [userId, serverId],
        )
      ).length > 0
    );
  }

  /** The servers a user holds a token for. */
  async tokenServerIds(userId: string): Promise<Set<string>> {
    const rows = await this.#db.query<{ server_id: string }>(
      'SELECT server_id FROM server_mcp_tokens WHERE user_id = $1',
      [userId],
    );
    return new Set(rows.map((row) => row.server_id));
  }

  async tokens(
    userId: string,
    serverIds: readonly string[],
  ): Promise<Record<string, McpUserToken>> {
    if (serverIds.length === 0) return {};
    const rows = await this.#db.query<{ server_id: string; token_sealed: string }>(
      'SELECT server_id, token_sealed FROM server_mcp_tokens WHERE user_id = $1 AND server_id = ANY($2::uuid[])',
      [userId, serverIds],
    );
    return Object.fromEntries(
      rows.map((row) => [row.server_id, JSON.parse(this.#box.open(row.token_sealed))]),
    );
  }
}

/**
 * The engine's tools for each action: the built-in tools plus the tools of the MCP servers the
 * chat picked, through one connection pool for the process (connections are reused across
 * turns and never shared between users). Refreshed OAuth tokens are saved for the chat's
 * owner. A server that fails is left out of this action, logged with the chat, and reported
 * to the chat's subscribers as a warning.
 */
export function serverToolProvider(
  builtIn: ToolProvider,
  servers: McpServers,
  pool: McpClientPool,
  logger: Logger,
): ToolProvider {
  return {
    async forTurn(context: ToolTurnContext): Promise<TurnTools> {
      const base = await builtIn.forTurn(context);
      if (context.mcpServerIds.length === 0) return base;
      const { chatId, ownerId, mcpServerIds, signal } = context;
      try {
        const configs = await servers.configs(mcpServerIds);
        const mcp = await pool.connectAll(configs, {
          userTokens: await servers.tokens(ownerId, mcpServerIds),
          onTokenRefreshed: (serverId, token) => servers.saveToken(ownerId, serverId, token),
          identity: { ownerId, chatId },
          signal,
          logger,
        });
        const failed = mcp.servers.filter((server) => server.status === 'failed');
        for (const server of failed) {
          logger.warn(
            { chatId, mcpServer: server.slug, reason: server.error },
            'MCP server unavailable for this step',
          );
        }
        return {
          ...base,
          tools: { ...base.tools, ...mcp.tools },
          // The chat's subscribers see why tools are missing instead of guessing.
          warnings: failed.map((server) => ({
            message: `The MCP server ${server.slug} is unavailable (${server.error ?? 'failed'}); its tools are missing from this step.`,
            source: server.slug,
          })),
          async close() {
            await mcp.close();
            await base.close();
          },
        };
      } catch (error) {
        await base.close();
        throw error;
      }
    },
  };
}
