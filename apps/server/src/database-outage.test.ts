import { once } from 'node:events';
import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '@chatd/message-store/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config.js';
import { type ChatdServer, createServer } from './server.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const TOKEN = 'outage-admin-token-0123456789abcdef';

/** A TCP proxy to Postgres that can be taken down (refusing connections) and brought back. */
class PostgresProxy {
  readonly #target: URL;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  port = 0;

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.#target.port || 5432), this.#target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Cuts every connection and refuses new ones, as a Postgres server that went away. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  url(database: string): string {
    const url = new URL(this.#target);
    url.host = `127.0.0.1:${this.port}`;
    url.pathname = `/${database}`;
    return url.toString();
  }
}

describe.skipIf(serverUrl === undefined)('the server while Postgres is unreachable', () => {
  let database: TestDatabase;
  let proxy: PostgresProxy;
  let server: ChatdServer;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl as string);
    proxy = new PostgresProxy(serverUrl as string);
    await proxy.start();
    server = await createServer(
      loadConfig({
        PORT: '0',
        DATABASE_URL: proxy.url(new URL(database.url).pathname.slice(1)),
        CHATD_ADMIN_TOKEN: TOKEN,
        CHATD_SECRET_KEY: 'outage-test-secret-key-0123456789abcdef',
        CHATD_WORKER: '0',
      }),
      { logLevel: 'silent' },
    );
    url = await server.listen();
  });
  afterAll(async () => {
    await proxy?.start();
    await server?.close();
    await proxy?.stop();
    await database?.drop();
  });

  const listChats = () =>
    fetch(`${url}/v1/chats`, { headers: { authorization: `Bearer ${TOKEN}` } });

  it('answers 503 DATABASE_UNREACHABLE without the database address, then recovers', async () => {
    expect((await listChats()).status).toBe(200);
    await proxy.stop();
    // The pool drops the connections the outage cut; the next ones are refused.
    await vi.waitFor(
      async () => {
        const response = await listChats();
        expect(response.status).toBe(503);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('DATABASE_UNREACHABLE');
        expect(body.error.message).not.toContain(String(proxy.port));
      },
      { timeout: 10_000, interval: 100 },
    );
    await proxy.start();
    await vi.waitFor(async () => expect((await listChats()).status).toBe(200), {
      timeout: 10_000,
      interval: 100,
    });
  });
});
