import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Json, readStream } from './test-support/read-stream.js';
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

  it('shows the admin token on the first start that listens, after a start that found its port taken', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatd-main-'));
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const failed = spawn(process.execPath, ['--import', 'tsx', main], {
        env: { ...process.env, CHATD_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(failed);
      let errors = '';
      failed.stderr?.on('data', (chunk: Buffer) => {
        errors += chunk.toString();
      });
      const [code] = await once(failed, 'exit');
      expect(code).toBe(1);
      expect(errors).toContain('EADDRINUSE');

      // The start that serves is the first start: its token is shown, and works.
      const served = await runServer(dataDir);
      expect(served.output()).toContain('First start');
      const token = /^\s+(chatd_\S+)\s*$/m.exec(served.output())?.[1];
      expect(token).toBeDefined();
      const me = await fetch(`${served.url}/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await me.json()).toMatchObject({ name: 'admin', isAdmin: true });
      served.child.kill('SIGTERM');
      await once(served.child, 'exit');
    } finally {
      taken.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('loses nothing it finished when killed (SIGKILL): a restart has its answers and completes the one cut off', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatd-main-'));
    const token = 'kill-admin-token-0123456789abcdefghij';
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // A reply at reading pace, so the second one is still streaming when the process dies, and
    // a short lease, so the restarted server takes that chat over within the test.
    const env = {
      CHATD_DATA_DIR: dataDir,
      CHATD_ADMIN_TOKEN: token,
      CHATD_LEASE_MS: '3000',
      CHATD_DEMO_DELAY_MS: '40',
      LOG_LEVEL: 'warn',
    };
    const isWaiting = (event: Json) => event.type === 'status' && event.status === 'waiting';
    try {
      const first = await runBinary(env);
      children.push(first.child);
      const create = async (content: string): Promise<Json> =>
        (
          await fetch(`${first.url}/v1/chats`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ content }),
          })
        ).json();
      const finished = await create('hello');
      await readStream(first.url, token, finished.id, isWaiting);
      const cut = await create('tell me more');
      await readStream(
        first.url,
        token,
        cut.id,
        (event) => event.type === 'message-part' && event.seq >= 5,
      );
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');

      const second = await runBinary(env);
      children.push(second.child);
      const roles = async (chatId: string): Promise<string[]> => {
        const page = await fetch(`${second.url}/v1/chats/${chatId}/messages`, { headers });
        return ((await page.json()) as Json).messages.map((message: Json) => message.role);
      };
      expect(await roles(finished.id)).toEqual(['assistant', 'user']);
      // Taken over once the dead process's lease ran out, and answered once.
      await readStream(second.url, token, cut.id, isWaiting);
      expect((await roles(cut.id)).filter((role) => role === 'assistant')).toHaveLength(1);
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
