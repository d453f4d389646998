import {
  type Clock,
  InvalidArgumentError,
  type KnownOptions,
  type Logger,
  realClock,
  redactUrl,
  requireKnownOptions,
  requirePositiveInteger,
  silentLogger,
  type TimerHandle,
} from '@chatd/core';
import type { McpIdentity, McpUserToken } from '../auth/index.js';
import type { ResolvedServerConfig } from '../config/index.js';
import { errorMessage, McpClientError } from '../errors/index.js';
import { McpConnection } from './connection.js';
import { poolKey } from './pool-key.js';
import type { TokenRefreshedCallback } from './request-auth.js';
import { scrubMessage } from './scrub.js';
import {
  buildTools,
  type ConnectedServer,
  checkConfigs,
  finalStatus,
  type McpServerStatus,
  type McpToolSet,
} from './tool-set.js';

/**
 * Options of {@link McpClientPool.connectAll} and {@link connectAll}. Unknown keys (here and in
 * `identity`) are refused, so a misspelt option cannot silently fall back to its default.
 */
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
  /**
   * Cap on the text of one tool result, in UTF-8 bytes, marker included: longer text is cut
   * and ends with `[truncated: result was N bytes, limit M]`, or with the short `[truncated]`
   * when the cap is too small for that (under 11 bytes, the cut text has no marker).
   * @default 65536
   */
  maxResultBytes?: number;
}

/** Options of the plain {@link connectAll}: {@link ConnectAllOptions} plus a clock. */
export interface ConnectAllStandaloneOptions extends ConnectAllOptions {
  /** Clock of every timeout. @default realClock */
  clock?: Clock;
}

/** Options of {@link McpClientPool}. Unknown keys are refused. */
export interface McpClientPoolOptions {
  /** How long an unused connection stays open, in ms. @default 300000 */
  idleTimeoutMs?: number;
  /** Clock of the idle timers and of every timeout. @default realClock */
  clock?: Clock;
  /** Where the pool logs connect failures, refreshes and server stderr. @default silentLogger */
  logger?: Logger;
}

const CONNECT_ALL_KEYS: KnownOptions<ConnectAllOptions> = {
  userTokens: true,
  onTokenRefreshed: true,
  identity: true,
  signal: true,
  logger: true,
  connectTimeoutMs: true,
  callTimeoutMs: true,
  maxResultBytes: true,
};
const STANDALONE_KEYS: KnownOptions<ConnectAllStandaloneOptions> = {
  ...CONNECT_ALL_KEYS,
  clock: true,
};
const POOL_KEYS: KnownOptions<McpClientPoolOptions> = {
  idleTimeoutMs: true,
  clock: true,
  logger: true,
};
// A misspelt `ownerId` would put the connection under the anonymous pool key, shared by every
// caller without one.
const IDENTITY_KEYS: KnownOptions<McpIdentity> = {
  ownerId: true,
  chatId: true,
  parentChatId: true,
};

interface PoolEntry {
  key: string;
  connection: McpConnection;
  ready: Promise<void>;
  refs: number;
  idleTimer: TimerHandle | undefined;
  stopWatching: () => void;
}

/** The numeric options of one `connectAll`, checked, with their defaults filled in. */
interface ConnectLimits {
  connectTimeoutMs: number;
  callTimeoutMs: number;
  maxResultBytes: number;
}

const DEFAULT_LIMITS: ConnectLimits = {
  connectTimeoutMs: 10_000,
  callTimeoutMs: 60_000,
  maxResultBytes: 65_536,
};

/** What every server of one `connectAll` is connected with. */
interface ConnectRequest extends ConnectLimits {
  signal: AbortSignal | undefined;
  identity: McpIdentity | undefined;
  logger: Logger;
  userTokens: Record<string, McpUserToken> | undefined;
  onTokenRefreshed: TokenRefreshedCallback | undefined;
}

/** A pooled connection one `connectAll` holds, with the config it was opened for. */
interface HeldServer extends ConnectedServer {
  entry: PoolEntry;
  /** Whether this `connectAll` opened it (rather than reusing a pooled one). */
  created: boolean;
}

/** What connecting to one config came to: its status, and the connection when it connected. */
interface ServerOutcome {
  status: McpServerStatus;
  held?: HeldServer;
}

/** @throws InvalidArgumentError `INVALID_ARGUMENT` naming a limit that is set but not a positive integer. */
function connectLimits(options: ConnectAllOptions): ConnectLimits {
  const limit = (name: keyof ConnectLimits): number => {
    const value = options[name];
    return value === undefined ? DEFAULT_LIMITS[name] : requirePositiveInteger(name, value);
  };
  return {
    connectTimeoutMs: limit('connectTimeoutMs'),
    callTimeoutMs: limit('callTimeoutMs'),
    maxResultBytes: limit('maxResultBytes'),
  };
}

/**
 * The options of one `connectAll`, checked, with defaults filled in.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming an unknown key or a limit out of range.
 */
function connectRequest(options: ConnectAllOptions, poolLogger: Logger): ConnectRequest {
  requireKnownOptions(options, CONNECT_ALL_KEYS);
  requireKnownOptions(options.identity, IDENTITY_KEYS, 'options.identity');
  return {
    ...connectLimits(options),
    signal: options.signal,
    identity: options.identity,
    logger: (options.logger ?? poolLogger).child({ component: 'mcp-client' }),
    userTokens: options.userTokens,
    onTokenRefreshed: options.onTokenRefreshed,
  };
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

  /**
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `idleTimeoutMs` is not a positive
   *   integer or an option is unknown (naming it).
   */
  constructor(options: McpClientPoolOptions = {}) {
    requireKnownOptions(options, POOL_KEYS);
    const { idleTimeoutMs = 300_000, clock = realClock, logger = silentLogger } = options;
    this.#idleTimeoutMs = requirePositiveInteger('idleTimeoutMs', idleTimeoutMs);
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
   * @throws InvalidArgumentError `INVALID_ARGUMENT` when `configs` is not an array, or an option
   *   is unknown or out of range (naming it).
   * @throws McpClientError `MCP_POOL_CLOSED` after {@link McpClientPool.close}.
   * @throws the signal's reason when `options.signal` aborts.
   */
  async connectAll(
    configs: readonly unknown[],
    options: ConnectAllOptions = {},
  ): Promise<McpToolSet> {
    if (this.#closed) throw new McpClientError('MCP_POOL_CLOSED', 'the MCP client pool is closed');
    // Configs typically come straight from storage or a request body, typed only by a cast.
    if (!Array.isArray(configs)) throw new InvalidArgumentError('configs', 'must be an array');
    const request = connectRequest(options, this.#logger);
    const { signal } = request;
    if (signal?.aborted) throw signal.reason;

    const outcomes = await this.#connectServers(configs, request);
    const held = outcomes.flatMap((outcome) => (outcome.held ? [outcome.held] : []));
    if (signal?.aborted) {
      // Close what this call opened; hand back what it reused from the pool.
      await Promise.all(held.map(({ entry, created }) => this.#release(entry, created)));
      throw signal.reason;
    }
    const { tools, collisions, namesByConfig } = buildTools(held, request);
    const servers = outcomes.map(({ status, held }) => finalStatus(status, held, namesByConfig));
    const used = await this.#releaseUnused(held, namesByConfig);
    return { tools, servers, collisions, ...this.#releaser(used) };
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

  /** Validates every config and connects the valid, enabled ones in parallel, in input order. */
  #connectServers(configs: readonly unknown[], request: ConnectRequest): Promise<ServerOutcome[]> {
    return Promise.all(
      checkConfigs(configs, request.logger).map(
        (checked): ServerOutcome | Promise<ServerOutcome> =>
          'config' in checked ? this.#connectServer(checked.config, request) : checked,
      ),
    );
  }

  /**
   * Hands back at once the connections of servers left with no tools (nothing of them is used)
   * and returns the others.
   */
  async #releaseUnused(
    held: readonly HeldServer[],
    namesByConfig: ReadonlyMap<string, string[]>,
  ): Promise<PoolEntry[]> {
    const used: PoolEntry[] = [];
    for (const { config, entry } of held) {
      if (namesByConfig.has(config.id)) used.push(entry);
      else await this.#release(entry, false);
    }
    return used;
  }

  /** The idempotent `close` of a tool set: hands `entries` back to the pool. */
  #releaser(entries: readonly PoolEntry[]): Pick<McpToolSet, 'close' | typeof Symbol.asyncDispose> {
    let released = false;
    const close = async () => {
      if (released) return;
      released = true;
      await Promise.all(entries.map((entry) => this.#release(entry, false)));
    };
    return { close, [Symbol.asyncDispose]: close };
  }

  /** Connects one server (or reuses its pooled connection); a failure becomes its status. */
  async #connectServer(
    config: ResolvedServerConfig,
    request: ConnectRequest,
  ): Promise<ServerOutcome> {
    const reported = { id: config.id, slug: config.slug };
    const logger = request.logger.child({
      mcpServer: config.id,
      ...(config.url === undefined ? {} : { url: redactUrl(config.url) }),
    });
    try {
      const { entry, created } = await this.#acquire(config, request, logger);
      return {
        status: { ...reported, status: 'connected', toolNames: [] },
        held: { config, connection: entry.connection, entry, created },
      };
    } catch (error) {
      if (request.signal?.aborted && error === request.signal.reason)
        return { status: { ...reported, status: 'failed', error: 'aborted', toolNames: [] } };
      const message = scrubMessage(errorMessage(error));
      logger.warn({ err: message }, 'MCP server failed to connect; leaving it out');
      return { status: { ...reported, status: 'failed', error: message, toolNames: [] } };
    }
  }

  async #acquire(
    config: ResolvedServerConfig,
    request: ConnectRequest,
    logger: Logger,
  ): Promise<{ entry: PoolEntry; created: boolean }> {
    const ownerId = request.identity?.ownerId;
    const key = poolKey(config, ownerId);
    const auth = {
      token: request.userTokens?.[config.id],
      onTokenRefreshed: request.onTokenRefreshed,
    };
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
      logger,
      connectTimeoutMs: request.connectTimeoutMs,
      callTimeoutMs: request.callTimeoutMs,
      ownerId,
    });
    connection.setAuth(auth);
    const entry: PoolEntry = {
      key,
      connection,
      ready: connection.connect(request.signal, request.identity),
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
 *   for await (const text of result.textStream) process.stdout.write(text);
 * } finally {
 *   await mcp.close();
 * }
 * ```
 *
 * @throws InvalidArgumentError `INVALID_ARGUMENT` when `configs` is not an array, or an option
 *   is unknown or out of range (naming it).
 * @throws the signal's reason when `options.signal` aborts.
 */
export async function connectAll(
  configs: readonly unknown[],
  standaloneOptions: ConnectAllStandaloneOptions = {},
): Promise<McpToolSet> {
  // Checked before destructuring, so that null is refused by name rather than as a TypeError.
  requireKnownOptions(standaloneOptions, STANDALONE_KEYS);
  const { clock, ...options } = standaloneOptions;
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
