import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** A server's connections and the requests in flight on them, for a graceful close. */
export interface ConnectionTracker {
  /** Resolves once no request is in flight (at once when none is). */
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
  let requests = 0;
  let onRequestsDone: (() => void) | undefined;
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
    requests += 1;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      requests -= 1;
      if (requests === 0) onRequestsDone?.();
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
      endIfIdle(socket);
    });
  });
  return {
    requestsDone() {
      if (requests === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const previous = onRequestsDone;
        onRequestsDone = () => {
          onRequestsDone = undefined;
          previous?.();
          resolve();
        };
      });
    },
    closeIdle() {
      closing = true;
      for (const socket of inFlight.keys()) endIfIdle(socket);
    },
  };
}
