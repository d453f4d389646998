import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFolderInUseError } from '../errors/store-errors.js';

/** The lock file's name inside the data folder. */
export const LOCK_FILE_NAME = 'chatd-message-store.lock';

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

async function readOwner(path: string): Promise<{ pid: number; token: string } | undefined> {
  try {
    const [pid, token] = (await readFile(path, 'utf8')).split('\n');
    return { pid: Number(pid), token: token ?? '' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes the data folder for this process. PGlite cannot share a folder between processes (or
 * two instances in one process): both would write the same files and corrupt them. The lock
 * file holds the owner's pid and a random token; a lock whose process is gone is stale and
 * taken over.
 *
 * Limits: a lock left by a crashed process whose pid was since reused by an unrelated live
 * process is reported as in use (delete the file by hand); the lock is advisory, so only
 * openers that use it are kept out.
 *
 * @throws DataFolderInUseError `DATA_FOLDER_IN_USE` when a live process (this one included)
 *   holds the folder.
 */
export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const token = randomUUID();
  // Two rounds: the second after removing a stale lock. If another process takes the stale
  // lock between our unlink and our create, `wx` fails again and we report it in use.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n${token}\n`);
      await file.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const owner = await readOwner(path);
          if (owner?.token === token) await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner === undefined) continue;
    if (Number.isInteger(owner.pid) && owner.pid > 0 && isAlive(owner.pid)) {
      throw new DataFolderInUseError(dataDir, owner.pid);
    }
    await unlink(path).catch(() => {});
  }
  const owner = await readOwner(path);
  throw new DataFolderInUseError(dataDir, owner?.pid ?? 0);
}
