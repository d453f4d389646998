import net from 'node:net';

/** What one side of a proxied connection sent, in arrival order. */
export interface ProxiedChunk {
  from: 'client' | 'postgres';
  text: string;
}

/** A TCP proxy in front of Postgres that records what each side sends. */
export interface RecordingProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** Everything sent through the proxy so far, in order (clear it with `length = 0`). */
  readonly traffic: ProxiedChunk[];
  /** Index of the first chunk the client sent that contains `needle` (-1: none). */
  sent(needle: string): number;
  /** Index of the first chunk Postgres sent after index `after` (-1: none). */
  replyAfter(after: number): number;
  close(): Promise<void>;
}

/** Starts a {@link RecordingProxy} for the Postgres server of `url`. */
export async function startRecordingProxy(url: string): Promise<RecordingProxy> {
  const traffic: ProxiedChunk[] = [];
  const upstream = new URL(url);
  const server = net.createServer((client) => {
    const postgres = net.connect(Number(upstream.port || 5432), upstream.hostname);
    client.on('data', (chunk) => {
      traffic.push({ from: 'client', text: chunk.toString('latin1') });
      postgres.write(chunk);
    });
    postgres.on('data', (chunk) => {
      traffic.push({ from: 'postgres', text: chunk.toString('latin1') });
      client.write(chunk);
    });
    for (const [socket, peer] of [
      [client, postgres],
      [postgres, client],
    ] as const) {
      socket.on('error', () => {});
      socket.on('close', () => peer.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const viaProxy = new URL(url);
  viaProxy.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: viaProxy.toString(),
    traffic,
    sent: (needle) =>
      traffic.findIndex(({ from, text }) => from === 'client' && text.includes(needle)),
    replyAfter: (after) =>
      traffic.findIndex(({ from }, index) => index > after && from === 'postgres'),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
