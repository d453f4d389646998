import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request handler of {@link startHttpServer}; return false to answer 404. */
export type HttpHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => boolean | Promise<boolean>;

/** A node:http server on 127.0.0.1 with a random port. */
export interface LoopbackHttpServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** The node server. */
  server: Server;
  /** Destroys every open socket at once, discarding unsent data (a server dying mid-request). */
  dropConnections(): void;
  /** Closes the server and every socket. */
  close(): Promise<void>;
}

/** Reads a request body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers with JSON. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Starts a node:http server bound to 127.0.0.1 on port 0 (never on every interface). */
export async function startHttpServer(handler: HttpHandler): Promise<LoopbackHttpServer> {
  const server = createServer((request, response) => {
    Promise.resolve(handler(request, response))
      .then((handled) => {
        if (!handled && !response.headersSent) sendJson(response, 404, { error: 'not_found' });
      })
      .catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
