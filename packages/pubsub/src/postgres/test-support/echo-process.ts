/**
 * A second OS process for the cross-process test: subscribes to `ping`, says `ready` on stdout,
 * republishes every message on `pong`, and exits after the message `"stop"`. Test-only.
 */
import { PubSub } from '../../index.js';
import { PostgresTransport } from '../index.js';

const url = process.env.PUBSUB_TEST_URL;
if (url === undefined) throw new Error('PUBSUB_TEST_URL is not set');

const pubsub = new PubSub({
  transport: new PostgresTransport({ connectionString: url }),
  bufferSize: 10_000,
});
const subscription = pubsub.subscribe('ping');
await subscription.ready;
process.stdout.write('ready\n');
for await (const event of subscription) {
  if (event.type !== 'message') throw new Error(`unexpected ${event.type}`);
  if (event.payload === 'stop') break;
  pubsub.publish('pong', event.payload);
}
await pubsub.close();
