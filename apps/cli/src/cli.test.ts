import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
/** The package folder: tsx reads its tsconfig (JSX) from the working directory. */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const serverMain = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));
const TOKEN = 'cli-test-token-0123456789abcdefghij';
const port = 20_000 + Math.floor(Math.random() * 20_000);
const url = `http://127.0.0.1:${port}`;

let dataDir: string;
let configHome: string;
let server: ChildProcess | undefined;
const session = `chatd-cli-${process.pid}`;

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', serverMain], {
    env: {
      ...process.env,
      PORT: String(port),
      CHATD_DATA_DIR: dataDir,
      CHATD_ADMIN_TOKEN: TOKEN,
      CHATD_DEMO_DELAY_MS: '60',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The server is a dev dependency, so CI builds it (and what it imports) before these tests.
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await vi.waitFor(() => expect(output).toContain('chatd is running'), {
    timeout: 150_000,
    interval: 100,
  });
  server = child;
}

async function stopServer(): Promise<void> {
  if (server === undefined || server.exitCode !== null) return;
  server.kill('SIGTERM');
  await once(server, 'exit');
  server = undefined;
}

/** Runs `chatd <args>` as a script would; never throws, returns code and output. */
async function chatd(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-t', session, '-p');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'chatd-cli-data-'));
  configHome = await mkdtemp(join(tmpdir(), 'chatd-cli-config-'));
  await startServer();
});

afterAll(async () => {
  try {
    tmux('kill-session', '-t', session);
  } catch {}
  await stopServer();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

describe('chatd, the commands scripts use', () => {
  it('login checks the token and saves it readable by the user only', async () => {
    const refused = await chatd(['login', '--url', url, '--token', 'wrong-token']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'chatd: the server refused the token: log in again with `chatd login`',
    );
    const unreachable = await chatd(['login', '--url', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toContain('cannot reach the chatd server at http://127.0.0.1:9');

    const ok = await chatd(['login', '--url', url, '--token', TOKEN]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`logged in to ${url} as admin (admin)`);
    const saved = await stat(join(configHome, 'chatd', 'config.json'));
    expect(saved.mode & 0o777).toBe(0o600);
  });

  it('new, send --wait, --json, chats, models and archive, with exit codes', async () => {
    const created = await chatd(['new', 'Hello from a script']);
    expect(created.code).toBe(0);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toContain('You wrote: "Hello from a script"');

    const sent = await chatd(['send', chatId, 'again please', '--wait']);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('You wrote: "again please"');

    const json = await chatd(['send', chatId, 'as json', '--wait', '--json']);
    expect(json.code).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.some((event) => event.type === 'message-part')).toBe(true);

    const chats = await chatd(['chats', '--json']);
    expect((JSON.parse(chats.stdout) as Array<{ id: string }>).map((chat) => chat.id)).toContain(
      chatId,
    );
    expect((await chatd(['models'])).stdout).toContain('demo');
    expect((await chatd(['archive', chatId])).stdout).toContain(`archived ${chatId}`);
    const missing = await chatd(['send', '00000000-0000-4000-8000-000000000000', 'hi']);
    expect(missing).toMatchObject({ code: 1, stderr: 'chatd: no such chat\n' });
  });
});

describe('chatd chat, used in a terminal (tmux)', () => {
  it('streams the reply, queues while busy, interrupts on Esc, and resumes after a server restart', async () => {
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-c',
      packageDir,
      '-x',
      '120',
      '-y',
      '45',
      // ink renders only its last frame when CI is set (as CI runs set it): a person's terminal has no CI.
      `env -u CI XDG_CONFIG_HOME=${configHome} ${process.execPath} --import tsx ${cli} chat; sleep 600`,
    );
    await vi.waitFor(() => expect(screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });

    tmux('send-keys', '-t', session, 'Hello from tmux', 'Enter');
    // The reply streams in place while the status line says running.
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('You wrote: "Hello from tmux"');
        expect(now).toContain('── running');
      },
      { timeout: 30_000 },
    );

    tmux('send-keys', '-t', session, 'queued while busy', 'Enter');
    await vi.waitFor(
      () => expect(screen()).toContain('queued: it runs when the current reply is done'),
      { timeout: 10_000 },
    );
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('You wrote: "queued while busy"');
        expect(now).toContain('── waiting');
      },
      { timeout: 60_000 },
    );

    tmux('send-keys', '-t', session, 'stop me halfway', 'Enter');
    await vi.waitFor(() => expect(screen()).toContain('You wrote: "stop me halfway". I stream'), {
      timeout: 30_000,
    });
    tmux('send-keys', '-t', session, 'Escape');
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('── waiting');
        expect(now).toContain('interrupted');
      },
      { timeout: 30_000 },
    );
    expect(screen()).not.toContain(
      '"stop me halfway". I stream this reply word by word so you can watch it arrive, interrupt it, or queue a message while I am busy. Ask',
    );

    // The server restarts mid-reply: the CLI says so, reconnects and shows the answer.
    tmux('send-keys', '-t', session, 'survive a restart', 'Enter');
    await vi.waitFor(() => expect(screen()).toContain('You wrote: "survive a restart"'), {
      timeout: 30_000,
    });
    await stopServer();
    await vi.waitFor(() => expect(screen()).toContain('reconnecting…'), { timeout: 30_000 });
    await startServer();
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).not.toContain('reconnecting…');
        expect(now).toContain('── waiting');
        expect(now).toContain('OPENAI_COMPATIBLE_BASE_URL for a real');
      },
      { timeout: 90_000 },
    );
  });
});

describe('chatd chat, leaving', () => {
  it('Ctrl-D exits with code 0, and so does Ctrl-C pressed twice', async () => {
    for (const keys of [['C-d'], ['C-c', 'C-c']]) {
      const name = `${session}-exit`;
      tmux(
        'new-session',
        '-d',
        '-s',
        name,
        '-c',
        packageDir,
        '-x',
        '100',
        '-y',
        '20',
        `env -u CI XDG_CONFIG_HOME=${configHome} ${process.execPath} --import tsx ${cli} chat; echo "exited with $?"; sleep 600`,
      );
      try {
        const pane = () => tmux('capture-pane', '-t', name, '-p');
        await vi.waitFor(() => expect(pane()).toContain('new chat: type a message'), {
          timeout: 120_000,
        });
        for (const key of keys) tmux('send-keys', '-t', name, key);
        await vi.waitFor(() => expect(pane()).toContain('exited with 0'), { timeout: 10_000 });
      } finally {
        tmux('kill-session', '-t', name);
      }
    }
  });
});
