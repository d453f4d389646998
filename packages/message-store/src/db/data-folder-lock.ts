import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFolderInUseError } from '../errors/store-errors.js';

// How the lock works, and why it is race-free.
//
// The lock is the file `chatd-message-store.lock` holding `<pid>\n<token>\n`; the token is a
// fresh random UUID per lock, so it names one lock file instance for ever.
//
// Publishing. A lock file is written and synced under a unique temp name first, then published
// with `link(temp, lockFile)`. `link` never replaces an existing file (EEXIST), so at most one
// publisher wins, and the file appears with its full content: a reader never sees it half
// written. A lock file this code did not write in full (empty, cut short, garbled) therefore
// comes from outside and proves nothing about its writer, so it counts as in use.
//
// Removing. POSIX has no "unlink this name if it still is that file": between reading a stale
// lock and unlinking it, other openers may have removed it and published their own, which the
// unlink would then destroy. So every removal of a lock file is made safe by who may do it:
// - its owner, in `release()`, after reading its own token. Nobody else removes a file whose
//   owner is alive, so the file cannot change between that read and the unlink;
// - a taker-over of a stale lock (owner dead), only while holding the takeover marker
//   `<lockFile>.<staleToken>.takeover`, and only after re-reading the lock file under that
//   marker and finding the same stale pid and token. The marker is published like a lock, so
//   one process at a time holds it; the stale file can only go away through a marker holder
//   (its owner is dead), so it cannot change between the re-read and the unlink either.
//   Once the stale file is gone it never comes back (its token is unique), so a late
//   taker-over that gets the marker afterwards finds a different file and removes nothing.
// A taker-over that dies holding its marker leaves a marker whose owner is dead: that marker is
// a stale file like any other and is removed by the same procedure, one level down
// (`<marker>.<markerToken>.takeover`). After removing (or finding nothing to remove) an opener
// tries to publish its own lock again; if that fails it starts over by reading the new holder.

/** The lock file's name inside the data folder. */
export const LOCK_FILE_NAME = 'chatd-message-store.lock';

/**
 * How many times an opener publishes, finds the lock taken, and sees it released or stale again
 * before it gives up. Each round needs another opener to take or release the folder meanwhile,
 * so this only bounds a pathological churn.
 */
const MAX_ROUNDS = 10;

/** A held lock on a PGlite data folder. */
export interface DataFolderLock {
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Whether a process with this pid exists (ours or anyone's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who wrote a lock or takeover-marker file. */
interface Owner {
  pid: number;
  token: string;
}

// The token becomes part of a marker's file name, hence the narrow alphabet.
const OWNER_PATTERN = /^([1-9][0-9]{0,9})\n([\w-]{1,100})\n$/;

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** Reads a lock or marker file: its owner, `'garbled'`, or undefined when it does not exist. */
async function readOwner(path: string): Promise<Owner | 'garbled' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const match = OWNER_PATTERN.exec(text);
  return match === null ? 'garbled' : { pid: Number(match[1]), token: match[2]! };
}

/**
 * Creates `path` holding `owner`, complete or not at all. False when `path` already exists.
 */
async function publish(path: string, owner: Owner): Promise<boolean> {
  // Same folder as `path`, since `link` cannot cross file systems; unique through the token.
  const temp = `${path}.${owner.token}.tmp`;
  const file = await open(temp, 'wx');
  try {
    try {
      await file.writeFile(`${owner.pid}\n${owner.token}\n`);
      // Synced before it gets its real name, so a power loss cannot leave an empty lock file
      // behind, which would then count as in use until deleted by hand.
      await file.sync();
    } finally {
      await file.close();
    }
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    // Only our own temp name; failing to remove it leaves a stray file, not a held lock.
    await unlink(temp).catch(() => {});
  }
}

function unreadableLockError(dataDir: string, file: string): DataFolderInUseError {
  // There is no pid to name, and no process will ever remove the file: say how to recover.
  return new DataFolderInUseError(
    dataDir,
    0,
    `Data folder ${dataDir} is locked by ${file}, which is empty or garbled, so its owner is ` +
      `unknown. If no process uses the folder, delete ${file} by hand.`,
  );
}

/**
 * Removes the file at `path` if it still holds `stale`, whose owner is dead (see the comment
 * at the top). Resolves when the caller should look at `path` again: the stale file is gone,
 * or a dead taker-over's marker was cleared out of the way.
 *
 * @throws DataFolderInUseError when a live process is already taking the stale file over
 *   (it will hold the folder next), or its marker is garbled.
 */
async function removeStale(dataDir: string, path: string, stale: Owner): Promise<void> {
  const markerPath = `${path}.${stale.token}.takeover`;
  if (!(await publish(markerPath, { pid: process.pid, token: randomUUID() }))) {
    // A marker gone meanwhile: its holder has finished, so the stale file is most likely gone too.
    return removeIfStale(dataDir, markerPath);
  }
  try {
    const current = await readOwner(path);
    if (typeof current === 'object' && current.pid === stale.pid && current.token === stale.token) {
      await unlinkIfPresent(path);
    }
  } finally {
    // Ours: only we remove it while we live.
    await unlinkIfPresent(markerPath);
  }
}

/**
 * Removes the lock or marker file at `path` if its owner is dead (see {@link removeStale});
 * does nothing when it is gone.
 * @throws DataFolderInUseError when its owner is alive, or it is garbled.
 */
async function removeIfStale(dataDir: string, path: string): Promise<void> {
  const owner = await readOwner(path);
  if (owner === undefined) return;
  if (owner === 'garbled') throw unreadableLockError(dataDir, path);
  if (isAlive(owner.pid)) throw new DataFolderInUseError(dataDir, owner.pid);
  await removeStale(dataDir, path, owner);
}

/**
 * Takes the data folder for this process. PGlite cannot share a folder between processes (or
 * two instances in one process): both would write the same files and corrupt them. The lock
 * file holds the owner's pid and a random token; a lock whose process is gone is stale and
 * taken over. Any number of processes may race for the folder, for a free one or one with a
 * stale lock: exactly one of them gets it.
 *
 * Limits: the lock is advisory, so only openers that use it are kept out. Liveness is checked
 * by pid, so every opener must run on the same host and see the same pids (not in separate
 * containers sharing a volume). A lock left by a crashed process whose pid was since reused by
 * an unrelated live process is reported as in use, and so is a lock file that is empty or
 * garbled (this code never leaves one; it comes from outside): if no process uses the folder,
 * delete `chatd-message-store.lock` by hand. A process killed in the middle of locking may leave
 * a stray `chatd-message-store.lock.*.tmp` or `.takeover` file, which can be deleted.
 *
 * @throws DataFolderInUseError `DATA_FOLDER_IN_USE` when a live process (this one included)
 *   holds the folder or is taking it over; with pid 0 when the lock file is empty or garbled.
 */
export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const own: Owner = { pid: process.pid, token: randomUUID() };
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    if (await publish(path, own)) {
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          // While we live nobody else removes our file, so if it still has our token it is
          // still ours when unlinked.
          const owner = await readOwner(path);
          if (typeof owner === 'object' && owner.token === own.token) await unlinkIfPresent(path);
        },
      };
    }
    // Taken: clear a stale holder out of the way (or find it released), then try again.
    await removeIfStale(dataDir, path);
  }
  throw new DataFolderInUseError(
    dataDir,
    0,
    `Data folder ${dataDir} changed hands ${MAX_ROUNDS} times while this process tried to lock it; try again.`,
  );
}
