import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** How often an idle stream sends a comment, so proxies and clients see it alive. */
export const HEARTBEAT_MS = 15_000;

/**
 * A Server-Sent Events writer on a raw response: each event is written once the previous one
 * left the socket buffer (`drain`), so a slow client holds at most one event in memory here and
 * never an unbounded backlog; the producer simply waits.
 */
export class SseWriter {
  readonly #response: ServerResponse;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(response: ServerResponse, { heartbeatMs = HEARTBEAT_MS } = {}) {
    this.#response = response;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.flushHeaders();
    this.#heartbeat = setInterval(() => {
      if (!this.#closed && response.writableLength === 0) response.write(': ping\n\n');
    }, heartbeatMs);
    this.#heartbeat.unref();
    response.once('close', () => this.close());
  }

  /** Whether the client is gone or the stream was ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes one event (`id:` when given, one `data:` line of JSON); resolves once buffered out. */
  async send(data: unknown, id?: string): Promise<void> {
    if (this.#closed) return;
    const frame = `${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
    if (!this.#response.write(frame)) {
      // Whichever comes first; the other listener is removed.
      const done = new AbortController();
      const options = { signal: done.signal };
      await Promise.race([
        once(this.#response, 'drain', options).catch(() => {}),
        once(this.#response, 'close', options).catch(() => {}),
      ]);
      done.abort();
    }
  }

  /** Ends the stream (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (!this.#response.writableEnded) this.#response.end();
  }
}
