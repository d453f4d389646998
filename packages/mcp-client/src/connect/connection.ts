import { type Clock, type Logger, withDeadline } from '@chatd/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  type Tool as McpTool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpIdentity } from '../auth/index.js';
import type { ResolvedServerConfig } from '../config/index.js';
import { errorMessage, McpClientError, type McpClientErrorCode } from '../errors/index.js';
import { listAllTools, SDK_TIMEOUT_MS } from './list-tools.js';
import { type ConnectionAuth, RequestAuth } from './request-auth.js';
import { type RequestContext, requestContext } from './request-context.js';
import { scrubMessage } from './scrub.js';
import { childPid, createTransport, describeServer } from './transports.js';

/** Replaced with the package version by tsup's `define` at build time. */
declare const __CHATD_MCP_CLIENT_VERSION__: string | undefined;

/** The client info sent in `initialize`. */
export const CLIENT_INFO = {
  name: 'chatd',
  version:
    typeof __CHATD_MCP_CLIENT_VERSION__ === 'string' ? __CHATD_MCP_CLIENT_VERSION__ : '0.0.0-dev',
} as const;

/**
 * The MCP SDK's report of a broken response stream. The SDK itself only reports it and keeps
 * the request waiting (until its timeout, or a resumption if the server sent event ids).
 */
const STREAM_BROKEN = /^(SSE stream disconnected|Failed to reconnect)/;

/** Options of {@link McpConnection}. */
export interface McpConnectionOptions {
  /** The validated server config. */
  config: ResolvedServerConfig;
  /** Clock of every deadline. */
  clock: Clock;
  /** Logger, already a child with the server's id. */
  logger: Logger;
  /** Budget of connect + initialize + tools/list. */
  connectTimeoutMs: number;
  /** Budget of one tool call. */
  callTimeoutMs: number;
  /** The user the connection belongs to (forwarded on background requests). */
  ownerId: string | undefined;
}

interface Session {
  client: Client;
  transport: Transport;
  /** Tool calls sent on this session and not settled yet. */
  inFlight: number;
  /** Replaced by a reconnect: closed once its in-flight calls have settled. */
  retired: boolean;
}

/** Whether an error means the server no longer knows the session (HTTP 404). */
export function isSessionExpired(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404;
  return error instanceof Error && /\(HTTP 404\)/.test(error.message);
}

/**
 * One live connection to one MCP server: the session (SDK client and transport), the server's
 * tool list, and the {@link RequestAuth} applied to every HTTP request.
 *
 * A session lives until the connection closes, the server forgets it (a 404 reconnects once,
 * see {@link McpConnection.callTool}) or it breaks on its own (the connection is then dead and
 * the pool drops it).
 *
 * @internal
 */
export class McpConnection {
  /** The config the connection was opened for (an edited config gets a new connection). */
  readonly config: ResolvedServerConfig;
  /** The server's tools as last listed (all of them; filtering happens when tools are built). */
  tools: readonly McpTool[] = [];
  /** Incremented whenever `tools` changes. */
  toolsVersion = 0;
  readonly #options: McpConnectionOptions;
  readonly #logger: Logger;
  readonly #auth: RequestAuth;
  #session: Session | undefined;
  #generation = 0;
  #reconnecting: Promise<void> | undefined;
  #refreshingTools: Promise<void> | undefined;
  #toolsStale = false;
  #closed = false;
  #dead = false;
  /** Aborted by `close()`, which stops an open in progress. */
  readonly #lifetime = new AbortController();
  #opening: Promise<Session> | undefined;
  /** Sessions replaced by a reconnect whose in-flight calls have not settled yet. */
  readonly #retired = new Set<Session>();
  /** Closes running in the background, awaited by `close()`. */
  readonly #background = new Set<Promise<void>>();
  readonly #onDead = new Set<() => void>();
  readonly #pids = new Set<number>();

  constructor(options: McpConnectionOptions) {
    this.#options = options;
    this.config = options.config;
    this.#logger = options.logger;
    this.#auth = new RequestAuth({
      config: options.config,
      clock: options.clock,
      logger: options.logger,
      lifetime: this.#lifetime.signal,
      ownerId: options.ownerId,
    });
  }

  /** Whether the connection can still serve calls. */
  get alive(): boolean {
    return !this.#closed && !this.#dead;
  }

  /** Process ids of stdio children this connection started (for leak checks). */
  get childPids(): readonly number[] {
    return [...this.#pids];
  }

  /** Replaces the token and refresh callback used from the next request on. */
  setAuth(auth: ConnectionAuth): void {
    this.#auth.set(auth);
  }

  /** Calls `listener` once when the connection dies on its own (transport closed, child exited). */
  onDead(listener: () => void): () => void {
    this.#onDead.add(listener);
    return () => this.#onDead.delete(listener);
  }

  /**
   * Connects, initializes and lists tools within one budget.
   *
   * @throws McpClientError `MCP_CONNECT_TIMEOUT` or `MCP_CONNECT_FAILED`; the caller's abort
   *   reason when `signal` aborts.
   */
  async connect(signal: AbortSignal | undefined, identity: McpIdentity | undefined): Promise<void> {
    const session = await requestContext.run({ identity }, () => this.#open(signal));
    if (this.#closed) {
      await this.#closeSession(session);
      throw new McpClientError('MCP_CONNECT_FAILED', 'connection closed while connecting');
    }
    this.#session = session;
  }

  /**
   * Calls a tool by its original name within the call budget. On an expired session it
   * reconnects once and retries: the server answered 404 without running the call.
   *
   * @throws McpClientError `MCP_CALL_TIMEOUT`, `MCP_CALL_FAILED`, `MCP_SESSION_EXPIRED` (still 404
   *   after the reconnect), `MCP_CONNECT_*` (the reconnect failed); the abort reason on abort.
   */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    { signal, identity }: { signal?: AbortSignal | undefined; identity?: McpIdentity | undefined },
  ): Promise<CallToolResult> {
    // A call made while another call is re-establishing the session waits for the new one.
    await this.#reconnecting?.catch(() => {});
    const generation = this.#generation;
    try {
      return await this.#callOnce(name, args, signal, identity);
    } catch (error) {
      if (!isSessionExpired(error) || signal?.aborted || this.#closed) throw error;
      this.#logger.warn('MCP session expired; reconnecting once');
      await this.#reconnect(generation, identity);
      try {
        return await this.#callOnce(name, args, signal, identity);
      } catch (retryError) {
        if (!isSessionExpired(retryError)) throw retryError;
        throw new McpClientError(
          'MCP_SESSION_EXPIRED',
          `MCP server ${this.config.slug} rejected the session again after reconnecting`,
          { cause: retryError, retryable: true },
        );
      }
    }
  }

  /** Closes the client, the transport and any child process. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onDead.clear();
    this.#lifetime.abort(
      new McpClientError('MCP_CONNECT_FAILED', 'the connection was closed while connecting'),
    );
    const session = this.#session;
    this.#session = undefined;
    await this.#opening?.catch(() => {});
    await this.#reconnecting?.catch(() => {});
    await this.#refreshingTools?.catch(() => {});
    const sessions = new Set([...this.#retired, ...(session ? [session] : [])]);
    if (this.#session) sessions.add(this.#session);
    this.#retired.clear();
    await Promise.all([...sessions].map((open) => this.#closeSession(open)));
    await Promise.all([...this.#background]);
  }

  /** Makes a message safe for logs and statuses: URLs redacted, known secrets removed. */
  scrub(text: string): string {
    return scrubMessage(text, this.#auth.secrets());
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch(() => {}).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  async #callOnce(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
    identity: McpIdentity | undefined,
  ): Promise<CallToolResult> {
    const session = this.#session;
    if (!session || !this.alive) {
      throw new McpClientError(
        'MCP_CALL_FAILED',
        `MCP server ${this.config.slug} is not connected`,
      );
    }
    session.inFlight++;
    try {
      return await this.#callWithin(session, name, args, signal, identity);
    } finally {
      session.inFlight--;
      if (session.retired && session.inFlight === 0) this.#track(this.#closeRetired(session));
    }
  }

  async #callWithin(
    session: Session,
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
    identity: McpIdentity | undefined,
  ): Promise<CallToolResult> {
    const { clock, callTimeoutMs } = this.#options;
    // Aborted when the HTTP response stream of this call breaks: the server may have run the
    // call, so it ends as an error now instead of at the timeout, and is not retried.
    const lost = new AbortController();
    const context: RequestContext = {
      identity,
      onConnectionLost: () =>
        lost.abort(
          new McpClientError(
            'MCP_CALL_FAILED',
            `the connection to MCP server ${this.config.slug} was lost during the call to ${name}; it may have run, so it is not retried`,
          ),
        ),
    };
    return withDeadline(
      {
        clock,
        timeoutMs: callTimeoutMs,
        signal: signal ? AbortSignal.any([signal, lost.signal]) : lost.signal,
        onTimeout: () =>
          new McpClientError(
            'MCP_CALL_TIMEOUT',
            `tool ${name} on MCP server ${this.config.slug} timed out after ${callTimeoutMs} ms`,
            { retryable: true },
          ),
      },
      (deadlineSignal) =>
        // The signal makes the SDK send notifications/cancelled when the deadline passes or the
        // AI SDK aborts the step.
        requestContext.run(
          context,
          () =>
            session.client.callTool({ name, arguments: args }, undefined, {
              signal: deadlineSignal,
              timeout: SDK_TIMEOUT_MS,
            }) as Promise<CallToolResult>,
        ),
    );
  }

  async #reconnect(generation: number, identity: McpIdentity | undefined): Promise<void> {
    if (generation !== this.#generation) return; // another call already reconnected
    this.#reconnecting ??= (async () => {
      const session = await requestContext.run({ identity }, () => this.#open(undefined));
      if (this.#closed) {
        await this.#closeSession(session);
        return;
      }
      // The old session stays open until its in-flight calls settle: calls sent on it before
      // the server forgot it get their own 404 and retry here, instead of being cut off.
      const old = this.#session;
      this.#session = session;
      this.#generation++;
      if (old) {
        old.retired = true;
        if (old.inFlight === 0) await this.#closeRetired(old);
        else this.#retired.add(old);
      }
    })().finally(() => {
      this.#reconnecting = undefined;
    });
    try {
      await this.#reconnecting;
    } catch (error) {
      this.#markDead();
      throw error;
    }
  }

  /** Opens a session; `close()` aborts an open in progress and waits for it to unwind. */
  async #open(signal: AbortSignal | undefined): Promise<Session> {
    const opening = this.#openWithin(signal);
    this.#opening = opening;
    try {
      return await opening;
    } finally {
      if (this.#opening === opening) this.#opening = undefined;
    }
  }

  async #openWithin(signal: AbortSignal | undefined): Promise<Session> {
    const { clock, connectTimeoutMs } = this.#options;
    const where = describeServer(this.config);
    let session: Session | undefined;
    const lifetime = this.#lifetime.signal;
    try {
      return await withDeadline(
        {
          clock,
          timeoutMs: connectTimeoutMs,
          signal: signal ? AbortSignal.any([signal, lifetime]) : lifetime,
          onTimeout: () =>
            new McpClientError(
              'MCP_CONNECT_TIMEOUT',
              `connecting to ${where} timed out after ${connectTimeoutMs} ms`,
              { retryable: true },
            ),
        },
        async (deadlineSignal) => {
          session = this.#newSession();
          const opened = session;
          await opened.client.connect(opened.transport, {
            signal: deadlineSignal,
            timeout: SDK_TIMEOUT_MS,
          });
          this.#trackChild(opened.transport);
          this.#setTools(await listAllTools(opened.client, deadlineSignal, this.#logger));
          return opened;
        },
      );
    } catch (error) {
      if (session) await this.#closeSession(session);
      if (signal?.aborted && error === signal.reason) throw error;
      if (McpClientError.isInstance<McpClientErrorCode>(error)) {
        throw new McpClientError(error.code, this.scrub(error.message), {
          retryable: error.retryable,
        });
      }
      throw new McpClientError(
        'MCP_CONNECT_FAILED',
        `connecting to ${where} failed: ${this.scrub(errorMessage(error))}`,
        { retryable: true },
      );
    }
  }

  /** A client and transport wired to this connection, not connected yet. */
  #newSession(): Session {
    const transport = createTransport(this.config, {
      fetch: this.#auth.addsHeaders ? this.#auth.fetch : undefined,
      onStderrLine: (line) => this.#logger.info({ stderr: this.scrub(line) }, 'MCP server stderr'),
    });
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const session: Session = { client, transport, inFlight: 0, retired: false };
    client.onerror = (error) => {
      // The SDK reports a broken response stream from inside the call that owns it, so the
      // request context says which call lost its connection.
      const onConnectionLost = requestContext.getStore()?.onConnectionLost;
      if (onConnectionLost && STREAM_BROKEN.test(errorMessage(error))) onConnectionLost(error);
      this.#logger.debug({ err: this.scrub(errorMessage(error)) }, 'MCP transport error');
    };
    client.onclose = () => this.#onSessionClosed(session);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.#session === session) void this.#refreshTools();
    });
    return session;
  }

  #trackChild(transport: Transport): void {
    const pid = childPid(transport);
    if (pid !== undefined) this.#pids.add(pid);
  }

  #setTools(tools: McpTool[]): void {
    this.tools = tools;
    this.toolsVersion++;
  }

  /** Re-lists tools after `notifications/tools/list_changed`; merges overlapping notifications. */
  #refreshTools(): Promise<void> {
    if (this.#refreshingTools) {
      this.#toolsStale = true;
      return this.#refreshingTools;
    }
    this.#refreshingTools = (async () => {
      do {
        this.#toolsStale = false;
        const session = this.#session;
        if (!session || this.#closed) return;
        const { clock, connectTimeoutMs } = this.#options;
        try {
          const tools = await withDeadline(
            {
              clock,
              timeoutMs: connectTimeoutMs,
              onTimeout: () => new McpClientError('MCP_CONNECT_TIMEOUT', 'tools/list timed out'),
            },
            (signal) => listAllTools(session.client, signal, this.#logger),
          );
          if (this.#session === session) this.#setTools(tools);
          this.#logger.debug({ toolCount: tools.length }, 'MCP tool list refreshed');
        } catch (error) {
          this.#logger.warn({ err: this.scrub(errorMessage(error)) }, 'refreshing tools failed');
        }
      } while (this.#toolsStale);
    })().finally(() => {
      this.#refreshingTools = undefined;
    });
    return this.#refreshingTools;
  }

  #onSessionClosed(session: Session): void {
    if (this.#session !== session || this.#closed || this.#reconnecting) return;
    this.#logger.warn('MCP server connection closed');
    this.#markDead();
  }

  #markDead(): void {
    if (this.#dead) return;
    this.#dead = true;
    const listeners = [...this.#onDead];
    this.#onDead.clear();
    for (const listener of listeners) listener();
  }

  async #closeRetired(session: Session): Promise<void> {
    this.#retired.delete(session);
    await this.#closeSession(session);
  }

  async #closeSession(session: Session): Promise<void> {
    this.#trackChild(session.transport);
    try {
      await session.client.close();
    } catch (error) {
      this.#logger.debug({ err: this.scrub(errorMessage(error)) }, 'closing MCP client failed');
    }
    try {
      await session.transport.close();
    } catch {
      // Already closed by the client.
    }
  }
}
