/**
 * Scenario benchmarks for @chatd/pubsub, each measured beside its baseline in the same run.
 * Run from the package folder: `pnpm bench` (or `../../node_modules/.bin/tsx bench/run.ts`).
 * With TEST_DATABASE_URL set it also measures the Postgres transport. Rewrites BENCHMARKS.md.
 */
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { BoundedQueue, realClock } from '@chatd/core';
import { Broker, type BrokerEvent, type ChannelSubscription, PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import { Subject } from 'rxjs';

interface Row {
  scenario: string;
  chatd: string;
  baseline: string;
  ratio: string;
  target: string;
  /** Whether the target was met; `undefined` for a figure without a target. */
  met: boolean | undefined;
}

const rows: Row[] = [];
const format = (value: number) => Math.round(value).toLocaleString('en-US');
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Runs `chatd` and `baseline` rounds alternately (so drift hits both alike) for about
 * `durationMs` after a warm-up, and returns the median rate of each, per second.
 */
async function compareRates(
  chatd: () => Promise<{ units: number; ms: number }> | { units: number; ms: number },
  baseline: () => Promise<{ units: number; ms: number }> | { units: number; ms: number },
  durationMs: number,
): Promise<{ chatd: number; baseline: number }> {
  const warmUpUntil = performance.now() + durationMs / 4;
  while (performance.now() < warmUpUntil) {
    await chatd();
    await baseline();
  }
  const chatdRates: number[] = [];
  const baselineRates: number[] = [];
  const until = performance.now() + durationMs;
  while (performance.now() < until || chatdRates.length < 5) {
    const ours = await chatd();
    chatdRates.push((ours.units * 1000) / ours.ms);
    const theirs = await baseline();
    baselineRates.push((theirs.units * 1000) / theirs.ms);
  }
  return { chatd: median(chatdRates), baseline: median(baselineRates) };
}

// 1. Publish side: events/s offered to N subscribers whose buffers have room.
async function publishThroughput(subscriberCount: number): Promise<void> {
  const eventsPerRound = Math.max(2_000, Math.floor(200_000 / subscriberCount));
  let sink = 0;

  const chatdRound = () => {
    // A buffer as large as the round, so every event is accepted; draining (cancel) is untimed.
    const broker = new Broker<number>({ bufferSize: eventsPerRound });
    const subscriptions = Array.from({ length: subscriberCount }, () => broker.subscribe());
    const start = performance.now();
    for (let index = 0; index < eventsPerRound; index++) broker.publish('updated', index);
    const ms = performance.now() - start;
    if (broker.dropCount !== 0) throw new Error('the publish benchmark dropped events');
    for (const subscription of subscriptions) subscription.cancel();
    void broker.close();
    return { units: eventsPerRound, ms };
  };

  const subjectRound = () => {
    const subject = new Subject<BrokerEvent<number>>();
    const subscriptions = Array.from({ length: subscriberCount }, () =>
      subject.subscribe((event) => {
        sink += event.payload;
      }),
    );
    const start = performance.now();
    for (let index = 0; index < eventsPerRound; index++) {
      subject.next({ type: 'updated', payload: index });
    }
    const ms = performance.now() - start;
    for (const subscription of subscriptions) subscription.unsubscribe();
    return { units: eventsPerRound, ms };
  };

  const rates = await compareRates(chatdRound, subjectRound, 2_500);
  const ratio = rates.chatd / rates.baseline;
  const target = subscriberCount === 100 ? 0.5 : undefined;
  rows.push({
    scenario: `publish, ${subscriberCount} subscriber${subscriberCount === 1 ? '' : 's'} with room (events/s)`,
    chatd: format(rates.chatd),
    baseline: `${format(rates.baseline)} (bare RxJS Subject, sync subscribers)`,
    ratio: ratio.toFixed(2),
    target: target === undefined ? '— (informational)' : `≥ ${target}`,
    met: target === undefined ? undefined : ratio >= target,
  });
  if (sink === -1) console.log(sink);
}

// 2. Delivered events/s to 100 for-await consumers.
async function deliveryThroughput(): Promise<void> {
  const consumerCount = 100;
  const batch = 256;
  const batchesPerRound = 40;
  const eventsPerRound = batch * batchesPerRound;
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Starts one for-await consumer per source; returns how many each has read. */
  function consume(sources: AsyncIterable<unknown>[]) {
    const counts = new Array<number>(sources.length).fill(0);
    const done = sources.map(async (source, index) => {
      for await (const _event of source) counts[index] = (counts[index] as number) + 1;
    });
    return { counts, done };
  }

  /** Publishes in batches that fit every buffer and lets consumers drain each batch. */
  async function drive(publish: (index: number) => void, counts: number[]): Promise<number> {
    const start = performance.now();
    for (let round = 0; round < batchesPerRound; round++) {
      for (let index = 0; index < batch; index++) publish(round * batch + index);
      const expected = (round + 1) * batch;
      while (counts.some((count) => count < expected)) await settle();
    }
    return performance.now() - start;
  }

  const chatdRound = async () => {
    const broker = new Broker<number>({ bufferSize: batch });
    const subscriptions = Array.from({ length: consumerCount }, () => broker.subscribe());
    const { counts, done } = consume(subscriptions);
    const ms = await drive((index) => broker.publish('updated', index), counts);
    if (broker.dropCount !== 0) throw new Error('the delivery benchmark dropped events');
    await broker.close();
    await Promise.all(done);
    return { units: eventsPerRound * consumerCount, ms };
  };

  const emitterRound = async () => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(consumerCount);
    const queues = Array.from({ length: consumerCount }, () => {
      const queue = new BoundedQueue<BrokerEvent<number>>({ capacity: batch });
      emitter.on('event', (event: BrokerEvent<number>) => {
        if (!queue.push(event)) throw new Error('the baseline dropped events');
      });
      return queue;
    });
    const { counts, done } = consume(queues);
    const ms = await drive(
      (index) => emitter.emit('event', { type: 'updated', payload: index }),
      counts,
    );
    emitter.removeAllListeners();
    for (const queue of queues) queue.close();
    await Promise.all(done);
    return { units: eventsPerRound * consumerCount, ms };
  };

  const rates = await compareRates(chatdRound, emitterRound, 5_000);
  const ratio = rates.chatd / rates.baseline;
  rows.push({
    scenario: 'delivered to 100 `for await` consumers (events/s)',
    chatd: format(rates.chatd),
    baseline: `${format(rates.baseline)} (EventEmitter → core BoundedQueue per consumer)`,
    ratio: ratio.toFixed(2),
    target: '— (informational)',
    met: undefined,
  });
}

// 3. publishMustDeliver with 10 stalled subscribers: one shared deadline, so about T, not 10 T.
async function mustDeliverDeadline(): Promise<void> {
  const timeoutMs = 50;
  const repetitions = 8;
  const elapsed: number[] = [];
  const baseline: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const broker = new Broker<number>({ bufferSize: 1, mustDeliverTimeoutMs: timeoutMs });
    const subscriptions = Array.from({ length: 10 }, () => broker.subscribe());
    broker.publish('updated', 0);
    let start = performance.now();
    await broker.publishMustDeliver('finished', 1);
    elapsed.push(performance.now() - start);
    if (broker.mustDeliverDropCount !== 10) throw new Error('expected 10 must-deliver drops');
    for (const subscription of subscriptions) subscription.cancel();
    await broker.close();

    start = performance.now();
    await realClock.sleep(timeoutMs);
    baseline.push(performance.now() - start);
  }
  const worst = Math.max(...elapsed);
  const ratio = worst / timeoutMs;
  rows.push({
    scenario: `publishMustDeliver, 10 stalled subscribers, T = ${timeoutMs} ms (worst of ${repetitions}, ms)`,
    chatd: worst.toFixed(1),
    baseline: `${timeoutMs} (T; a bare ${timeoutMs} ms sleep took ${median(baseline).toFixed(1)}; Crush's sequential waits: ${10 * timeoutMs})`,
    ratio: `${ratio.toFixed(2)} (elapsed / T)`,
    target: '≤ 1.5',
    met: ratio <= 1.5,
  });
}

// 4–5. Postgres LISTEN/NOTIFY (only with TEST_DATABASE_URL): PubSub over PostgresTransport
// against bare pg clients, in a database of its own.
const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
};

async function postgresScenarios(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const name = `pubsub_pg_bench_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  const databaseUrl = parsed.toString();
  const closers: (() => Promise<void>)[] = [];
  try {
    const openPubSub = (bufferSize: number) => {
      const pubsub = new PubSub({
        transport: new PostgresTransport({ connectionString: databaseUrl }),
        bufferSize,
      });
      closers.push(() => pubsub.close());
      return pubsub;
    };
    const openClient = async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      closers.push(() => client.end());
      return client;
    };

    // Round trip: publish on one connection → delivered from the other, one message at a time.
    const publisher = openPubSub(64);
    const receiver = openPubSub(64);
    const roundTrip = receiver.subscribe('bench:round-trip');
    await roundTrip.ready;
    const roundTripEvents = roundTrip[Symbol.asyncIterator]();
    const chatdSample = async (index: number) => {
      const start = performance.now();
      const sent = publisher.publishMustDeliver('bench:round-trip', index);
      await roundTripEvents.next();
      const ms = performance.now() - start;
      await sent;
      return ms;
    };
    const listener = await openClient();
    const notifier = await openClient();
    await listener.query('LISTEN "bench:bare"');
    let arrived: () => void = () => {};
    listener.on('notification', () => arrived());
    const bareSample = async (index: number) => {
      const delivered = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const start = performance.now();
      const sent = notifier.query('SELECT pg_notify($1, $2)', ['bench:bare', String(index)]);
      await delivered;
      const ms = performance.now() - start;
      await sent;
      return ms;
    };
    const chatdLatencies: number[] = [];
    const bareLatencies: number[] = [];
    for (let index = 0; index < 300; index++) {
      await chatdSample(index);
      await bareSample(index);
    }
    // Alternating blocks, so drift hits both alike.
    for (let block = 0; block < 20; block++) {
      for (let index = 0; index < 150; index++) chatdLatencies.push(await chatdSample(index));
      for (let index = 0; index < 150; index++) bareLatencies.push(await bareSample(index));
    }
    // There is no latency target to meet: these rows report the ratio without a verdict.
    for (const [label, fraction] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const ours = percentile(chatdLatencies, fraction);
      const theirs = percentile(bareLatencies, fraction);
      rows.push({
        scenario: `Postgres round trip publish → delivery, other connection, ${label} (ms, ${chatdLatencies.length} samples)`,
        chatd: ours.toFixed(3),
        baseline: `${theirs.toFixed(3)} (bare pg: \`SELECT pg_notify\` on one Client → \`notification\` on another)`,
        ratio: `${(ours / theirs).toFixed(2)} (chatd / bare)`,
        target: '— (informational)',
        met: undefined,
      });
    }

    // Throughput: a burst spread over N channels, timed until every message arrived.
    for (const channelCount of [1, 100]) {
      const chatdCount = 10_000;
      const bareCount = 2_000;
      const channels = Array.from({ length: channelCount }, (_, index) => `bench:burst:${index}`);
      const sender = openPubSub(64);
      const sink = openPubSub(chatdCount);
      let received = 0;
      let waiting: { count: number; resolve: () => void } | undefined;
      const onArrival = () => {
        received += 1;
        if (waiting !== undefined && received >= waiting.count) waiting.resolve();
      };
      const subscriptions: ChannelSubscription[] = channels.map((channel) =>
        sink.subscribe(channel),
      );
      await Promise.all(subscriptions.map((subscription) => subscription.ready));
      for (const subscription of subscriptions) {
        void (async () => {
          for await (const event of subscription) if (event.type === 'message') onArrival();
        })();
      }
      const arrivals = (count: number) =>
        new Promise<void>((resolve) => {
          waiting = { count, resolve };
          if (received >= count) resolve();
        });
      const chatdRound = async () => {
        received = 0;
        const done = arrivals(chatdCount);
        const start = performance.now();
        for (let index = 0; index < chatdCount; index++) {
          sender.publish(channels[index % channelCount] as string, index);
        }
        await done;
        return { units: chatdCount, ms: performance.now() - start };
      };

      const bareListener = await openClient();
      const bareNotifier = await openClient();
      await bareListener.query(channels.map((channel) => `LISTEN "${channel}"`).join('; '));
      let bareReceived = 0;
      let bareWaiting: { count: number; resolve: () => void } | undefined;
      bareListener.on('notification', () => {
        bareReceived += 1;
        if (bareWaiting !== undefined && bareReceived >= bareWaiting.count) bareWaiting.resolve();
      });
      const bareRound = async () => {
        bareReceived = 0;
        const done = new Promise<void>((resolve) => {
          bareWaiting = { count: bareCount, resolve };
        });
        const start = performance.now();
        for (let index = 0; index < bareCount; index++) {
          await bareNotifier.query('SELECT pg_notify($1, $2)', [
            channels[index % channelCount],
            String(index),
          ]);
        }
        await done;
        return { units: bareCount, ms: performance.now() - start };
      };
      const rates = await compareRates(chatdRound, bareRound, 3_000);
      const ratio = rates.chatd / rates.baseline;
      rows.push({
        scenario: `Postgres burst over ${channelCount} channel${channelCount === 1 ? '' : 's'}, publish → delivered (messages/s)`,
        chatd: format(rates.chatd),
        baseline: `${format(rates.baseline)} (bare pg: one awaited \`SELECT pg_notify\` per message on one Client, LISTEN on another)`,
        ratio: ratio.toFixed(2),
        target: '— (informational)',
        met: undefined,
      });
      if (sink.dropCount !== 0) throw new Error('the Postgres burst benchmark dropped messages');
    }
  } finally {
    for (const close of closers.reverse()) await close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const started = performance.now();
for (const subscriberCount of [1, 10, 100]) await publishThroughput(subscriberCount);
await deliveryThroughput();
await mustDeliverDeadline();
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl === undefined) {
  console.warn('TEST_DATABASE_URL is not set: skipping the Postgres LISTEN/NOTIFY benchmarks');
} else {
  await postgresScenarios(postgresUrl);
}

const cpuList = cpus();
const header = '| scenario | chatd | baseline (what) | ratio | target | met? |';
const table = [
  header,
  '|---|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.scenario} | ${row.chatd} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`,
  ),
].join('\n');

console.log(table);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);

writeFileSync(
  new URL('../BENCHMARKS.md', import.meta.url),
  `# @chatd/pubsub benchmarks

Run from \`packages/pubsub\`: \`pnpm bench\` (or \`../../node_modules/.bin/tsx bench/run.ts\`; needs
\`@chatd/core\` built). Each figure is measured beside its baseline in the same run, alternating
rounds after a warm-up; rates are medians over rounds. This file is rewritten by the run. Set
\`TEST_DATABASE_URL\` (e.g. \`postgres://postgres@127.0.0.1:5432/test\`) to include the Postgres
LISTEN/NOTIFY scenarios; they create and drop a database of their own.

- Date: ${new Date().toISOString()}
- Node: ${process.version}
- CPU: ${cpuList[0]?.model ?? 'unknown'} × ${cpuList.length} cores

${table}

What the scenarios measure:
- **publish**: the publishing side only. \`Broker.publish\` pushes one shared event object into
  each subscriber's \`BoundedQueue\` (buffers sized to hold the whole round, drained outside the
  timed region) against \`Subject.next\` to synchronous subscribers that do no buffering at all.
- **delivered**: end to end, events published in batches that fit every buffer and read by 100
  \`for await\` loops, against an \`EventEmitter\` whose 100 listeners push into one
  \`BoundedQueue\` each, read the same way.
- **publishMustDeliver**: wall time until the promise resolves when all 10 subscribers stay
  full, on the real clock. One shared deadline makes it about T; Crush waited T per subscriber in
  turn.
${
  postgresUrl === undefined
    ? `- **Postgres** scenarios were skipped: \`TEST_DATABASE_URL\` was not set.`
    : `- **Postgres round trip** (\`@chatd/pubsub/postgres\`, run when \`TEST_DATABASE_URL\` is set,
  in a database of its own): one message at a time, from \`publishMustDeliver\` on one PubSub
  (its own pool) until a \`for await\` on another PubSub (its own listening connection) yields
  it; against \`SELECT pg_notify\` on one \`pg.Client\` until the \`notification\` event on
  another. 300 warm-up pairs, then alternating blocks of 150.
- **Postgres burst**: 10,000 lossy publishes spread round robin over 1 or 100 channels, timed
  until the receiving PubSub's subscribers read them all; against one awaited \`pg_notify\` per
  message (2,000 per round), the way a bare client sends them. The transport sends one
  statement at a time (to keep publish order) and batches what queued meanwhile into the next
  one (\`unnest\`), which is where its lead comes from.`
}
`,
);
