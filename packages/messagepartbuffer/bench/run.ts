/**
 * Scenario benchmarks for @chatd/messagepartbuffer, each beside a baseline measured in the same
 * run. Prints the table and rewrites BENCHMARKS.md. Run: `pnpm bench` (or
 * `../../node_modules/.bin/tsx bench/run.ts` from the package folder).
 */
import { Buffer } from 'node:buffer';
import { EventEmitter, on } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ChatdError, type ChatStreamPart } from '@chatd/core';
import { type EpisodeKey, MessagePartBuffer, type StoredPart } from '@chatd/messagepartbuffer';

// ---------------------------------------------------------------------------------------------
// Realistic parts: text deltas of about 20 characters, as a model streams them.

const WORDS = ['the ', 'model ', 'streams ', 'tokens, ', 'a few ', 'characters ', 'at a time. '];
const PARTS: ChatStreamPart[] = Array.from({ length: 1024 }, (_, index) => {
  let delta = '';
  for (let word = index; delta.length < 18; word += 3) delta += WORDS[word % WORDS.length];
  return { type: 'text-delta', id: 't1', delta: delta.slice(0, 20 + (index % 3)) };
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

// ---------------------------------------------------------------------------------------------
// 1. addPart with no subscribers, rotating episodes as they fill.

const PARTS_PER_RUN = 400_000; // ~38 MB of envelopes: stays under the default 64 MiB total cap
const RUNS = 7;

function addPartRate(partCount: number): number {
  const buffer = new MessagePartBuffer();
  let attempt = 0;
  let key: EpisodeKey = { chatId: 'bench', historyVersion: 1, generationAttempt: attempt };
  buffer.createEpisode(key);
  const start = performance.now();
  for (let index = 0; index < partCount; index++) {
    const part = PARTS[index & 1023] as ChatStreamPart;
    try {
      buffer.addPart(key, 'assistant', part);
    } catch (error) {
      if (!ChatdError.isInstance(error, 'EPISODE_FULL')) throw error;
      buffer.closeEpisode(key);
      attempt += 1;
      key = { chatId: 'bench', historyVersion: 1, generationAttempt: attempt };
      buffer.createEpisode(key);
      buffer.addPart(key, 'assistant', part);
    }
  }
  const elapsed = performance.now() - start;
  void buffer.close();
  return (partCount / elapsed) * 1000;
}

/** Baseline: the same envelopes appended to an array, their JSON size computed the plain way. */
function arrayAppendRate(partCount: number): number {
  const maxEpisodeBytes = 1024 * 1024;
  const episodes: StoredPart[][] = [];
  let episode: StoredPart[] = [];
  let bytes = 0;
  const start = performance.now();
  for (let index = 0; index < partCount; index++) {
    const envelope = {
      seq: episode.length + 1,
      role: 'assistant' as const,
      part: PARTS[index & 1023] as ChatStreamPart,
    };
    const size = Buffer.byteLength(JSON.stringify(envelope));
    if (bytes + size > maxEpisodeBytes) {
      episodes.push(episode);
      episode = [];
      bytes = 0;
      envelope.seq = 1;
    }
    episode.push(envelope);
    bytes += size;
  }
  const elapsed = performance.now() - start;
  episodes.push(episode);
  return (partCount / elapsed) * 1000;
}

function measureAddPart(): { chatd: number; baseline: number } {
  addPartRate(100_000); // warm-up
  arrayAppendRate(100_000);
  const chatd: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    chatd.push(addPartRate(PARTS_PER_RUN));
    baseline.push(arrayAppendRate(PARTS_PER_RUN));
  }
  return { chatd: median(chatd), baseline: median(baseline) };
}

// ---------------------------------------------------------------------------------------------
// 2. Fan-out to 100 live subscribers at 10k parts/s, paced on real time.

const SUBSCRIBERS = 100;
const PARTS_PER_MS = 10; // 10k parts/s
const FAN_OUT_MS = 2_000;

interface Latencies {
  p50: number;
  p99: number;
  received: number;
}

function percentiles(samples: Float64Array, received: number): Latencies {
  const sorted = samples.subarray(0, received).sort();
  const at = (fraction: number) =>
    sorted[Math.min(received - 1, Math.floor(received * fraction))] as number;
  return { p50: at(0.5), p99: at(0.99), received };
}

/**
 * Adds the parts that are due (10 per elapsed millisecond) on every turn of the event loop,
 * yielding with setImmediate in between so the consumers run: a smooth 10k parts/s.
 */
async function produce(durationMs: number, emit: (part: ChatStreamPart, seq: number) => void) {
  const total = durationMs * PARTS_PER_MS;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) * PARTS_PER_MS));
    while (sent < due) {
      sent += 1;
      emit(PARTS[sent & 1023] as ChatStreamPart, sent);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return total;
}

async function fanOutThroughBuffer(durationMs: number): Promise<Latencies> {
  const total = durationMs * PARTS_PER_MS;
  // One episode for the whole run: raise the per-episode cap to hold it.
  const buffer = new MessagePartBuffer({ maxEpisodeBytes: 64 * 1024 * 1024 });
  const key: EpisodeKey = { chatId: 'bench', historyVersion: 1, generationAttempt: 0 };
  buffer.createEpisode(key);
  const addedAt = new Float64Array(total + 1);
  const samples = new Float64Array(total * SUBSCRIBERS);
  let received = 0;
  const consumers = Array.from({ length: SUBSCRIBERS }, async () => {
    for await (const stored of buffer.subscribe(key)) {
      samples[received++] = performance.now() - (addedAt[stored.seq] as number);
    }
  });
  await produce(durationMs, (part, seq) => {
    addedAt[seq] = performance.now();
    buffer.addPart(key, 'assistant', part);
  });
  buffer.closeEpisode(key);
  await Promise.all(consumers);
  await buffer.close();
  return percentiles(samples, received);
}

/** Baseline: the same parts and pacing through an EventEmitter, one async consumer per listener. */
async function fanOutThroughEventEmitter(durationMs: number): Promise<Latencies> {
  const total = durationMs * PARTS_PER_MS;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(SUBSCRIBERS + 1);
  const addedAt = new Float64Array(total + 1);
  const samples = new Float64Array(total * SUBSCRIBERS);
  let received = 0;
  const consumers = Array.from({ length: SUBSCRIBERS }, async () => {
    for await (const [stored] of on(emitter, 'part') as AsyncIterable<[StoredPart]>) {
      samples[received++] = performance.now() - (addedAt[stored.seq] as number);
      if (stored.seq === total) break;
    }
  });
  await produce(durationMs, (part, seq) => {
    addedAt[seq] = performance.now();
    emitter.emit('part', Object.freeze({ seq, role: 'assistant', part }));
  });
  await Promise.all(consumers);
  return percentiles(samples, received);
}

const FAN_OUT_RUNS = 3;

/** Runs interleave chatd and the baseline, so background load hits both alike; medians win. */
async function measureFanOut(): Promise<{ chatd: Latencies; baseline: Latencies }> {
  await fanOutThroughBuffer(300); // warm-up
  await fanOutThroughEventEmitter(300);
  const chatd: Latencies[] = [];
  const baseline: Latencies[] = [];
  for (let run = 0; run < FAN_OUT_RUNS; run++) {
    chatd.push(await fanOutThroughBuffer(FAN_OUT_MS));
    baseline.push(await fanOutThroughEventEmitter(FAN_OUT_MS));
  }
  const expected = FAN_OUT_MS * PARTS_PER_MS * SUBSCRIBERS;
  for (const result of [...chatd, ...baseline]) {
    if (result.received !== expected) {
      throw new Error(`a fan-out run delivered ${result.received} of ${expected} parts`);
    }
  }
  const medianOf = (runs: Latencies[]): Latencies => ({
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    received: expected,
  });
  return { chatd: medianOf(chatd), baseline: medianOf(baseline) };
}

// ---------------------------------------------------------------------------------------------
// Report

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const started = performance.now();
  const addPart = measureAddPart();
  const fanOut = await measureFanOut();

  const rows = [
    [
      'addPart, no subscribers, episodes rotated as they fill (parts/s)',
      format(addPart.chatd),
      `${format(addPart.baseline)} (push the envelope to an array + \`Buffer.byteLength(JSON.stringify(envelope))\`)`,
      `${format(addPart.chatd / addPart.baseline, 2)}×`,
      '≥ 500,000 parts/s',
      addPart.chatd >= 500_000 ? 'yes' : 'no',
    ],
    [
      `fan-out, ${SUBSCRIBERS} subscribers at 10k parts/s, p50 latency addPart → receipt (ms)`,
      format(fanOut.chatd.p50, 3),
      `${format(fanOut.baseline.p50, 3)} (EventEmitter, ${SUBSCRIBERS} \`events.on\` consumers)`,
      `${format(fanOut.chatd.p50 / fanOut.baseline.p50, 2)}×`,
      '–',
      '–',
    ],
    [
      `fan-out, ${SUBSCRIBERS} subscribers at 10k parts/s, p99 latency addPart → receipt (ms)`,
      format(fanOut.chatd.p99, 3),
      `${format(fanOut.baseline.p99, 3)} (EventEmitter, same)`,
      `${format(fanOut.chatd.p99 / fanOut.baseline.p99, 2)}×`,
      '< 5 ms',
      fanOut.chatd.p99 < 5 ? 'yes' : 'no',
    ],
  ];
  const table = [
    '| scenario | chatd | baseline (what) | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const cpus = os.cpus();
  const environment = `Date: ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus[0]?.model.trim() ?? 'unknown CPU'} · ${cpus.length} cores`;
  const seconds = format((performance.now() - started) / 1000, 1);
  console.log(`${environment}\n\n${table}\n\n(${seconds} s)`);

  writeFileSync(
    new URL('../BENCHMARKS.md', import.meta.url),
    `# Benchmarks: @chatd/messagepartbuffer

Run from the package folder with \`pnpm bench\` (or \`../../node_modules/.bin/tsx bench/run.ts\`).
It measures each scenario and its baseline in the same run, after a warm-up, and rewrites this
file. The whole run takes about ${seconds} s.

${environment}

${table}

How each figure is measured:

- **addPart**: ${format(PARTS_PER_RUN)} \`text-delta\` parts (~20 characters of text each) per run,
  median of ${RUNS} runs, on a fresh buffer with default options. When an episode reaches
  \`maxEpisodeBytes\` (1 MiB), \`EPISODE_FULL\` is caught, the episode closed and the next one
  created, as a producer rotating episodes would. The baseline does the minimum a buffer must do:
  append the same \`{ seq, role, part }\` envelopes to arrays and compute each one's JSON size.
  chatd additionally validates the key, looks the episode up in a map, checks both byte caps,
  and freezes the envelope.
- **fan-out**: ${SUBSCRIBERS} subscriptions iterate one episode with \`for await\` while a producer adds
  10 parts per elapsed millisecond (10k parts/s, paced with \`setImmediate\` turns) for
  ${format(FAN_OUT_MS / 1000, 1)} s: ${format(FAN_OUT_MS * PARTS_PER_MS)} parts, ${format(FAN_OUT_MS * PARTS_PER_MS * SUBSCRIBERS)} deliveries.
  Latency runs from just before \`addPart\` (\`performance.now()\`) to the consumer's loop body.
  The episode's cap is raised to 64 MiB so one episode holds the run. The baseline emits the
  same frozen envelopes on an \`EventEmitter\`, read by ${SUBSCRIBERS} consumers iterating
  \`events.on(emitter, 'part')\` (each with its own unbounded queue). Median of ${FAN_OUT_RUNS} runs
  of each, interleaved. The buffer hands each part
  over and waits for the consumer to take it (bounded memory, a send timeout per part); the
  emitter queues without limit.
`,
  );
}

await main();
