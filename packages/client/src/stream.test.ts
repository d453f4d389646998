import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { reconnectDelayMs } from './stream.js';
import type { ClientStreamEvent } from './types.js';

const chatId = '00000000-0000-4000-8000-000000000001';
const status = (value: string) => ({ type: 'status', chatId, status: value });
const part = (seq: number) => ({
  type: 'message-part',
  chatId,
  historyVersion: 1,
  generationAttempt: 1,
  seq,
  role: 'assistant',
  part: { type: 'text-delta', id: 't', delta: `d${seq}` },
});

let server: Server | undefined;
afterEach(async () => {
  const open = server;
  server = undefined;
  if (open === undefined) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

/** An SSE fixture: `handle` decides each connection's fate; requests are recorded. */
async function fixture(
  handle: (request: IncomingMessage, response: ServerResponse, index: number) => void,
) {
  const requests: IncomingMessage[] = [];
  server = createServer((request, response) => {
    requests.push(request);
    handle(request, response, requests.length - 1);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

function sse(response: ServerResponse, events: Array<{ id: string; data: unknown }>, end = true) {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events)
    response.write(`id: ${event.id}\ndata: ${JSON.stringify(event.data)}\n\n`);
  if (end) response.end();
}

async function collect(
  stream: AsyncIterable<ClientStreamEvent>,
  until: (event: ClientStreamEvent) => boolean,
) {
  const events: ClientStreamEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (until(event)) break;
  }
  return events;
}

describe('client.stream', () => {
  it('reconnects after the connection drops, sending the last cursor as Last-Event-ID', async () => {
    const { url, requests } = await fixture((_request, response, index) => {
      if (index === 0)
        sse(response, [
          { id: 'c-1', data: part(1) },
          { id: 'c-2', data: part(2) },
        ]);
      else
        sse(
          response,
          [
            { id: 'c-3', data: part(3) },
            { id: 'c-4', data: status('waiting') },
          ],
          false,
        );
    });
    const client = createClient({ baseUrl: url, token: 't0k3n' });
    const controller = new AbortController();
    const events = await collect(
      client.stream(chatId, { signal: controller.signal }),
      (event) => event.type === 'status',
    );
    controller.abort();
    expect(
      events.map((event) =>
        event.type === 'connection'
          ? event.state
          : event.type === 'message-part'
            ? event.seq
            : event.type,
      ),
    ).toEqual(['connecting', 'open', 1, 2, 'reconnecting', 'open', 3, 'status']);
    expect(requests[0]?.headers.authorization).toBe('Bearer t0k3n');
    expect(requests[0]?.headers['last-event-id']).toBeUndefined();
    expect(requests[1]?.headers['last-event-id']).toBe('c-2');
  });

  it('retries a 503 with backoff, and ends with a typed error on 404', async () => {
    const { url } = await fixture((_request, response, index) => {
      response.writeHead(index === 0 ? 503 : 404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: { code: index === 0 ? 'UNAVAILABLE' : 'CHAT_NOT_FOUND', message: 'nope' },
        }),
      );
    });
    const client = createClient({ baseUrl: url, token: 't' });
    const seen: ClientStreamEvent[] = [];
    const error = await (async () => {
      try {
        for await (const event of client.stream(chatId)) seen.push(event);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(seen.map((event) => (event.type === 'connection' ? event.state : event.type))).toEqual([
      'connecting',
      'reconnecting',
    ]);
    expect(error).toMatchObject({ name: 'ChatdClientError', status: 404, code: 'CHAT_NOT_FOUND' });
  });

  it('skips events of types it does not know', async () => {
    const { url } = await fixture((_request, response) => {
      sse(
        response,
        [
          { id: 'c-1', data: { type: 'from-the-future', chatId } },
          { id: 'c-2', data: status('running') },
        ],
        false,
      );
    });
    const controller = new AbortController();
    const events = await collect(
      createClient({ baseUrl: url, token: 't' }).stream(chatId, { signal: controller.signal }),
      (event) => event.type === 'status',
    );
    controller.abort();
    expect(events.filter((event) => event.type !== 'connection')).toEqual([
      { ...status('running'), cursor: 'c-2' },
    ]);
  });

  it('backs off exponentially with jitter, capped at 10 s', () => {
    expect(reconnectDelayMs(1, () => 0.5)).toBe(250);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(1000);
    expect(reconnectDelayMs(20, () => 0.5)).toBe(10_000);
    expect(reconnectDelayMs(1, () => 0)).toBe(125);
    expect(reconnectDelayMs(1, () => 0.999)).toBeLessThanOrEqual(375);
  });
});

describe('client requests', () => {
  it("calls the fetch it is given as a plain function, as a browser's fetch requires", async () => {
    const { url } = await fixture((request, response) => {
      if (request.url?.endsWith('/stream')) sse(response, [{ id: '1', data: status('waiting') }]);
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"chats":[]}');
    });
    // A browser's fetch throws when called as a method of anything but the window.
    function browserLikeFetch(
      this: unknown,
      input: Parameters<typeof fetch>[0],
      init?: RequestInit,
    ) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return fetch(input, init);
    }
    const client = createClient({ baseUrl: url, token: 't', fetch: browserLikeFetch });
    expect(await client.chats.list()).toEqual({ chats: [] });
    const events = await collect(client.stream(chatId), (event) => event.type === 'status');
    expect(events.at(-1)).toMatchObject({ type: 'status', status: 'waiting' });
  });

  it('turns an unreachable server into one clear error', async () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', token: 't' });
    await expect(client.me()).rejects.toMatchObject({
      status: 0,
      code: 'UNREACHABLE',
      message: 'Cannot reach the chatd server at http://127.0.0.1:9',
    });
  });

  it("reads the server's error body into status, code and message", async () => {
    const { url } = await fixture((_request, response) => {
      response.writeHead(429, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'QUEUE_FULL', message: 'full', details: { max: 20 } } }),
      );
    });
    await expect(
      createClient({ baseUrl: url, token: 't' }).messages.send(chatId, { content: 'x' }),
    ).rejects.toMatchObject({
      status: 429,
      code: 'QUEUE_FULL',
      message: 'full',
      details: { max: 20 },
      retryable: true,
    });
  });
});
