import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A reply the fake provider streams: its text in chunks, optionally held before one. */
export interface ScriptedReply {
  chunks: string[];
  /** Stop before this chunk until {@link FakeProvider.release} is called. */
  holdBefore?: number;
  /** Answer with this HTTP error status (and `message`) instead of a stream. */
  status?: number;
  /** The provider's error message with `status`. */
  message?: string;
}

/**
 * A local OpenAI-compatible chat-completions server for the CLI's terminal tests: the server
 * under test reaches it through a stored model configuration, so a reply can be any markdown,
 * streamed in small chunks, and held mid-stream while the test looks at the terminal.
 */
export class FakeProvider {
  readonly #replies: ScriptedReply[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => void this.#answer(JSON.parse(body) as { stream?: boolean }, response));
  });
  #release: (() => void) | undefined;
  #holding: Promise<void>;
  #held: () => void = () => {};

  constructor() {
    this.#holding = new Promise((resolve) => {
      this.#held = resolve;
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 and a free port. */
  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return this;
  }

  /** The base URL of a model configuration (`…/v1`). */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  /** Queues replies for the next streaming requests; without one a short answer is sent. */
  reply(...replies: ScriptedReply[]): void {
    this.#replies.push(...replies);
  }

  /** Resolves once a reply is held at its `holdBefore` chunk (the next hold after a release). */
  get holding(): Promise<void> {
    return this.#holding;
  }

  /** Lets a held reply go on. */
  release(): void {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    this.#holding = new Promise((resolve) => {
      this.#held = resolve;
    });
    release();
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(body: { stream?: boolean }, response: ServerResponse): Promise<void> {
    const usage = { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 };
    const base = { id: 'chatcmpl-1', created: 1, model: 'fake' };
    if (body.stream !== true) {
      // A title request.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Fake' }, finish_reason: 'stop' },
          ],
          usage,
        }),
      );
      return;
    }
    const reply = this.#replies.shift() ?? { chunks: ['A short answer.'] };
    if (reply.status !== undefined) {
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: { message: reply.message ?? 'fake failure', type: 'invalid_request_error' },
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
    for (const [index, chunk] of reply.chunks.entries()) {
      if (index === reply.holdBefore) {
        const released = new Promise<void>((resolve) => {
          this.#release = resolve;
        });
        this.#held();
        await released;
        // The request was given up while held (an interrupted turn).
        if (response.destroyed) return;
      }
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: chunk }, finish_reason: null }],
      });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    send({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      usage,
    });
    response.end('data: [DONE]\n\n');
  }
}
