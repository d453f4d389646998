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

  /**
   * @param headers - Sent with the 200 beside the event-stream headers: those the reply had
   *   before it was taken over (CORS), and the AI SDK's UI message stream protocol header.
   */
  constructor(
    response: ServerResponse,
    {
      heartbeatMs = HEARTBEAT_MS,
      headers = {},
    }: {
      heartbeatMs?: number;
      headers?: Record<string, string | number | string[] | undefined>;
    } = {},
  ) {
    this.#response = response;
    response.writeHead(200, {
      ...headers,
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
  send(data: unknown, id?: string): Promise<void> {
    return this.sendData(JSON.stringify(data), id);
  }

  /**
   * Writes one event whose `data:` line is `text` as it is (the UI message stream's `[DONE]`);
   * resolves once buffered out, or when the client is gone.
   */
  async sendData(text: string, id?: string): Promise<void> {
    if (this.#closed) return;
    const frame = `${id === undefined ? '' : `id: ${id}\n`}data: ${text}\n\n`;
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

/**
 * The server's open streams, each with the token that opened it: shutdown ends them all, and
 * revoking a token ends the streams it opened (they would otherwise run on unchecked).
 */
export class OpenStreams {
  readonly #tokens = new Map<SseWriter, string | undefined>();

  get size(): number {
    return this.#tokens.size;
  }

  add(writer: SseWriter, tokenId: string | undefined): void {
    this.#tokens.set(writer, tokenId);
  }

  delete(writer: SseWriter): void {
    this.#tokens.delete(writer);
  }

  /** Ends the streams a token opened. */
  closeOpenedWith(tokenId: string): void {
    for (const [writer, opener] of this.#tokens) if (opener === tokenId) writer.close();
  }

  /** Ends every stream. */
  closeAll(): void {
    for (const writer of this.#tokens.keys()) writer.close();
  }
}
