import { connect, createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of Postgres that can make its open connections go silent without
 * closing them, like a dropped network: what a keepalive must notice. Test-only.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();

  /** Forwards connections to `host:port`; call {@link TcpProxy.listen} next. */
  constructor(host: string, port: number) {
    this.#server = createServer((client) => {
      const upstream = connect(port, host);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** The port to connect to. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  /**
   * How many sockets of this process are still connected to the proxy: the clients' ends, which
   * a silenced connection never closes by itself. Reads Node's list of active handles.
   */
  clientSocketsInThisProcess(): number {
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    return handles.filter((handle) => handle instanceof Socket && handle.remotePort === this.port)
      .length;
  }

  /** Stops forwarding on every open connection, leaving the sockets open (new ones work). */
  silenceOpenConnections(): void {
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
