import type { Chatd } from '@chatd/chatd';
import type { PubSub } from '@chatd/pubsub';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServerDatabase } from './database.js';

/** The server's Prometheus metrics, on a registry of its own (no global state). */
export function createMetrics(
  app: FastifyInstance,
  {
    chatd,
    pubsub,
    db,
    openStreams,
  }: { chatd: Chatd; pubsub: PubSub; db: ServerDatabase; openStreams: () => number },
): Registry {
  const registry = new Registry();
  const duration = new Histogram({
    name: 'chatd_http_request_duration_seconds',
    help: 'HTTP request durations (streams: until the stream ends)',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  // Each request is observed once, when its response ends either way: `onResponse` fires when
  // a response is finished, but never for one whose client went away first, which is how most
  // streams (hijacked SSE responses) end: a closed tab, a reconnect, `stop()`. The raw
  // response's `close` comes in both cases, after `finish` when there is one.
  const observed = new WeakSet<FastifyRequest>();
  const observe = (request: FastifyRequest, reply: FastifyReply) => {
    if (observed.has(request)) return;
    observed.add(request);
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  };
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => observe(request, reply));
  });
  app.addHook('onResponse', async (request, reply) => observe(request, reply));
  new Gauge({
    name: 'chatd_open_streams',
    help: 'Open chat streams (SSE) on this replica',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });
  new Gauge({
    name: 'chatd_runners',
    help: 'Runners working on chats on this replica',
    registers: [registry],
    collect() {
      this.set(chatd.stats().liveRunners);
    },
  });
  new Gauge({
    name: 'chatd_pubsub_dropped_total',
    help: 'Lossy pubsub events dropped because a subscriber was full',
    registers: [registry],
    collect() {
      this.set(pubsub.dropCount);
    },
  });
  new Gauge({
    name: 'chatd_chats',
    help: 'Chats by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.query<{ status: string; count: string | number }>(
        'SELECT status, count(*) AS count FROM chats GROUP BY status',
      );
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.count));
    },
  });
  // The engine keeps running totals; these counters follow them at each scrape.
  const followed = new Map<string, number>();
  const follow = (counter: Counter<string>, key: string, total: number, labels = {}) => {
    const delta = total - (followed.get(key) ?? 0);
    if (delta > 0) counter.inc(labels, delta);
    followed.set(key, total);
  };
  new Counter({
    name: 'chatd_tokens_total',
    help: 'Tokens of the model steps this replica ran, by direction',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const { inputTokens, outputTokens } = chatd.stats();
      follow(this, 'input', inputTokens, { direction: 'input' });
      follow(this, 'output', outputTokens, { direction: 'output' });
    },
  });
  new Counter({
    name: 'chatd_provider_errors_total',
    help: 'Failed model calls by error kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, total] of Object.entries(chatd.stats().providerErrors)) {
        follow(this, `error:${kind}`, total, { kind });
      }
    },
  });
  new Counter({
    name: 'chatd_draft_batches_written_total',
    help: 'Draft batches of streamed parts written for other replicas and crash recovery',
    registers: [registry],
    collect() {
      follow(this, 'drafts', chatd.stats().draftBatchesWritten);
    },
  });
  new Gauge({
    name: 'chatd_buffer_bytes',
    help: 'Bytes of streamed parts the in-memory buffer holds',
    registers: [registry],
    collect() {
      this.set(chatd.stats().bufferBytes);
    },
  });
  new Gauge({
    name: 'chatd_dropped_hints_total',
    help: 'State hints dropped because a runner queue was full',
    registers: [registry],
    collect() {
      this.set(chatd.stats().droppedHints);
    },
  });
  new Counter({
    name: 'chatd_process_start_total',
    help: 'Process starts (1 per replica)',
    registers: [registry],
  }).inc();
  return registry;
}
