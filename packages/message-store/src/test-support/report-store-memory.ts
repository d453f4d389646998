// Child process for the memory tests: opens a store on a new database (`memory`, or a data
// folder given as argv[3]) and writes the process's external memory in MB once it is open.
// With argv[2] `no-child`, no child process can be started (as where `node` cannot be run), so
// the store must create the database in this process.
import { PubSub } from '@chatd/pubsub';
import { openStore } from '../store/open-store.js';

const [mode, dataDir] = process.argv.slice(2);
if (mode === 'no-child') process.execPath = '/nonexistent/node';
const pubsub = new PubSub();
const store = await openStore(dataDir === undefined ? { memory: true } : { dataDir }, { pubsub });
const { chatId } = await store.createChat({
  ownerId: 'o',
  messages: [{ role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'hi' }] } }],
});
const chats = (await store.listChats('o')).chats.map((chat) => chat.id);
const externalMb = Math.round(process.memoryUsage().external / 2 ** 20);
await store.close();
await pubsub.close();
process.stdout.write(`${JSON.stringify({ externalMb, stored: chats.includes(chatId) })}\n`);
