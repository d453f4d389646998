import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A server's connections and the requests in flight on them, for a graceful close. */
export interface ConnectionTracker {
  /**
   * Resolves once every request in flight now has been answered (requests that come later are
   * not waited for: while closing they get a quick refusal, and a steady trickle of them must
   * not hold the close up).
   */
  requestsDone(): Promise<void>;
  /**
   * Ends every connection with no request in flight, now and, from then on, each one as soon as
   * its last response is sent. Call it when the server stops accepting connections.
   */
  closeIdle(): void;
}

/**
 * Follows `server`'s connections so that a graceful close can wait for the requests in flight
 * and for nothing else. Node's own close counts a connection that has not sent a request yet as
 * busy (it is waiting for headers), so it waits until the client drops it: a browser's
 * preconnected socket or an HTTP agent's spare one can hold the close for seconds or minutes.
 */
export function trackConnections(server: Server): ConnectionTracker {
  /** Each open connection, with how many of its responses are not sent yet. */
  const inFlight = new Map<Socket, number>();
  const responses = new Set<ServerResponse>();
  let closing = false;
  const endIfIdle = (socket: Socket) => {
    // end() first, so a response just written still reaches the client.
    if (closing && inFlight.get(socket) === 0) socket.end(() => socket.destroy());
  };
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
    endIfIdle(socket);
  });
  server.on('request', (request, response) => {
    const { socket } = request;
    responses.add(response);
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      responses.delete(response);
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
      endIfIdle(socket);
    });
  });
  return {
    async requestsDone() {
      await Promise.all([...responses].map((response) => once(response, 'close')));
    },
    closeIdle() {
      closing = true;
      for (const socket of inFlight.keys()) endIfIdle(socket);
    },
  };
}
