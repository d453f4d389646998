import { createHash } from 'node:crypto';
import {
  type Clock,
  InvalidArgumentError,
  type Logger,
  realClock,
  redactUrl,
  silentLogger,
  type TimerHandle,
} from '@chatd/core';
import type { Tool as AiTool } from 'ai';
import type { McpIdentity, McpUserToken } from '../auth/index.js';
import { type ResolvedServerConfig, validateServerConfig } from '../config/index.js';
import { errorMessage, McpClientError } from '../errors/index.js';
import {
  assignToolNames,
  isToolAllowed,
  type McpToolNameCollision,
  type McpToolOutput,
  wrapMcpTool,
} from '../tools/index.js';
import { McpConnection, type TokenRefreshedCallback } from './connection.js';
import { scrubMessage } from './scrub.js';

/** Options of {@link McpClientPool.connectAll} and {@link connectAll}. */
export interface ConnectAllOptions {
  /** OAuth2 tokens of the chat's user, keyed by config id. */
  userTokens?: Record<string, McpUserToken>;
  /**
   * Called after a token was refreshed, or failed to refresh permanently (then with
   * `refreshFailureReason` set), so the caller can persist it. Errors it throws are logged.
   */
  onTokenRefreshed?: TokenRefreshedCallback;
  /** The chat the tools are for; `ownerId` is part of the pool key. */
  identity?: McpIdentity;
  /** Aborting rejects the call with the signal's reason and closes what it opened. */
  signal?: AbortSignal;
  /** Logger for this call. @default the pool's logger */
  logger?: Logger;
  /** Budget of connect + initialize + tools/list per server, in ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Budget of one tool call, in ms. @default 60000 */
  callTimeoutMs?: number;
  /** Cap on the text of one tool result, in UTF-8 bytes; longer text is cut with a marker. @default 65536 */
  maxResultBytes?: number;
}

/** Options of the plain {@link connectAll}: {@link ConnectAllOptions} plus a clock. */
export interface ConnectAllStandaloneOptions extends ConnectAllOptions {
  /** Clock of every timeout. @default realClock */
  clock?: Clock;
}

/** Status of one configured server after `connectAll`. */
export type McpServerState = 'connected' | 'failed' | 'disabled' | 'filtered-out';

/** One entry per config passed to `connectAll`, in the same order. */
export interface McpServerStatus {
  /** The config id (`configs[i]` when the config had none). */
  id: string;
  /** The config's slug (empty when the config had none). */
  slug: string;
  /** What happened. */
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

/** Options of {@link McpClientPool}. */
export interface McpClientPoolOptions {
  /** How long an unused connection stays open, in ms. @default 300000 */
  idleTimeoutMs?: number;
  /** Clock of the idle timers and of every timeout. @default realClock */
  clock?: Clock;
  /** Logger. @default silentLogger */
  logger?: Logger;
}

interface PoolEntry {
  key: string;
  connection: McpConnection;
  ready: Promise<void>;
  refs: number;
  idleTimer: TimerHandle | undefined;
  stopWatching: () => void;
}

const DEFAULTS = { connectTimeoutMs: 10_000, callTimeoutMs: 60_000, maxResultBytes: 65_536 };

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, 'must be a positive integer');
  }
  return value;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The pool key: a hash of the whole resolved config and the user (anonymous when absent). */
export function poolKey(config: ResolvedServerConfig, ownerId: string | undefined): string {
  return createHash('sha256')
    .update(canonicalJson(config))
    .update('\0')
    .update(ownerId === undefined ? '\u0001anonymous' : `user:${ownerId}`)
    .digest('hex');
}

/**
 * Keeps MCP connections open across chat turns.
 *
 * Connections are keyed by a hash of the server config and the user (`identity.ownerId`), so an
 * edited config never reuses an old connection and users never share one. Auth and identity
 * headers are applied per request, so one connection serves every chat of its user and a
 * refreshed token takes effect at once. A connection whose last holder closed its tool set stays
 * open for `idleTimeoutMs`, then closes; one that dies (server gone, child exited) leaves the
 * pool and the next `connectAll` reconnects.
 */
export class McpClientPool {
  readonly #idleTimeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #entries = new Map<string, PoolEntry>();
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  /** @throws InvalidArgumentError `INVALID_ARGUMENT` when `idleTimeoutMs` is not a positive integer. */
  constructor({
    idleTimeoutMs = 300_000,
    clock = realClock,
    logger = silentLogger,
  }: McpClientPoolOptions = {}) {
    this.#idleTimeoutMs = positiveInteger('idleTimeoutMs', idleTimeoutMs, 300_000);
    this.#clock = clock;
    this.#logger = logger.child({ component: 'mcp-client' });
  }

  /** Number of open (or opening) connections. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of connections no tool set holds (waiting for their idle timeout). */
  get idleCount(): number {
    let idle = 0;
    for (const entry of this.#entries.values()) if (entry.refs === 0) idle++;
    return idle;
  }

  /** Process ids of the stdio children of open connections. */
  get childPids(): number[] {
    return [...this.#entries.values()].flatMap((entry) => entry.connection.childPids);
  }

  /**
   * Connects to every enabled server in parallel (reusing pooled connections) and builds the
   * tool set. A failing server never fails the others: it is reported in `servers`.
   *
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `configs` is not an array or an option
   *   is out of range.
   * @throws McpClientError `MCP_POOL_CLOSED` after {@link McpClientPool.close}.
   * @throws the signal's reason when `options.signal` aborts.
   */
  async connectAll(
    configs: readonly unknown[],
    options: ConnectAllOptions = {},
  ): Promise<McpToolSet> {
    if (this.#closed) throw new McpClientError('MCP_POOL_CLOSED', 'the MCP client pool is closed');
    if (!Array.isArray(configs)) throw new InvalidArgumentError('configs', 'must be an array');
    const connectTimeoutMs = positiveInteger(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      DEFAULTS.connectTimeoutMs,
    );
    const callTimeoutMs = positiveInteger(
      'callTimeoutMs',
      options.callTimeoutMs,
      DEFAULTS.callTimeoutMs,
    );
    const maxResultBytes = positiveInteger(
      'maxResultBytes',
      options.maxResultBytes,
      DEFAULTS.maxResultBytes,
    );
    const { signal, identity } = options;
    const logger = (options.logger ?? this.#logger).child({ component: 'mcp-client' });
    if (signal?.aborted) throw signal.reason;

    const held: PoolEntry[] = [];
    const opened: PoolEntry[] = [];
    const seenIds = new Map<string, number>();
    const attempts = configs.map(
      async (
        raw,
        index,
      ): Promise<{ status: McpServerStatus; entry?: PoolEntry; config?: ResolvedServerConfig }> => {
        const label = `configs[${index}]`;
        const record =
          typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
        const fallback = {
          id: typeof record.id === 'string' && record.id !== '' ? record.id : label,
          slug: typeof record.slug === 'string' ? record.slug : '',
        };
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
          const message = scrubMessage(errorMessage(error));
          logger.warn({ mcpServer: fallback.id, err: message }, 'invalid MCP server config');
          return { status: { ...fallback, status: 'failed', error: message, toolNames: [] } };
        }
        const base = { id: config.id, slug: config.slug };
        if (!config.enabled) return { status: { ...base, status: 'disabled', toolNames: [] } };
        const serverLogger = logger.child({
          mcpServer: config.id,
          ...(config.url === undefined ? {} : { url: redactUrl(config.url) }),
        });
        try {
          const { entry, created } = await this.#acquire(config, {
            connectTimeoutMs,
            callTimeoutMs,
            signal,
            identity,
            logger: serverLogger,
            token: options.userTokens?.[config.id],
            onTokenRefreshed: options.onTokenRefreshed,
          });
          held.push(entry);
          if (created) opened.push(entry);
          return { status: { ...base, status: 'connected', toolNames: [] }, entry, config };
        } catch (error) {
          if (signal?.aborted && error === signal.reason)
            return { status: { ...base, status: 'failed', error: 'aborted', toolNames: [] } };
          const message = scrubMessage(errorMessage(error));
          serverLogger.warn({ err: message }, 'MCP server failed to connect; leaving it out');
          return { status: { ...base, status: 'failed', error: message, toolNames: [] } };
        }
      },
    );
    const results = await Promise.all(attempts);

    let released = false;
    const release = async (closeOpened: boolean) => {
      if (released) return;
      released = true;
      await Promise.all(
        held.map((entry) => this.#release(entry, closeOpened && opened.includes(entry))),
      );
    };
    if (signal?.aborted) {
      await release(true);
      throw signal.reason;
    }

    const requests = results.flatMap((result) => {
      if (!result.entry || !result.config) return [];
      const config = result.config;
      return result.entry.connection.tools
        .filter((tool) => isToolAllowed(tool.name, config.toolAllowList, config.toolDenyList))
        .map((tool) => ({
          configId: config.id,
          slug: config.slug,
          toolName: tool.name,
          tool,
          entry: result.entry as PoolEntry,
        }));
    });
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
        connection: request.entry.connection,
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
    const servers: McpServerStatus[] = [];
    const unused: PoolEntry[] = [];
    for (const result of results) {
      if (result.entry && result.config) {
        const toolNames = namesByConfig.get(result.config.id) ?? [];
        if (toolNames.length === 0) {
          unused.push(result.entry);
          servers.push({ ...result.status, status: 'filtered-out', toolNames });
          continue;
        }
        servers.push({ ...result.status, toolNames });
      } else {
        servers.push(result.status);
      }
    }
    // A server left with no tools is handed back at once; nothing of it is used.
    for (const entry of unused) {
      held.splice(held.indexOf(entry), 1);
      await this.#release(entry, false);
    }
    const close = () => release(false);
    return { tools, servers, collisions, close, [Symbol.asyncDispose]: close };
  }

  /** Closes every connection (idle or held) and rejects later `connectAll` calls. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((entry) => this.#closeEntry(entry)));
    await Promise.all([...this.#closing]);
  }

  /** Same as {@link McpClientPool.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #acquire(
    config: ResolvedServerConfig,
    options: {
      connectTimeoutMs: number;
      callTimeoutMs: number;
      signal: AbortSignal | undefined;
      identity: McpIdentity | undefined;
      logger: Logger;
      token: McpUserToken | undefined;
      onTokenRefreshed: TokenRefreshedCallback | undefined;
    },
  ): Promise<{ entry: PoolEntry; created: boolean }> {
    const ownerId = options.identity?.ownerId;
    const key = poolKey(config, ownerId);
    const auth = { token: options.token, onTokenRefreshed: options.onTokenRefreshed };
    const existing = this.#entries.get(key);
    if (existing?.connection.alive) {
      existing.refs++;
      existing.idleTimer?.cancel();
      existing.idleTimer = undefined;
      existing.connection.setAuth(auth);
      try {
        await existing.ready;
        return { entry: existing, created: false };
      } catch (error) {
        existing.refs--;
        throw error;
      }
    }
    const connection = new McpConnection({
      config,
      clock: this.#clock,
      logger: options.logger,
      connectTimeoutMs: options.connectTimeoutMs,
      callTimeoutMs: options.callTimeoutMs,
      ownerId,
    });
    connection.setAuth(auth);
    const entry: PoolEntry = {
      key,
      connection,
      ready: connection.connect(options.signal, options.identity),
      refs: 1,
      idleTimer: undefined,
      stopWatching: () => {},
    };
    this.#entries.set(key, entry);
    entry.stopWatching = connection.onDead(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      if (entry.refs === 0) this.#track(connection.close());
    });
    try {
      await entry.ready;
    } catch (error) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      entry.stopWatching();
      await connection.close();
      throw error;
    }
    if (this.#closed) {
      await connection.close();
      throw new McpClientError('MCP_POOL_CLOSED', 'the MCP client pool is closed');
    }
    return { entry, created: true };
  }

  async #release(entry: PoolEntry, closeNow: boolean): Promise<void> {
    entry.refs--;
    if (entry.refs > 0) return;
    const current = this.#entries.get(entry.key) === entry;
    if (closeNow || this.#closed || !current || !entry.connection.alive) {
      if (current) this.#entries.delete(entry.key);
      await this.#closeEntry(entry);
      return;
    }
    entry.idleTimer = this.#clock.setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.refs > 0 || this.#entries.get(entry.key) !== entry) return;
      this.#entries.delete(entry.key);
      this.#track(this.#closeEntry(entry));
    }, this.#idleTimeoutMs);
    entry.idleTimer.unref();
  }

  async #closeEntry(entry: PoolEntry): Promise<void> {
    entry.idleTimer?.cancel();
    entry.idleTimer = undefined;
    entry.stopWatching();
    await entry.connection.close();
  }

  #track(closing: Promise<void>): void {
    const tracked = closing.catch(() => {}).finally(() => this.#closing.delete(tracked));
    this.#closing.add(tracked);
  }
}

/**
 * Connects to every enabled server in parallel and returns its tools for `streamText`, with a
 * private pool that the result's `close()` shuts.
 *
 * @example
 * ```ts
 * const mcp = await connectAll(configs, { userTokens, identity: { ownerId, chatId } });
 * try {
 *   const result = streamText({ model, tools: mcp.tools, stopWhen: stepCountIs(5), prompt });
 *   for await (const part of result.fullStream) { … }
 * } finally {
 *   await mcp.close();
 * }
 * ```
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` when `configs` is not an array or an option
 *   is out of range.
 * @throws the signal's reason when `options.signal` aborts.
 */
export async function connectAll(
  configs: readonly unknown[],
  { clock, ...options }: ConnectAllStandaloneOptions = {},
): Promise<McpToolSet> {
  const pool = new McpClientPool({
    ...(clock === undefined ? {} : { clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  let result: McpToolSet;
  try {
    result = await pool.connectAll(configs, options);
  } catch (error) {
    await pool.close();
    throw error;
  }
  const close = async () => {
    await result.close();
    await pool.close();
  };
  return { ...result, close, [Symbol.asyncDispose]: close };
}
