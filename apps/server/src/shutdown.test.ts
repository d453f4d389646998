/*
 * A graceful close over real connections: it answers the requests in flight and waits for
 * nothing else, not even a client that keeps a connection open without using it.
 */
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer } from './test-support/test-server.js';

/** A raw TCP connection to `url` and everything the server sent on it, until it ends. */
async function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = once(socket, 'close').then(() => received);
  return { socket, ended };
}

describe('closing the server', () => {
  it('ends a connection that never sent a request instead of waiting for its client', async () => {
    const started = await startTestServer();
    const { socket, ended } = await rawConnection(started.url);
    // The server has taken the connection (it is no longer only in the listen backlog).
    const { server } = started.server.app;
    const connections = () =>
      new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
    await expect.poll(connections).toBeGreaterThan(0);
    await started.close();
    expect(await ended).toBe('');
    expect(socket.destroyed).toBe(true);
  });

  it('ends an idle keep-alive connection', async () => {
    const started = await startTestServer();
    const agent = new Agent({ keepAlive: true });
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request(`${started.url}/healthz`, { agent }, (response) => {
          response.resume().on('end', () => resolve(response.statusCode));
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      const [socket] = Object.values(agent.freeSockets).flat();
      expect(socket).toBeDefined();
      const closed = once(socket as Socket, 'close');
      await started.close();
      await closed;
    } finally {
      agent.destroy();
    }
  });

  it('answers a request in flight, then ends its connection', async () => {
    const started = await startTestServer();
    const { socket, ended } = await rawConnection(started.url);
    const body = JSON.stringify({ content: 'Sent as the server stops', title: 'In flight' });
    const arrived = once(started.server.app.server, 'request');
    socket.write(
      `POST /v1/chats HTTP/1.1\r\nhost: x\r\n` +
        `authorization: Bearer ${ADMIN_TOKEN}\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await arrived;
    const closed = started.close();
    socket.write(body.slice(5));
    await closed;
    const answer = await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer).toContain('"title":"In flight"');
  });
});
