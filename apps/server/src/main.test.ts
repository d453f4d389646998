import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/** Runs `chatd-server` as a user would; resolves with its output once it printed its URL. */
async function runServer(dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      ...process.env,
      PORT: '0',
      CHATD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      CHATD_DEMO_DELAY_MS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await vi.waitFor(() => expect(output).toMatch(/chatd is running at (http:\/\/\S+)/), {
    timeout: 60_000,
    interval: 100,
  });
  const url = /chatd is running at (http:\/\/\S+)/.exec(output)?.[1] as string;
  return { child, url, output: () => output };
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
