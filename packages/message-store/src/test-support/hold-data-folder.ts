// Child process for the DATA_FOLDER_IN_USE test: opens a store on a data folder, says
// "ready", and holds it until killed or until its parent goes away (stdin closes), so a
// crashed test run never leaves it behind.
import { PubSub } from '@chatd/pubsub';
import { openStore } from '../store/open-store.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: hold-data-folder <dataDir>');
await openStore({ dataDir }, { pubsub: new PubSub() });
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
