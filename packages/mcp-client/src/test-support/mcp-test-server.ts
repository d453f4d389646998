import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  type HttpHandler,
  type LoopbackHttpServer,
  readBody,
  sendJson,
  startHttpServer,
} from './http-server.js';

/** One request the test server saw. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path without query. */
  path: string;
  /** Request headers (lower-case names). */
  headers: IncomingHttpHeaders;
}

/** Options of {@link startMcpTestServer}. */
export interface McpTestServerOptions {
  /** Registers tools on each new McpServer (one per session). */
  setup?: (server: McpServer) => void;
  /** Builds a low-level server instead of an McpServer (e.g. for paginated tools/list). */
  createServer?: () => Server;
  /** Never answer: `initialize` over Streamable HTTP, or the SSE stream's endpoint event. */
  hang?: boolean;
  /** Extra routes (e.g. a fake OAuth token endpoint), tried first. */
  routes?: HttpHandler;
  /** Delay before handling each request, in ms, to model a remote server (benchmarks). */
  latencyMs?: number;
  /** While it returns true, every Streamable HTTP `tools/call` gets HTTP 404 (session unknown). */
  rejectCalls?: () => boolean;
}

/** A real MCP server over Streamable HTTP (`/mcp`) and legacy SSE (`/sse` + `/messages`). */
export interface McpTestServer {
  /** Streamable HTTP endpoint. */
  url: string;
  /** Legacy SSE endpoint. */
  sseUrl: string;
  /** The loopback origin. */
  origin: string;
  /** Every request seen, in order. */
  requests: RecordedRequest[];
  /** The MCP server instances, one per session, in creation order. */
  instances: (McpServer | Server)[];
  /** Number of live sessions. */
  readonly sessionCount: number;
  /** Forgets every session: the next request of a client gets HTTP 404. */
  expireSessions(): void;
  /** Destroys every open socket, discarding unsent data. */
  dropConnections(): void;
  /** Closes every session and the HTTP server. */
  close(): Promise<void>;
}

/** Starts an MCP test server on 127.0.0.1:0 that records the headers of every request. */
export async function startMcpTestServer(
  options: McpTestServerOptions = {},
): Promise<McpTestServer> {
  const requests: RecordedRequest[] = [];
  const instances: (McpServer | Server)[] = [];
  const streamable = new Map<string, StreamableHTTPServerTransport>();
  const sse = new Map<string, SSEServerTransport>();
  const hung = new Set<ServerResponse>();
  const newServer = (): McpServer | Server => {
    const server = options.createServer?.() ?? new McpServer({ name: 'test', version: '1.0.0' });
    if (server instanceof McpServer) options.setup?.(server);
    instances.push(server);
    return server;
  };

  const handler: HttpHandler = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({
      method: request.method ?? '',
      path: url.pathname,
      headers: { ...request.headers },
    });
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (options.routes && (await options.routes(request, response))) return true;
    if (url.pathname === '/mcp') {
      const sessionId = request.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const transport = streamable.get(sessionId);
        if (!transport) {
          sendJson(response, 404, {
            jsonrpc: '2.0',
            error: { code: -32001, message: 'Session not found' },
            id: null,
          });
          return true;
        }
        if (options.rejectCalls?.() && request.method === 'POST') {
          const body: unknown = JSON.parse(await readBody(request));
          if ((body as { method?: unknown }).method === 'tools/call') {
            sendJson(response, 404, {
              jsonrpc: '2.0',
              error: { code: -32001, message: 'Session not found' },
              id: null,
            });
            return true;
          }
          await transport.handleRequest(request, response, body);
          return true;
        }
        await transport.handleRequest(request, response);
        return true;
      }
      if (options.hang) {
        hung.add(response);
        return true;
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => {
          streamable.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) streamable.delete(transport.sessionId);
      };
      await newServer().connect(transport);
      await transport.handleRequest(request, response);
      return true;
    }
    if (url.pathname === '/sse' && request.method === 'GET') {
      if (options.hang) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.flushHeaders();
        hung.add(response);
        return true;
      }
      const transport = new SSEServerTransport('/messages', response);
      sse.set(transport.sessionId, transport);
      response.on('close', () => sse.delete(transport.sessionId));
      await newServer().connect(transport);
      return true;
    }
    if (url.pathname === '/messages' && request.method === 'POST') {
      const transport = sse.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) {
        sendJson(response, 404, { error: 'unknown session' });
        return true;
      }
      await transport.handlePostMessage(request, response);
      return true;
    }
    return false;
  };

  const http: LoopbackHttpServer = await startHttpServer(handler);
  return {
    url: `${http.origin}/mcp`,
    sseUrl: `${http.origin}/sse`,
    origin: http.origin,
    requests,
    instances,
    get sessionCount() {
      return streamable.size + sse.size;
    },
    expireSessions: () => {
      streamable.clear();
      sse.clear();
    },
    dropConnections: () => http.dropConnections(),
    close: async () => {
      for (const response of hung) response.destroy();
      await Promise.all(instances.map((server) => server.close().catch(() => {})));
      await http.close();
    },
  };
}
