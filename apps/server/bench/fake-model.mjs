// @ts-check
/*
 * The benchmarks' model: a local OpenAI-compatible chat-completions server
 * (`POST /v1/chat/completions`) in its own process. A streaming request gets a reply of
 * TOKENS one-token deltas (`tok`, then ` tok`…); a non-streaming one (chatd's title call) a
 * three-word title. `POST /control` with `{ firstTokenMs, tokenIntervalMs }` switches between
 * "instant" (0/0: every chunk in one write) and "paced" replies; `POST /stats` counts requests.
 * `POST /timings` returns, and forgets, when each streamed request marked `#<marker>` in its
 * prompt arrived and when its first token was written (wall-clock ms, sub-ms precision, so the
 * bench can split a client's wait into "until the model was called" and "after its first
 * token").
 *
 * Plain JavaScript so it runs under `node` with no loader. In its own process so the clients'
 * parsing in the bench process never delays a token, and its CPU is in neither server's count.
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import { createServer } from 'node:http';

const TOKENS = Number(process.env.FAKE_TOKENS ?? 200);

let firstTokenMs = 0;
let tokenIntervalMs = 0;
const stats = { streamed: 0, titles: 0 };
/** @type {Record<string, [calledAt: number, firstTokenAt: number]>} */
let timings = {};

const now = () => performance.timeOrigin + performance.now();

/** @param {number} index */
const token = (index) => (index === 0 ? 'tok' : ' tok');

/** @param {object} fields */
const frame = (fields) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: 'bench', ...fields })}\n\n`;

/**
 * @param {object} delta
 * @param {string | null} [finishReason]
 */
const deltaFrame = (delta, finishReason = null) =>
  frame({ choices: [{ index: 0, delta, finish_reason: finishReason }] });

const head = deltaFrame({ role: 'assistant', content: '' });
const tail = `${deltaFrame({}, 'stop')}${frame({
  choices: [],
  usage: { prompt_tokens: 10, completion_tokens: TOKENS, total_tokens: TOKENS + 10 },
})}data: [DONE]\n\n`;
const instantBody =
  head +
  Array.from({ length: TOKENS }, (_, index) => deltaFrame({ content: token(index) })).join('') +
  tail;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {import('node:http').IncomingMessage} request
 * @returns {Promise<string>}
 */
async function readBody(request) {
  let raw = '';
  for await (const chunk of request) raw += chunk;
  return raw;
}

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} first
 * @param {number} interval
 * @param {[number, number] | undefined} timing
 */
async function streamPaced(response, first, interval, timing) {
  response.write(head);
  if (first > 0) await sleep(first);
  for (let index = 0; index < TOKENS; index += 1) {
    if (index > 0 && interval > 0) await sleep(interval);
    if (response.destroyed) return;
    if (index === 0 && timing !== undefined) timing[1] = now();
    response.write(deltaFrame({ content: token(index) }));
  }
  response.end(tail);
}

const server = createServer(async (request, response) => {
  const raw = await readBody(request);
  const calledAt = now();
  if (request.url === '/control') {
    const body = JSON.parse(raw);
    firstTokenMs = Number(body.firstTokenMs ?? 0);
    tokenIntervalMs = Number(body.tokenIntervalMs ?? 0);
    response.end('{}');
    return;
  }
  if (request.url === '/stats') {
    response.end(JSON.stringify(stats));
    return;
  }
  if (request.url === '/timings') {
    response.end(JSON.stringify(timings));
    timings = {};
    return;
  }
  const body = JSON.parse(raw);
  if (body.stream !== true) {
    stats.titles += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        created: 0,
        model: 'bench',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Benchmark chat title' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      }),
    );
    return;
  }
  stats.streamed += 1;
  const marker = [...JSON.stringify(body.messages).matchAll(/#(m[0-9a-z-]+)/g)].at(-1)?.[1];
  /** @type {[number, number] | undefined} */
  const timing = marker === undefined ? undefined : [calledAt, Number.NaN];
  if (marker !== undefined && timing !== undefined) timings[marker] = timing;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (firstTokenMs === 0 && tokenIntervalMs === 0) {
    if (timing !== undefined) timing[1] = now();
    response.end(instantBody);
  } else await streamPaced(response, firstTokenMs, tokenIntervalMs, timing);
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
