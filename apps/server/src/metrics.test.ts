import { afterEach, describe, expect, it, vi } from 'vitest';
import { readStream } from './test-support/read-stream.js';
import { ADMIN_TOKEN, call, startTestServer, type TestServer } from './test-support/test-server.js';

let started: TestServer | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

/** One series of the server's `/metrics`, or 0 when it has none yet. */
async function scrape(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const STREAMS_TIMED =
  'chatd_http_request_duration_seconds_count{method="GET",route="/v1/chats/:id/stream",status="200"}';

describe('chatd_http_request_duration_seconds', () => {
  it('times a stream once when it ends, whether its client closes it or the server ends it', async () => {
    started = await startTestServer({ CHATD_DEMO_DELAY_MS: '0' });
    const { url } = started;
    const first = await call(url, ADMIN_TOKEN, 'POST', '/v1/chats', { content: 'hello' });
    // The client goes away after the first event: the response never finishes, it closes.
    await readStream(url, ADMIN_TOKEN, first.body.id, () => true);
    await vi.waitFor(async () => expect(await scrape(url, STREAMS_TIMED)).toBe(1), {
      timeout: 10_000,
    });

    // The server ends this one (its chat is deleted): finished, then closed, timed once.
    const second = await call(url, ADMIN_TOKEN, 'POST', '/v1/chats', { content: 'hello' });
    const ended = readStream(url, ADMIN_TOKEN, second.body.id, () => false);
    await vi.waitFor(async () => expect(await scrape(url, 'chatd_open_streams')).toBe(1), {
      timeout: 10_000,
    });
    expect((await call(url, ADMIN_TOKEN, 'DELETE', `/v1/chats/${second.body.id}`)).status).toBe(
      204,
    );
    await ended;
    await vi.waitFor(async () => expect(await scrape(url, 'chatd_open_streams')).toBe(0), {
      timeout: 10_000,
    });
    await vi.waitFor(async () => expect(await scrape(url, STREAMS_TIMED)).toBe(2), {
      timeout: 10_000,
    });
    // Both the response's `finish` and its `close` have passed by now: still one observation.
    await call(url, ADMIN_TOKEN, 'GET', '/v1/chats');
    expect(await scrape(url, STREAMS_TIMED)).toBe(2);
  });
});
