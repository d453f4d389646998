/*
 * A chatd replica in its own process, for the crash-takeover test: it opens the store on the
 * database in argv[2], runs a worker whose model streams a few words and then hangs, and prints
 * "streaming <chatId>" once a turn is under way, so the test can kill it mid-generation.
 */
import { openStore } from '@chatd/message-store';
import { PubSub } from '@chatd/pubsub';
import { PostgresTransport } from '@chatd/pubsub/postgres';
import { createChatd, staticModels } from '../index.js';
import { scriptedModel, textAnswer } from './mock-model.js';

const [, , url] = process.argv;
if (url === undefined) throw new Error('usage: crash-child <database url>');
const pubsub = new PubSub({ transport: new PostgresTransport({ connectionString: url }) });
const store = await openStore(
  { url },
  { pubsub, lease: { heartbeatIntervalMs: 200, staleAfterMs: 1500 } },
);
const hang = new Promise<void>(() => {});
const script = Array.from({ length: 10 }, () => ({
  parts: textAnswer('I was about to say something', 6).slice(0, 4),
  holdUntil: hang,
}));
const model = scriptedModel(script);
const doStream = model.doStream.bind(model);
model.doStream = async (options) => {
  const result = await doStream(options);
  setTimeout(() => console.log('streaming'), 50);
  return result;
};
const chatd = createChatd({
  store,
  models: staticModels({ mock: { model } }, { defaultModelConfigId: 'mock' }),
  options: { acquireIntervalMs: 50 },
});
await chatd.start();
console.log('ready');
