import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DataFolderLock,
  isAlive,
  LOCK_FILE_NAME,
  lockDataFolder,
} from './data-folder-lock.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatd-data-folder-lock-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function lock(dataDir: string): Promise<DataFolderLock> {
  const held = await lockDataFolder(dataDir);
  cleanups.push(() => held.release());
  return held;
}

const lockFile = (dataDir: string) => join(dataDir, LOCK_FILE_NAME);

/**
 * The pid of a process that has exited: a child that ran and was reaped (Node emits `exit`
 * after reaping), so no process has that pid until the kernel hands it out again, which on
 * Linux takes a full turn through the pid space.
 */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  const pid = child.pid!;
  expect(isAlive(pid)).toBe(false);
  return pid;
}

describe('lockDataFolder', () => {
  it('takes a free folder, writing only the lock file with its pid and a token', async () => {
    const dataDir = await tempDir();
    await lock(dataDir);
    expect(await readFile(lockFile(dataDir), 'utf8')).toMatch(
      new RegExp(`^${process.pid}\\n[0-9a-f-]{36}\\n$`),
    );
    // The temp file the lock was written to first is gone again.
    expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);
  });

  it('refuses a second lock on the same folder in this process with DATA_FOLDER_IN_USE', async () => {
    const dataDir = await tempDir();
    await lock(dataDir);
    await expect(lockDataFolder(dataDir)).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      dataDir,
      pid: process.pid,
    });
  });

  it('releases idempotently, after which the folder can be locked again', async () => {
    const dataDir = await tempDir();
    const first = await lockDataFolder(dataDir);
    await first.release();
    await first.release();
    await expect(readFile(lockFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
    await lock(dataDir);
    // A late second release of the old lock must not remove the new holder's file.
    await first.release();
    expect(await readFile(lockFile(dataDir), 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
  });

  it('leaves a lock file that is no longer ours in place on release', async () => {
    const dataDir = await tempDir();
    const held = await lockDataFolder(dataDir);
    const foreign = `${process.ppid}\nsomeone-else\n`;
    await writeFile(lockFile(dataDir), foreign);
    await held.release();
    expect(await readFile(lockFile(dataDir), 'utf8')).toBe(foreign);
  });

  it('refuses a folder locked by another live process, leaving its lock alone', async () => {
    const dataDir = await tempDir();
    // The parent of this test process is alive for as long as the test runs.
    const foreign = `${process.ppid}\nsomeone-else\n`;
    await writeFile(lockFile(dataDir), foreign);
    await expect(lockDataFolder(dataDir)).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      pid: process.ppid,
    });
    expect(await readFile(lockFile(dataDir), 'utf8')).toBe(foreign);
  });

  it('takes over a lock file left by a dead process', async () => {
    const dataDir = await tempDir();
    await writeFile(lockFile(dataDir), `${await deadPid()}\nleftover\n`);
    await lock(dataDir);
    expect(await readFile(lockFile(dataDir), 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
    expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);
  });

  // A writer publishes the lock file only once it is complete, so a half-written file was not
  // written by this code. Its pid may be cut short, so it cannot prove its writer dead.
  it.each([
    ['empty', () => ''],
    ['a pid cut short', (pid: number) => String(pid).slice(0, 1)],
    ['a pid without its token', (pid: number) => `${pid}\n`],
    ['garbage', () => 'not a lock file\n'],
  ])('refuses a folder whose lock file is %s, reporting pid 0', async (_name, content) => {
    const dataDir = await tempDir();
    const text = content(await deadPid());
    await writeFile(lockFile(dataDir), text);
    const error = await lockDataFolder(dataDir).then(
      () => expect.fail('locked a folder with a garbled lock file'),
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'DATA_FOLDER_IN_USE', pid: 0 });
    // The message says how to recover, since no process will ever remove that file.
    expect((error as Error).message).toContain(`delete ${lockFile(dataDir)}`);
    expect(await readFile(lockFile(dataDir), 'utf8')).toBe(text);
  });

  // The marker names below follow the lock's internal scheme: `<lock file>.<token>.takeover`
  // is held by whoever is removing the stale lock with that token.
  it('takes over a stale lock whose previous remover died while removing it', async () => {
    const dataDir = await tempDir();
    const pid = await deadPid();
    await writeFile(lockFile(dataDir), `${pid}\nleftover\n`);
    await writeFile(`${lockFile(dataDir)}.leftover.takeover`, `${pid}\nremover\n`);
    await lock(dataDir);
    expect(await readFile(lockFile(dataDir), 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
    expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);
  });

  it('refuses a stale lock that a live process is taking over, reporting that process', async () => {
    const dataDir = await tempDir();
    await writeFile(lockFile(dataDir), `${await deadPid()}\nleftover\n`);
    await writeFile(`${lockFile(dataDir)}.leftover.takeover`, `${process.ppid}\nremover\n`);
    await expect(lockDataFolder(dataDir)).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      pid: process.ppid,
    });
  });

  it('lets exactly one of many concurrent callers in this process take a stale lock', async () => {
    const dataDir = await tempDir();
    await writeFile(lockFile(dataDir), `${await deadPid()}\nleftover\n`);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => lockDataFolder(dataDir)),
    );
    const winners = results.filter((result) => result.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const winner of winners) cleanups.push(() => winner.value.release());
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toMatchObject({ code: 'DATA_FOLDER_IN_USE', pid: process.pid });
      }
    }
    expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);
  });
});

describe('lockDataFolder across processes', () => {
  const script = fileURLToPath(new URL('../test-support/contend-data-folder.ts', import.meta.url));

  interface Contender {
    readonly pid: number;
    send(command: object): void;
    /** The child's next JSON line; fails if the child exited instead. */
    next(): Promise<Record<string, unknown>>;
  }

  function startContender(): Contender {
    // Node itself with tsx's loader (not the tsx launcher), so the pid in the lock file is the
    // pid we spawned.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    return {
      pid: child.pid!,
      send: (command) => child.stdin.write(`${JSON.stringify(command)}\n`),
      async next() {
        const line = await lines.next();
        if (line.done === true) throw new Error(`contender ${child.pid} exited`);
        return JSON.parse(line.value) as Record<string, unknown>;
      },
    };
  }

  it('lets exactly one of 8 processes take a stale lock, in each of 10 rounds', async () => {
    const root = await tempDir();
    const stalePid = await deadPid();
    const contenders = Array.from({ length: 8 }, startContender);
    const pids = contenders.map((contender) => contender.pid);
    for (const contender of contenders) expect(await contender.next()).toEqual({ ready: true });

    for (let round = 0; round < 10; round += 1) {
      const dataDir = join(root, `round-${round}`);
      await mkdir(dataDir);
      await writeFile(lockFile(dataDir), `${stalePid}\nstale-${round}\n`);
      // The start barrier: every child is idle, waiting for this line.
      for (const contender of contenders) contender.send({ lock: dataDir });
      const results = await Promise.all(contenders.map((contender) => contender.next()));

      const winners = pids.filter((_pid, index) => results[index]?.result === 'won');
      expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
      for (const result of results) {
        if (result.result !== 'won') {
          // A loser names the winner or another contender still busy taking the stale lock
          // over, never the dead owner.
          expect(result).toMatchObject({ result: 'in-use', pid: expect.toBeOneOf(pids) });
        }
      }
      expect(await readFile(lockFile(dataDir), 'utf8')).toMatch(new RegExp(`^${winners[0]}\\n`));
      expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);

      for (const contender of contenders) contender.send({ release: true });
      for (const contender of contenders)
        expect(await contender.next()).toEqual({ released: true });
      await expect(readFile(lockFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });
});
