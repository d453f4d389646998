import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the fake server. */
export type FakeReply =
  | { kind: 'error'; status: number; headers?: Record<string, string>; message?: string }
  | {
      kind: 'text';
      /** The answer: a string streams in `chunks` pieces of equal length, an array as its pieces. */
      text: string | readonly string[];
      /** How many pieces a string streams in (3). */
      chunks?: number;
      /**
       * When given, the first `holdAfter` pieces stream at once and the rest once this settles:
       * a test holds a reply mid-stream for as long as it needs, whatever the machine's pace.
       */
      holdUntil?: Promise<unknown>;
      /** How many pieces stream before the hold (1; 0 holds before any text). */
      holdAfter?: number;
    }
  | {
      kind: 'tool-calls';
      calls: Array<{ id: string; name: string; arguments: string }>;
      text?: string;
    };

/** Options of {@link FakeOpenAI.start}. */
export interface FakeOpenAIOptions {
  /** The reply to a streaming request when none is scripted (default: a 500). */
  unscripted?: FakeReply;
}

/** A request the fake server received. */
export interface FakeRequest {
  /** The parsed JSON body. */
  body: { model: string; messages: unknown[]; tools?: unknown[]; stream?: boolean };
  /** When it arrived (`Date.now()`). */
  at: number;
}

/** What the fake server answers every non-streaming request with (chatd's title calls). */
export const FAKE_TITLE = 'A fake title';

/**
 * A local OpenAI-compatible chat-completions server (`POST /v1/chat/completions`), answering
 * each streaming request with the next scripted {@link FakeReply} (SSE): the real provider path
 * of the AI SDK, without network or keys. A non-streaming request, as chatd's title call for a
 * new chat is, gets {@link FAKE_TITLE} and takes no scripted reply, so titles never eat the
 * replies scripted for turns.
 */
export class FakeOpenAI implements AsyncDisposable {
  readonly requests: FakeRequest[] = [];
  readonly #replies: FakeReply[] = [];
  readonly #unscripted: FakeReply;
  readonly #server: Server;
  readonly #sockets = new Set<import('node:net').Socket>();

  private constructor({
    unscripted = { kind: 'error', status: 500, message: 'no reply scripted' },
  }: FakeOpenAIOptions) {
    this.#unscripted = unscripted;
    this.#server = createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
    const fake = new FakeOpenAI(options);
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    return fake;
  }

  /** The base URL to give the provider (`…/v1`). */
  get baseURL(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Queues replies, answered in order to streaming requests (see `unscripted` for the rest). */
  reply(...replies: FakeReply[]): void {
    this.#replies.push(...replies);
  }

  /**
   * Queues a text reply of `pieces` whose first `holdAfter` pieces stream at once and the rest
   * once the returned function is called: the test does what must happen mid-reply in between.
   */
  hold(pieces: readonly string[], holdAfter = 1): () => void {
    let release = () => {};
    const holdUntil = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.reply({ kind: 'text', text: pieces, holdAfter, holdUntil });
    return release;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const body = JSON.parse(raw) as FakeRequest['body'];
    this.requests.push({ body, at: Date.now() });
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 0,
          model: 'fake',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: FAKE_TITLE },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
        }),
      );
      return;
    }
    const reply = this.#replies.shift() ?? this.#unscripted;
    if (reply.kind === 'error') {
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(
        JSON.stringify({
          error: { message: reply.message ?? `status ${reply.status}`, type: 'error' },
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (fields: object) =>
      response.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'fake', ...fields })}\n\n`,
      );
    const send = (delta: object, finishReason: string | null = null) =>
      chunk({ choices: [{ index: 0, delta, finish_reason: finishReason }] });
    send({ role: 'assistant', content: '' });
    if (reply.kind === 'text') {
      const pieces =
        typeof reply.text === 'string' ? splitText(reply.text, reply.chunks ?? 3) : reply.text;
      const holdAt = reply.holdUntil === undefined ? pieces.length : (reply.holdAfter ?? 1);
      for (const [index, piece] of pieces.entries()) {
        if (index === holdAt) {
          await reply.holdUntil?.catch(() => {});
          // The client may have gone while the reply was held (an interrupted turn).
          if (response.destroyed) return;
        }
        send({ content: piece });
      }
      send({}, 'stop');
    } else {
      if (reply.text !== undefined) send({ content: reply.text });
      reply.calls.forEach((call, index) => {
        send({
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            },
          ],
        });
      });
      send({}, 'tool_calls');
    }
    chunk({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    response.end('data: [DONE]\n\n');
  }
}

function splitText(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += size)
    pieces.push(text.slice(index, index + size));
  return pieces;
}
