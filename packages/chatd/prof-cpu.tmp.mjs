import { openStore } from '@chatd/message-store';
import { PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import { MockLanguageModelV3 } from 'ai/test';
import { streamText } from 'ai';
import { createChatd, staticModels } from './dist/index.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const N = 1000;
const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: N, text: N, reasoning: 0 } };
const parts = [{ type: 'stream-start', warnings: [] }, { type: 'text-start', id: 't' },
  ...Array.from({ length: N }, (_, i) => ({ type: 'text-delta', id: 't', delta: i === 0 ? 'word' : ' word' })),
  { type: 'text-end', id: 't' }, { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage }];
const model = new MockLanguageModelV3({ doStream: async () => ({ stream: new ReadableStream({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } }) }) });
const url = process.env.DB;
const pubsub = url ? new PubSub({ transport: new PostgresTransport({ connectionString: url }) }) : new PubSub();
const store = await openStore(url ? { url } : { memory: true }, { pubsub, ambientTransactions: false });
const chatd = createChatd({ store, models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }) });
await chatd.start();
async function turn() {
  const chat = await chatd.createChat({ ownerId: 'b', content: 'Say', title: 'cpu' });
  const sub = store.pubsub.subscribe(`chat:update:${chat.id}`); await sub.ready;
  if ((await chatd.getChat(chat.id)).status !== 'waiting') for await (const e of sub) { if (e.payload?.status === 'waiting') break; }
  sub.cancel();
}
async function bare() { const r = streamText({ model, prompt: 'Say words' }); for await (const _ of r.fullStream); }
for (let i = 0; i < 5; i++) { await turn(); await bare(); }
const cpu = async (fn) => { const b = process.cpuUsage(); await fn(); const u = process.cpuUsage(b); return (u.user + u.system) / 1000; };
const T = 20;
let c = Infinity, bb = Infinity;
for (let r = 0; r < 3; r++) { c = Math.min(c, await cpu(async () => { for (let i = 0; i < T; i++) await turn(); })); bb = Math.min(bb, await cpu(async () => { for (let i = 0; i < T; i++) await bare(); })); }
console.log('chatd ms/turn', (c / T).toFixed(2), 'bare', (bb / T).toFixed(2), 'ratio', (c / bb).toFixed(2));
if (process.env.PROF) {
  const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 100 }); await s.post('Profiler.start');
  for (let i = 0; i < 40; i++) await turn();
  const { profile } = await s.post('Profiler.stop'); writeFileSync('/tmp/trace/chatd.cpuprofile', JSON.stringify(profile));
}
await chatd.close(); await store.close(); await pubsub.close();
