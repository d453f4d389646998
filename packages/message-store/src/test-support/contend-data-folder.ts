// Child process for the lock race in data-folder-lock.test.ts. One child runs many rounds, so
// tsx starts once per child instead of once per attempt. It speaks JSON lines:
//   parent → child  {"lock":"<dataDir>"}   try to lock the folder now
//                   {"release":true}       release the lock taken in this round, if any
//   child → parent  {"ready":true}                          once, when it waits for commands
//                   {"result":"won"} | {"result":"in-use","pid":n} | {"result":"error","message":s}
//                   {"released":true}
// The parent sends `lock` to every child only after all said `ready`, and sends it to all of
// them in the same tick: that line is the start barrier. A winner holds its lock until told to
// release, so every loser's attempt overlaps the winner's hold. When stdin closes (the parent
// is done or died) the child releases and exits, so a crashed test run leaves nothing behind.
import { createInterface } from 'node:readline';
import { type DataFolderLock, lockDataFolder } from '../db/data-folder-lock.js';
import { DataFolderInUseError } from '../errors/store-errors.js';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

let held: DataFolderLock | undefined;
send({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { lock?: string; release?: true };
  if (command.lock !== undefined) {
    try {
      held = await lockDataFolder(command.lock);
      send({ result: 'won' });
    } catch (error) {
      if (error instanceof DataFolderInUseError) {
        send({ result: 'in-use', pid: error.pid });
      } else {
        send({ result: 'error', message: String(error) });
      }
    }
  } else if (command.release === true) {
    await held?.release();
    held = undefined;
    send({ released: true });
  }
}
await held?.release();
