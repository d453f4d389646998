import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runBinary } from './test-support/run-binary.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/** Runs `chatd-server` on `dataDir` as a user would; resolves once it printed its URL. */
async function runServer(dataDir: string) {
  const running = await runBinary({
    CHATD_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CHATD_DEMO_DELAY_MS: '1',
  });
  children.push(running.child);
  return running;
}

describe('chatd-server, the binary', () => {
  it('prints the URL and a working admin token on first start, stops on SIGTERM, and keeps its data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatd-main-'));
    try {
      const first = await runServer(dataDir);
      const token = /^\s+(chatd_\S+)\s*$/m.exec(first.output())?.[1];
      expect(token).toBeDefined();
      const me = await fetch(`${first.url}/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await me.json()).toMatchObject({ name: 'admin', isAdmin: true });
      const created = await fetch(`${first.url}/v1/chats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hello' }),
      });
      expect(created.status).toBe(201);
      const stopped = Date.now();
      first.child.kill('SIGTERM');
      const [code] = await once(first.child, 'exit');
      expect(code).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(10_000);

      const second = await runServer(dataDir);
      expect(second.output()).not.toContain('First start');
      const chats = await fetch(`${second.url}/v1/chats`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await chats.json()) as { chats: unknown[] }).chats).toHaveLength(1);
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad configuration with a one-line error naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(errors).toContain('chatd-server: Invalid PORT');
  });
});
