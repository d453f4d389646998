import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FakeOpenAI, type FakeReply } from '@chatd/chatd/testing';
import type { ChatMessage } from '@chatd/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const run = promisify(execFile);
// The built CLI and server, as a user runs them: `test` waits for this package's build and its
// dependencies' (turbo), and a built program starts in a fraction of tsx's time, which matters
// when CI's parallel builds and tests load the machine (a spawn per `chatd` call adds up).
const cli = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** The package folder, where the terminals start. */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const serverMain = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
const TOKEN = 'cli-test-token-0123456789abcdefghij';
const port = 20_000 + Math.floor(Math.random() * 20_000);
const url = `http://127.0.0.1:${port}`;

let dataDir: string;
let configHome: string;
let server: ChildProcess | undefined;
const session = `chatd-cli-${process.pid}`;

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, [serverMain], {
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

/**
 * Runs `chatd <args>` as a script would; never throws, returns code and output. One still
 * running after `timeout` ms is stopped (code `null`): a hang fails the test, not the run.
 */
async function chatd(args: string[], env: Record<string, string | undefined> = {}, timeout = 0) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome, ...env },
      timeout,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number | null; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-t', session, '-p');
/** tmux sessions the tests started, killed at the end. */
const sessions: string[] = [];

/**
 * `chatd <args>` in a terminal of its own (tmux), driven and read as a person would; with
 * `stdin`, that text is piped in (the terminal is stdout only); `env` adds variables.
 */
function terminal(
  name: string,
  args: string,
  {
    columns = 80,
    rows = 30,
    stdin,
    env = {},
  }: { columns?: number; rows?: number; stdin?: string; env?: Record<string, string> } = {},
) {
  const id = `${session}-${name}`;
  const variables = Object.entries(env)
    .map(([variable, value]) => `${variable}='${value}' `)
    .join('');
  tmux(
    'new-session',
    '-d',
    '-s',
    id,
    '-c',
    packageDir,
    '-x',
    String(columns),
    '-y',
    String(rows),
    // ink renders only its last frame when CI is set (as CI runs set it): a person's terminal has no CI.
    `${stdin === undefined ? '' : `printf '%s\\n' '${stdin}' | `}env -u CI XDG_CONFIG_HOME=${configHome} ${variables}${process.execPath} ${cli} ${args}; echo "exited with $?"; sleep 600`,
  );
  sessions.push(id);
  return {
    /** What the terminal shows now. */
    screen: () => tmux('capture-pane', '-t', id, '-p'),
    /** Everything it printed that is still there: the scrollback and the screen. */
    everything: () => tmux('capture-pane', '-t', id, '-p', '-S', '-'),
    /** The screen with its colours and styles as escape codes. */
    styled: () => tmux('capture-pane', '-t', id, '-p', '-e'),
    /** Presses keys (tmux names: Enter, Escape, C-d, …), several at once in one write. */
    keys: (...keys: string[]) => tmux('send-keys', '-t', id, ...keys),
    /** Types text as it is. */
    type: (text: string) => tmux('send-keys', '-t', id, '-l', text),
    /** Pastes text as a terminal does (bracketed, when the program asked for it). */
    paste: (text: string) => {
      tmux('set-buffer', '-b', id, text);
      tmux('paste-buffer', '-p', '-d', '-b', id, '-t', id);
    },
    /** The title the program gave the terminal (tmux's pane title). */
    title: () => tmux('display-message', '-p', '-t', id, '#{pane_title}').trim(),
    resize: (width: number, height: number) =>
      tmux('resize-window', '-t', id, '-x', String(width), '-y', String(height)),
  };
}

/** Sends a request to the server's API as the admin. */
const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** A local provider's scripted replies (a turn with none scripted gets "A short answer."). */
interface ScriptedProvider {
  /** Queues replies for the next turns. */
  reply(...replies: FakeReply[]): void;
  /**
   * Queues a reply of `pieces` whose first `holdAfter` pieces stream at once and the rest once
   * the returned function is called: the test does what must happen mid-reply in between.
   */
  hold(pieces: string[], holdAfter?: number): () => void;
  /** How many turns (streaming requests) it has been asked for. */
  turnsAsked(): number;
}

/**
 * A local OpenAI-compatible provider behind a stored model configuration `id`, for the tests of
 * the describe block that calls it: added before them, removed after them (so the demo model is
 * the default again).
 */
function fakeProviderModel(id: string): ScriptedProvider {
  let fake: FakeOpenAI | undefined;
  const started = () => {
    if (fake === undefined) throw new Error('the fake provider starts before the tests');
    return fake;
  };
  beforeAll(async () => {
    fake = await FakeOpenAI.start({ unscripted: { kind: 'text', text: 'A short answer.' } });
    const added = await admin('POST', '/v1/admin/model-configs', {
      id,
      provider: 'openai-compatible',
      model: 'fake',
      baseUrl: fake.baseURL,
    });
    expect(added.status).toBe(201);
  });
  afterAll(async () => {
    await admin('DELETE', `/v1/admin/model-configs/${id}`);
    await fake?.close();
  });
  return {
    reply: (...replies) => started().reply(...replies),
    hold: (pieces, holdAfter) => started().hold(pieces, holdAfter),
    turnsAsked: () => started().requests.filter((request) => request.body.stream === true).length,
  };
}

/** How many times `text` occurs in `within`. */
const count = (within: string, text: string) => within.split(text).length - 1;

/** Control characters a terminal may obey: all but newline and tab. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** A chat the admin starts through the API with `content` as its first message; its id. */
async function chatWith(content: string): Promise<string> {
  const created = await admin('POST', '/v1/chats', { content });
  expect(created.status).toBe(201);
  return ((await created.json()) as { id: string }).id;
}

beforeAll(async () => {
  for (const program of [cli, serverMain]) {
    if (!existsSync(program)) throw new Error(`${program} is missing: run \`pnpm build\` first`);
  }
  dataDir = await mkdtemp(join(tmpdir(), 'chatd-cli-data-'));
  configHome = await mkdtemp(join(tmpdir(), 'chatd-cli-config-'));
  await startServer();
});

afterAll(async () => {
  for (const name of [session, ...sessions]) {
    try {
      tmux('kill-session', '-t', name);
    } catch {}
  }
  await stopServer();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

describe('chatd, the commands scripts use', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(
      await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-v']) {
      expect(await chatd([flag])).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });

  it('login checks the token and saves it readable by the user only', async () => {
    const refused = await chatd(['login', '--url', url, '--token', 'wrong-token']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'chatd: the server refused the token: log in again with `chatd login`',
    );
    const unreachable = await chatd(['login', '--url', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toContain('cannot reach the chatd server at http://127.0.0.1:9');
    // A URL without its scheme: the value, and what to write instead.
    expect(await chatd(['login', '--url', '127.0.0.1:28917', '--token', TOKEN])).toMatchObject({
      code: 1,
      stderr:
        'chatd: --url "127.0.0.1:28917" is not an http:// or https:// URL: did you mean http://127.0.0.1:28917?\n',
    });

    // A saved login that cannot be used says so (not "not logged in"); login replaces it.
    const configFile = join(configHome, 'chatd', 'config.json');
    await mkdir(join(configHome, 'chatd'), { recursive: true });
    await writeFile(configFile, '{"url": "http://127.0.0.1:1", "token": ');
    expect(await chatd(['chats'])).toMatchObject({
      code: 1,
      stderr: `chatd: the saved login in ${configFile} cannot be used (not JSON): run \`chatd login\` to replace it\n`,
    });
    // CHATD_URL and CHATD_TOKEN together need nothing of the file (a CI job's case).
    expect(await chatd(['chats'], { CHATD_URL: url, CHATD_TOKEN: TOKEN })).toMatchObject({
      code: 0,
      stderr: '',
    });

    const ok = await chatd(['login', '--url', url, '--token', TOKEN]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`logged in to ${url} as admin (admin)`);
    const saved = await stat(join(configHome, 'chatd', 'config.json'));
    expect(saved.mode & 0o777).toBe(0o600);
  });

  it('new, send --wait, --json, chats, models, archive and delete, with exit codes', async () => {
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
    expect((await chatd(['models'])).stdout).toMatch(/^demo .*\(default\)$/m);
    expect((await chatd(['chats', '--archived'])).stdout).toBe('no archived chats\n');
    expect((await chatd(['archive', chatId])).stdout).toContain(`archived ${chatId}`);
    const archived = await chatd(['chats', '--archived', '--json']);
    expect(JSON.parse(archived.stdout).map((chat: { id: string }) => chat.id)).toContain(chatId);
    expect((await chatd(['unarchive', chatId])).stdout).toContain(`unarchived ${chatId}`);
    const active = await chatd(['chats', '--json']);
    expect(JSON.parse(active.stdout)).toContainEqual(
      expect.objectContaining({ id: chatId, archived: false }),
    );
    expect((await chatd(['delete', chatId])).stdout).toContain(`deleted ${chatId}`);
    expect(await chatd(['delete', chatId])).toMatchObject({
      code: 1,
      stderr: 'chatd: no such chat\n',
    });
    const missing = await chatd(['send', '00000000-0000-4000-8000-000000000000', 'hi']);
    expect(missing).toMatchObject({ code: 1, stderr: 'chatd: no such chat\n' });
  });

  it('send --wait ends at a client tool, prints only the answer to its own queued message, and --interrupt says it interrupts', async () => {
    const asked = await chatd(
      ['new', 'Please ask me for my favourite colour', '--client-tool', 'ask_user'],
      {},
      60_000,
    );
    const askedId = /^chat (\S+)$/m.exec(asked.stdout)?.[1] as string;
    const waits = `waiting for a client tool: answer it in \`chatd chat ${askedId}\``;
    // No answer to print: exit code 1, as the README says.
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain(waits);
    // Queued behind the tool call, the message cannot run: say so and end.
    const behindTool = await chatd(['send', askedId, 'are you there?', '--wait'], {}, 60_000);
    expect(behindTool).toMatchObject({ code: 1, stderr: '' });
    expect(behindTool.stdout).toBe(`${waits}\nyour message waits in the queue\n`);

    const created = await chatd(['new', 'a first message'], {}, 60_000);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    expect((await chatd(['send', chatId, 'the turn before'])).stdout.trim()).toBe('sent');
    const queued = await chatd(['send', chatId, 'my own question', '--wait'], {}, 60_000);
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain('You wrote: "my own question"');
    expect(queued.stdout).not.toContain('You wrote: "the turn before"');

    // A turn and five queued behind it (each a few seconds of demo reply), sent straight to the
    // server: the chat stays busy far longer than the next command takes to start, even on a
    // loaded machine.
    for (let index = 0; index < 6; index += 1) {
      const queuedSend = await fetch(`${url}/v1/chats/${chatId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: `keep busy ${index}`, busy: 'queue' }),
      });
      expect(queuedSend.status).toBe(200);
    }
    const interrupting = await chatd(['send', chatId, 'stop and answer this', '--interrupt']);
    expect(interrupting.code).toBe(0);
    expect(interrupting.stdout.trim()).toBe('interrupting: it is answered next');
  });

  it('prints what the server sends as text, never as terminal controls, and --json exactly', async () => {
    // What a model could be made to say (and echo back): a terminal title, colours, a C1 CSI.
    const content = 'hostile \u001b]0;PWNED-TITLE\u0007 \u001b[41mpaint\u001b[0m \u009b2J end';
    const chatId = await chatWith(content);
    const title = 'evil \u001b[31mRED\u001b[0m\nsecond line \u009b2J';
    expect((await admin('PATCH', `/v1/chats/${chatId}`, { title })).status).toBe(200);

    const listed = await chatd(['chats']);
    expect(listed.stdout).not.toMatch(CONTROLS);
    // Still one line per chat, the title's newline a space.
    for (const line of listed.stdout.trimEnd().split('\n'))
      expect(line).toMatch(/^[0-9a-f-]{36} {2}/);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(chatId));
    expect(row).toMatch(/ evil ␛\[31mRED␛\[0m second line \ufffd2J$/);

    // JSON escapes C0 controls; DEL and C1 ones are escaped too, and the value stays exact.
    const json = await chatd(['chats', '--json']);
    expect(json.stdout).not.toMatch(CONTROLS);
    const chats = JSON.parse(json.stdout) as Array<{ id: string; title: string }>;
    expect(chats.find((chat) => chat.id === chatId)?.title).toBe(title);

    const plain = await chatdPiped(['chat', chatId], async ({ end }) => end(), 60_000);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(CONTROLS);
    expect(plain.stdout).toContain('you: hostile ␛]0;PWNED-TITLE␇ ␛[41mpaint␛[0m \ufffd2J end');
    expect(plain.stdout).toContain('You wrote: "hostile ␛]0;PWNED-TITLE␇');

    const events = await chatdPiped(['chat', chatId, '--json'], async ({ end }) => end(), 60_000);
    expect(events.stdout).not.toMatch(CONTROLS);
    const texts = events.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; message?: ChatMessage })
      .flatMap((event) => (event.type === 'message' && event.message ? [event.message] : []))
      .map((message) => message.content.parts[0]);
    expect(texts).toContainEqual({ type: 'text', text: content });
  });

  it('ends quietly, with exit code 0, when what reads its output stops reading', async () => {
    const created = await chatd(['new', 'first words'], {}, 60_000);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    for (const [pipeline, position] of [
      [`${process.execPath} ${cli} send ${chatId} 'cut short' --wait --json | head -c 100`, 0],
      [`echo hi | ${process.execPath} ${cli} chat --json | head -1`, 1],
    ] as const) {
      // The answer streams for seconds: writes go on after `head` has gone.
      const { stdout, stderr } = await run(
        'bash',
        ['-c', `${pipeline} > /dev/null; echo "chatd exited with \${PIPESTATUS[${position}]}"`],
        { env: { ...process.env, XDG_CONFIG_HOME: configHome }, timeout: 60_000 },
      );
      expect(stdout, pipeline).toBe('chatd exited with 0\n');
      // At most the new chat's id (`chat --json` starts a chat): no stack trace.
      expect(stderr, pipeline).toMatch(/^(chat \S+\n)?$/);
    }
  });

  it('runs the production build of React unless NODE_ENV says otherwise', async () => {
    // Which React build a `chatd` process loaded, written to stderr as it exits.
    const preload = join(configHome, 'react-build.cjs');
    await writeFile(
      preload,
      `process.on('exit', () => {
        // Node lists a module it only read for its exports too: the build that ran is loaded.
        const loaded = Object.keys(require.cache).filter(
          (file) => /[\\\\/]react[\\\\/]cjs[\\\\/]/.test(file) && require.cache[file].loaded,
        );
        require('node:fs').writeSync(2, 'react: ' + loaded.map((file) => require('node:path').basename(file)).join(',') + '\\n');
      });`,
    );
    // Any command loads the program, and with it ink and React; `--help` needs no login.
    const production = await chatd(['--help'], {
      NODE_ENV: undefined,
      NODE_OPTIONS: `--require ${preload}`,
    });
    expect(production.code, production.stderr).toBe(0);
    const reactLine = (stderr: string) => /^react: (.*)$/m.exec(stderr)?.[1] ?? '';
    expect(reactLine(production.stderr)).toMatch(/\.production\.js/);
    expect(reactLine(production.stderr)).not.toMatch(/\.development\.js/);
    const development = await chatd(['--help'], {
      NODE_ENV: 'development',
      NODE_OPTIONS: `--require ${preload}`,
    });
    expect(reactLine(development.stderr)).toMatch(/\.development\.js/);
    expect(reactLine(development.stderr)).not.toMatch(/\.production\.js/);
  });
});

describe('chatd chat, used in a terminal (tmux)', () => {
  // Each reply is held mid-stream by the provider until the test has done what it does "while
  // it streams" (queue, Esc, a restart), so no step races the reply on a busy machine.
  const provider = fakeProviderModel('fake-held');

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
      `env -u CI XDG_CONFIG_HOME=${configHome} ${process.execPath} ${cli} chat --model fake-held; sleep 600`,
    );
    await vi.waitFor(() => expect(screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });

    const releaseHello = provider.hold(['Hello, ', 'person in tmux.']);
    provider.reply({ kind: 'text', text: ['The queued one, answered.'] });
    tmux('send-keys', '-t', session, 'Hello from tmux', 'Enter');
    // The reply streams in place while the status line says running.
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('Hello,');
        expect(now).toContain('── running');
      },
      { timeout: 30_000 },
    );

    tmux('send-keys', '-t', session, 'queued while busy', 'Enter');
    await vi.waitFor(
      () => expect(screen()).toContain('queued: it runs when the current reply is done'),
      { timeout: 30_000 },
    );
    releaseHello();
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('Hello, person in tmux.');
        expect(now).toContain('The queued one, answered.');
        expect(now).toContain('── waiting');
        // Done and nothing left queued: the notice that it was queued has gone.
        expect(now).not.toContain('queued: it runs');
      },
      { timeout: 60_000 },
    );

    const releaseHalfway = provider.hold(['Halfway ', 'and never this.']);
    tmux('send-keys', '-t', session, 'stop me halfway', 'Enter');
    await vi.waitFor(() => expect(screen()).toContain('Halfway'), { timeout: 30_000 });
    tmux('send-keys', '-t', session, 'Escape');
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain('── waiting');
        expect(now).toContain('interrupted');
      },
      { timeout: 30_000 },
    );
    releaseHalfway();
    expect(screen()).not.toContain('never this');

    // The server restarts mid-reply: the CLI says so, reconnects and shows the answer, which
    // the restarted server generates again.
    const releaseRestart = provider.hold(['Before the restart ', 'and never this either.']);
    provider.reply({ kind: 'text', text: ['After the restart, ', 'the whole answer.'] });
    tmux('send-keys', '-t', session, 'survive a restart', 'Enter');
    await vi.waitFor(() => expect(screen()).toContain('Before the restart'), {
      timeout: 30_000,
    });
    await stopServer();
    releaseRestart();
    await vi.waitFor(() => expect(screen()).toContain('reconnecting…'), { timeout: 30_000 });
    // A message cannot go while the server is down: it stays in the prompt, and the notice
    // says why until the server is back.
    tmux('send-keys', '-t', session, 'sent while down', 'Enter');
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).toContain(`cannot reach the chatd server at ${url}`);
        expect(now).toContain('> sent while down');
      },
      { timeout: 30_000 },
    );
    await startServer();
    await vi.waitFor(
      () => {
        const now = screen();
        expect(now).not.toContain('reconnecting…');
        expect(now).toContain('── waiting');
        expect(now).toContain('After the restart, the whole answer.');
        expect(now).not.toContain('cannot reach the chatd server');
      },
      { timeout: 90_000 },
    );
    expect(screen()).not.toContain('never this either');
  });

  it('ends with the error and exit code 1 when the open chat is deleted, or its token revoked, mid-reply', async () => {
    const deleted = terminal('deleted', 'chat --model fake-held', { columns: 100 });
    await vi.waitFor(() => expect(deleted.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    const releaseDeleted = provider.hold(['Half a reply ', 'and never the rest.']);
    deleted.type('delete me while you answer');
    deleted.keys('Enter');
    let chatId = '';
    await vi.waitFor(
      () => {
        const now = deleted.screen();
        expect(now).toContain('Half a reply');
        expect(now).toContain('── running');
        chatId = /^chat (\S+)$/m.exec(now)?.[1] ?? '';
        expect(chatId).not.toBe('');
      },
      { timeout: 30_000 },
    );
    expect((await admin('DELETE', `/v1/chats/${chatId}`)).status).toBe(204);
    await vi.waitFor(() => expect(deleted.screen()).toContain('exited with 1'), {
      timeout: 30_000,
    });
    // The transcript stays; the reply that will never end and the status line go.
    let now = deleted.screen();
    expect(now).toContain('delete me while you answer');
    expect(now).toContain('chatd: no such chat');
    expect(now).not.toContain('Half a reply');
    expect(now).not.toContain('── ');
    releaseDeleted();

    const added = await admin('POST', '/v1/admin/users', { name: 'revoked-in-tmux' });
    expect(added.status).toBe(201);
    const { token } = (await added.json()) as { token: { id: string; token: string } };
    const revoked = terminal('revoked', 'chat --model fake-held', {
      columns: 100,
      env: { CHATD_TOKEN: token.token },
    });
    await vi.waitFor(() => expect(revoked.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    const releaseRevoked = provider.hold(['Half a reply ', 'and never the rest.']);
    revoked.type('revoke me while you answer');
    revoked.keys('Enter');
    await vi.waitFor(() => expect(revoked.screen()).toContain('Half a reply'), {
      timeout: 30_000,
    });
    expect((await admin('DELETE', `/v1/admin/tokens/${token.id}`)).status).toBe(204);
    await vi.waitFor(() => expect(revoked.screen()).toContain('exited with 1'), {
      timeout: 30_000,
    });
    now = revoked.screen();
    expect(now).toContain('chatd: the server refused the token: log in again with `chatd login`');
    expect(now).not.toContain('Half a reply');
    expect(now).not.toContain('reconnecting…');
    releaseRevoked();
  });
});

describe('chatd chat, leaving', () => {
  it('says to press Ctrl-C again within 2 s, and takes the notice back when the 2 s are over', async () => {
    const person = terminal('ctrl-c-window', 'chat', { columns: 100, rows: 20 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    const notice = 'press Ctrl-C again within 2 s to exit';
    person.keys('C-c');
    await vi.waitFor(() => expect(person.screen()).toContain(notice), { timeout: 15_000 });
    await vi.waitFor(() => expect(person.screen()).not.toContain(notice), { timeout: 15_000 });
    // Pressed after the window, Ctrl-C is a first press again: it does not exit.
    person.keys('C-c');
    await vi.waitFor(() => expect(person.screen()).toContain(notice), { timeout: 15_000 });
    expect(person.screen()).not.toContain('exited with');
    person.keys('C-d');
    await vi.waitFor(() => expect(person.screen()).toContain('exited with 0'), { timeout: 15_000 });
  });

  it('Ctrl-D exits with code 0, also right after Esc, and so does Ctrl-C pressed twice', async () => {
    const ways: Array<{ name: string; press: (keys: (...keys: string[]) => void) => void }> = [
      { name: 'ctrl-d', press: (keys) => keys('C-d') },
      {
        name: 'ctrl-c-twice',
        press: (keys) => {
          keys('C-c');
          keys('C-c');
        },
      },
      // One write: ink reads the Escape and the Ctrl-D as one escape sequence.
      { name: 'esc-ctrl-d', press: (keys) => keys('Escape', 'C-d') },
      {
        name: 'esc-then-ctrl-d',
        press: (keys) => {
          keys('Escape');
          keys('C-d');
        },
      },
      { name: 'typed-esc-ctrl-d', press: (keys) => keys('h', 'i', 'Escape', 'C-d') },
    ];
    for (const way of ways) {
      const person = terminal(`exit-${way.name}`, 'chat', { columns: 100, rows: 20 });
      await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
        timeout: 120_000,
      });
      way.press(person.keys);
      await vi.waitFor(() => expect(person.screen(), way.name).toContain('exited with 0'), {
        timeout: 15_000,
      });
    }
  });
});

describe('chatd chat at 80 columns (tmux)', () => {
  it('shows the reply as markdown, the model in the status line, and tool calls on one line that Ctrl-O expands and collapses', async () => {
    const person = terminal('markdown', 'chat', { columns: 80, rows: 40 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    expect(person.screen()).toContain('Ctrl-O shows tools · Ctrl-D exits');

    // The demo model quotes the message: its markdown comes back in the reply.
    person.type('Show **bold**, _italic_, `code` and [docs](https://example.com/docs)');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('You wrote: "Show bold, italic, code');
        expect(now).toContain('and docs (https://example.com/docs)". I stream');
        expect(now).toContain('── waiting · model demo');
      },
      { timeout: 60_000 },
    );
    const styled = person.styled();
    expect(styled).toContain('\u001b[1mbold');
    expect(styled).toContain('\u001b[3mitalic');
    expect(styled).toContain('\u001b[33mcode');
    expect(styled).toContain('\u001b[4m\u001b[34mdocs');
    // What the user typed stays as typed.
    expect(person.screen()).toContain('Show **bold**, _italic_, `code`');

    person.type('roll a dice');
    person.keys('Enter');
    const collapsed = /← roll_dice: \{"sides":6,"value":\d\}/;
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('→ roll_dice({"sides":6})');
        expect(now).toMatch(collapsed);
        expect(now).toContain('The roll_dice tool answered');
        expect(now).toContain('── waiting · model demo · Ctrl-O expands tools');
      },
      { timeout: 60_000 },
    );

    person.keys('C-o');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toMatch(/^ {4}"value": \d$/m);
        expect(now).toContain('Ctrl-O collapses tools');
        expect(now).not.toMatch(collapsed);
      },
      { timeout: 15_000 },
    );
    // Expanding prints the transcript again: once, not below the old one (checked until one
    // capture holds the whole reprint: captures can fall between ink's writes).
    await vi.waitFor(
      () => {
        const everything = person.everything();
        expect(everything.split('\n').filter((line) => line === 'roll a dice')).toHaveLength(1);
        expect(count(everything, 'Show **bold**')).toBe(1);
      },
      { timeout: 15_000 },
    );

    person.keys('C-o');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toMatch(collapsed);
        expect(now).not.toContain('"value": ');
      },
      { timeout: 15_000 },
    );
    person.keys('C-d');
    await vi.waitFor(() => expect(person.screen()).toContain('exited with 0'), { timeout: 15_000 });
  });

  it('shows the client tool call the chat waits for and sends the answer typed for it', async () => {
    const person = terminal('client-tool', 'chat --client-tool ask_user', { columns: 80 });
    await vi.waitFor(() => expect(person.screen()).toContain('client tool ask_user declared'), {
      timeout: 120_000,
    });
    person.type('Please ask me for my favourite colour');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('The model waits for your client tool:');
        expect(now).toContain('ask_user({"question":"Please ask me for my favourite colour"})');
        expect(now).toContain('asks: Please ask me for my favourite colour');
        expect(now).toContain('── requires-action');
        expect(now).toContain('answer ask_user >');
      },
      { timeout: 60_000 },
    );
    person.type('green');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('← ask_user: green');
        expect(now).toContain('The ask_user tool answered "green"');
        expect(now).toContain('── waiting');
        expect(now).not.toContain('The model waits for your client tool');
      },
      { timeout: 60_000 },
    );
  });
});

describe('chatd chat, typing (tmux)', () => {
  it('sends a quick burst of lines to one new chat, in order, and says an interrupt interrupts', async () => {
    const chatsNow = async () =>
      (JSON.parse((await chatd(['chats', '--json'])).stdout) as unknown[]).length;
    const before = await chatsNow();
    const person = terminal('burst', 'chat', { columns: 200, rows: 50 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    person.keys('o', 'n', 'e', 'Enter', 't', 'w', 'o', 'Enter', 't', 'h', 'r', 'e', 'e', 'Enter');
    await vi.waitFor(() => expect(person.screen()).toContain('You wrote: "one"'), {
      timeout: 30_000,
    });
    person.type('!now please');
    person.keys('Enter');
    await vi.waitFor(() => expect(person.screen()).toContain('interrupting: it is answered next'), {
      timeout: 15_000,
    });
    expect(person.screen()).not.toContain('queued: it runs when the current reply is done');
    // One capture per try, checked whole: ink moves a finished reply from the live area into
    // the transcript in separate writes, and a terminal without synchronized output (tmux 3.3)
    // can be read between them, so two captures need not agree.
    await vi.waitFor(
      () => {
        const everything = person.everything();
        for (const text of ['one', 'two', 'three', 'now please'])
          expect(everything).toContain(`You wrote: "${text}"`);
        expect(everything).toContain('── waiting');
        expect(everything.indexOf('You wrote: "two"')).toBeLessThan(
          everything.indexOf('You wrote: "three"'),
        );
        expect(count(everything, 'You wrote: "one"')).toBe(1);
      },
      { timeout: 90_000 },
    );
    // Everything answered: the notice that an interrupt was under way has gone.
    await vi.waitFor(
      () => expect(person.screen()).not.toContain('interrupting: it is answered next'),
      { timeout: 15_000 },
    );
    expect(await chatsNow()).toBe(before + 1);
    person.keys('C-d');
  });

  it('sends lines pasted at once as one message (bracketed paste), and turns the mode off on exit', async () => {
    const person = terminal('paste', 'chat', { columns: 100 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    person.paste('line one\nline two\nline three');
    // In the prompt, not sent: the paste's newlines (CRs, as a terminal sends them) are text.
    await vi.waitFor(
      () => expect(person.screen()).toMatch(/^> line one\n {2}line two\n {2}line three$/m),
      { timeout: 15_000 },
    );
    expect(person.screen()).not.toContain('you');
    person.keys('Enter');
    let chatId = '';
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('You wrote: "line one');
        expect(now).toContain('── waiting');
        chatId = /^chat (\S+)$/m.exec(now)?.[1] ?? '';
        expect(chatId).not.toBe('');
      },
      { timeout: 60_000 },
    );
    const listed = await admin('GET', `/v1/chats/${chatId}/messages?afterId=0`);
    const { messages } = (await listed.json()) as { messages: ChatMessage[] };
    expect(
      messages.filter((message) => message.role === 'user').map((message) => message.content.parts),
    ).toEqual([[{ type: 'text', text: 'line one\nline two\nline three' }]]);
    person.keys('C-d');
    await vi.waitFor(() => expect(person.screen()).toContain('exited with 0'), { timeout: 15_000 });
    // Off again: a paste into what runs next (the shell's `sleep`) has no markers around it.
    person.paste('after chatd');
    await vi.waitFor(() => expect(person.screen()).toContain('after chatd'), { timeout: 15_000 });
    expect(person.screen()).not.toContain('[200~');
  });

  it('refuses an unknown --model before anything is drawn', async () => {
    for (const args of [['chat'], ['new']]) {
      const refused = await chatd([...args, '--model', 'no-such-model'], {}, 60_000);
      expect(refused).toMatchObject({
        code: 1,
        stderr: 'chatd: Unknown model configuration "no-such-model": see `chatd models`\n',
      });
    }
  });

  it('keeps what was typed when sending fails', async () => {
    // A model configuration an admin removes while the chat is open: sending then fails.
    const added = await admin('POST', '/v1/admin/model-configs', {
      id: 'short-lived',
      provider: 'openai-compatible',
      model: 'm',
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(added.status).toBe(201);
    const person = terminal('keep', 'chat --model short-lived', { columns: 100 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    expect((await admin('DELETE', '/v1/admin/model-configs/short-lived')).status).toBe(204);
    person.type('keep these words');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('Unknown model configuration "short-lived"');
        expect(now).toContain('> keep these words');
      },
      { timeout: 15_000 },
    );
    person.keys('C-d');
  });

  it('edits at the cursor (arrows, Home, End) and recalls sent messages with Up and Down', async () => {
    const person = terminal('edit', 'chat', { columns: 100 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    person.type('wrld');
    person.keys('Left', 'Left', 'Left');
    person.type('o');
    person.keys('Home');
    person.type('hello ');
    person.keys('End');
    person.type('!');
    person.keys('Enter');
    // The whole reply, so that the next message starts a turn of its own (it would queue behind
    // a reply still streaming, and wait for it, which under a loaded machine can take long).
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(now).toContain('You wrote: "hello world!"');
        expect(now).toContain('── waiting');
      },
      { timeout: 60_000 },
    );
    // Up brings back what was sent; Down returns to what was being written.
    person.type('half');
    person.keys('Up');
    // (tmux leaves out the blank cursor at the end of the line.)
    await vi.waitFor(() => expect(person.screen()).toMatch(/^> hello world!$/m), {
      timeout: 15_000,
    });
    person.keys('Down');
    await vi.waitFor(() => expect(person.screen()).toMatch(/^> half$/m), { timeout: 15_000 });
    person.keys('Up', 'C-a');
    person.type('again: ');
    person.keys('Enter');
    await vi.waitFor(() => expect(person.screen()).toContain('You wrote: "again: hello world!"'), {
      timeout: 60_000,
    });
    // Ctrl-A and Ctrl-E each in one write with the key after them, as ssh or typing ahead
    // delivers them: the move, then the key.
    person.type('orl');
    person.keys('C-a', 'w');
    person.keys('C-e', 'd');
    await vi.waitFor(() => expect(person.screen()).toMatch(/^> world$/m), { timeout: 15_000 });
    person.keys('Enter');
    // A bare `!` sends nothing, so Up does not bring it back: it brings the last message sent.
    person.type('!');
    person.keys('Enter');
    person.keys('Up');
    await vi.waitFor(() => expect(person.screen()).toMatch(/^> world$/m), { timeout: 15_000 });
    await vi.waitFor(() => expect(person.screen()).toContain('You wrote: "world"'), {
      timeout: 60_000,
    });
    person.keys('C-d');
  });

  it('Backspace removes a whole character (an emoji too), and each of several read at once', async () => {
    const person = terminal('backspace', 'chat', { columns: 100 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    person.type('abc😀');
    person.keys('BSpace');
    person.type('d');
    person.keys('Enter');
    await vi.waitFor(() => expect(person.screen()).toContain('You wrote: "abcd"'), {
      timeout: 30_000,
    });
    person.type('helloo');
    // One write: the three Backspaces reach the CLI in one read.
    person.keys('BSpace', 'BSpace', 'BSpace');
    person.type('p');
    person.keys('Enter');
    await vi.waitFor(() => expect(person.screen()).toContain('You wrote: "help"'), {
      timeout: 30_000,
    });
    person.keys('C-d');
  });

  it('reads a piped stdin as plain lines when only stdout is a terminal', async () => {
    const created = await chatd(['new', 'first words'], {}, 60_000);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    const piped = terminal('piped-chat', `chat ${chatId}`, {
      columns: 200,
      stdin: 'hello from a pipe',
    });
    const started = terminal('piped-new', 'new', { columns: 200, stdin: 'a new chat from a pipe' });
    for (const [person, text] of [
      [piped, 'hello from a pipe'],
      [started, 'a new chat from a pipe'],
    ] as const) {
      await vi.waitFor(
        () => {
          const now = person.everything();
          expect(now).toContain(`You wrote: "${text}"`);
          expect(now).toContain('exited with 0');
        },
        { timeout: 60_000 },
      );
      expect(person.everything()).not.toContain('Raw mode');
    }
  });
});

/** Runs `chatd <args>` without a terminal, feeding `stdin` as the script says. */
async function chatdPiped(
  args: string[],
  script: (io: {
    write: (line: string) => void;
    output: () => string;
    end: () => void;
  }) => Promise<void>,
  /** Stops a `chatd` still running this long after the script is done (exit code `null`). */
  timeout = 120_000,
) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: configHome },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit');
  await script({
    write: (line) => child.stdin.write(`${line}\n`),
    output: () => stdout,
    end: () => child.stdin.end(),
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), timeout);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('chatd chat without a terminal', () => {
  it('prints plain lines, or NDJSON with --json, and answers a client tool from the next line', async () => {
    const plain = await chatdPiped(['chat'], async ({ write, end }) => {
      write('Hello without a terminal');
      end();
    });
    expect(plain.code).toBe(0);
    // The new chat's id, for a script to find it again, on stderr: stdout is the chat.
    expect(plain.stderr).toMatch(/^chat [0-9a-f-]{36}\n$/);
    expect(plain.stdout).not.toMatch(/^chat /m);
    expect(plain.stdout).toContain('you: Hello without a terminal');
    expect(plain.stdout).toContain(
      'assistant: [chatd demo model: offline, canned replies] You wrote: "Hello without a terminal"',
    );

    const created = await chatd(['new', 'first words']);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    const json = await chatdPiped(['chat', chatId, '--json'], async ({ write, end }) => {
      write('as events please');
      end();
    });
    expect(json.code).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.some((event) => event.type === 'message-part')).toBe(true);
    expect(json.stdout).toContain('You wrote: \\"as events please\\"');

    const tool = await chatdPiped(['chat', '--client-tool', 'ask_user'], async (io) => {
      io.write('Please ask me for my favourite colour');
      await vi.waitFor(() => expect(io.output()).toContain('waits: the next line answers it'), {
        timeout: 60_000,
      });
      io.write('blue');
      io.end();
    });
    expect(tool.code).toBe(0);
    expect(tool.stdout).toContain(
      'client tool ask_user({"question":"Please ask me for my favourite colour"}) waits: the next line answers it',
    );
    expect(tool.stdout).toContain('The ask_user tool answered "blue"');
  });

  it('answers a client tool with a line already waiting in stdin, not queueing it as a message', async () => {
    const tool = await chatdPiped(
      ['chat', '--client-tool', 'ask_user'],
      async ({ write, end }) => {
        write('Please ask me for my favourite colour');
        write('purple');
        end();
      },
      60_000,
    );
    expect(tool.code).toBe(0);
    expect(tool.stdout).toContain('The ask_user tool answered "purple"');
    expect(tool.stdout).not.toContain('you: purple');
  });

  it('fails in one line for an unknown chat, a refused token, an unreachable server and a misplaced option', async () => {
    expect(await chatd(['chat', '00000000-0000-4000-8000-000000000000'])).toMatchObject({
      code: 1,
      stderr: 'chatd: no such chat\n',
    });
    expect(await chatd(['chat'], { CHATD_TOKEN: 'wrong-token' })).toMatchObject({
      code: 1,
      stderr: 'chatd: the server refused the token: log in again with `chatd login`\n',
    });
    const unreachable = await chatd(['chat', 'some-chat'], { CHATD_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      'chatd: cannot reach the chatd server at http://127.0.0.1:9: is it running? (npm start)\n',
    );
    const misplaced = await chatd(['chat', 'some-chat', '--client-tool', 'ask_user']);
    expect(misplaced.code).toBe(1);
    expect(misplaced.stderr.trim().split('\n')).toHaveLength(1);
    expect(misplaced.stderr).toContain('--model and --client-tool are for a new chat');
  });
});

describe('chatd chat shows what the server sends, and never obeys it (tmux)', () => {
  it('shows a terminal title sequence in a message as text: the terminal keeps its title', async () => {
    const chatId = await chatWith(
      'retitle \u001b]0;PWNED-TITLE\u0007 and \u001b[41mpaint\u001b[0m the screen',
    );
    const person = terminal('hostile', `chat ${chatId}`, { columns: 120 });
    // The message and the demo model's echo of it (drawn as markdown) are on screen.
    await vi.waitFor(
      () => {
        const now = person.screen();
        expect(count(now, 'retitle')).toBe(2);
        expect(now).toContain('── waiting');
      },
      { timeout: 60_000 },
    );
    expect(person.title()).not.toContain('PWNED');
    // No red background was painted either: the sequences show as text.
    expect(person.styled()).not.toContain('\u001b[41m');
    const now = person.screen();
    expect(now).toContain('retitle ␛]0;PWNED-TITLE␇ and ␛[41mpaint␛[0m the screen');
    expect(now).toContain('You wrote: "retitle ␛]0;PWNED-TITLE␇ and ␛[41mpaint␛[0m');
    person.keys('C-d');
  });
});

// Last: a stored model configuration becomes the server's default model for new chats.
describe('chatd chat with a real provider streaming markdown (tmux)', () => {
  const provider = fakeProviderModel('fake-markdown');

  it('streams markdown blocks in place, keeps a long reply inside the screen, shows the queue, and survives a resize mid-stream without repeating a line', async () => {
    const points = Array.from({ length: 30 }, (_, index) => `- point-${index + 1}-end\n`);
    const reply = [
      '# Release notes\n\n',
      'The **build** is ',
      'green and the *docs* are `up to date`.\n\n',
      ...points,
      '\n```ts\n',
      'const answer = 42;\n',
      '  console.log(answer);\n',
      // Held here: the fence is open.
      'done();\n',
      '```\n\n',
      'That is **all**.',
    ];
    const release = provider.hold(reply, reply.indexOf('done();\n'));
    const person = terminal('provider', 'chat --model fake-markdown', { columns: 80, rows: 24 });
    await vi.waitFor(() => expect(person.screen()).toContain('new chat: type a message'), {
      timeout: 120_000,
    });
    person.type('release notes please');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const now = person.screen();
        // The open fence already shows as code; the reply's newest lines are in view.
        expect(now).toContain('│ const answer = 42;');
        expect(now).toContain('│   console.log(answer);');
        expect(now).toContain('• point-30-end');
        expect(now).toContain('── running · model fake-markdown');
      },
      { timeout: 60_000 },
    );
    let now = person.screen();
    expect(now).not.toContain('```');
    // 30 points do not fit in 24 rows: the top of the reply waits above the screen.
    expect(now).not.toContain('point-1-end');
    expect(count(now, '── running')).toBe(1);

    person.type('and one more thing');
    person.keys('Enter');
    await vi.waitFor(
      () => {
        const later = person.screen();
        expect(later).toContain('queued: and one more thing');
        expect(later).toContain('1 queued');
      },
      { timeout: 30_000 },
    );

    person.resize(60, 20);
    await vi.waitFor(
      () => {
        now = person.screen();
        expect(now).toContain('│ const answer = 42;');
        expect(count(now, '── running')).toBe(1);
        expect(count(now, 'queued: and one more thing')).toBe(1);
        expect(count(person.everything(), 'release notes please')).toBe(1);
      },
      { timeout: 30_000 },
    );
    release();
    await vi.waitFor(
      () => {
        const after = person.screen();
        expect(after).toContain('That is all.');
        expect(after).toContain('A short answer.');
        expect(after).toContain('── waiting');
      },
      { timeout: 60_000 },
    );
    // Checked until one capture holds it all (see the burst test: captures can fall between
    // ink's writes).
    await vi.waitFor(
      () => {
        const everything = person.everything();
        expect(count(everything, 'Release notes')).toBe(1);
        for (let index = 1; index <= 30; index++) {
          expect(count(everything, `point-${index}-end`)).toBe(1);
        }
        expect(count(everything, '│ const answer = 42;')).toBe(1);
        expect(count(everything, '│ done();')).toBe(1);
        expect(count(everything, 'and one more thing')).toBe(1);
        expect(everything).not.toContain('```');
        expect(everything).not.toContain('**');
      },
      { timeout: 15_000 },
    );
  });
  it('ends a failed turn with its reason (retries too), also without a terminal, and a turn interrupted before any output', async () => {
    const created = await chatd(['new', 'hello fake', '--model', 'fake-markdown'], {}, 60_000);
    const chatId = /^chat (\S+)$/m.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toContain('A short answer.');

    // A failure worth retrying, then one for good.
    provider.reply(
      { kind: 'error', status: 503, message: 'fake overload' },
      { kind: 'error', status: 400, message: 'fake refusal' },
    );
    const piped = await chatdPiped(
      ['chat', chatId],
      async ({ write, end }) => {
        write('fail please');
        end();
      },
      60_000,
    );
    expect(piped.code).toBe(1);
    expect(piped.stdout).toMatch(/^retrying in \d+ s \(attempt 1\): /m);
    expect(piped.stdout).toContain('error: The model provider rejected the request.');

    provider.reply({ kind: 'error', status: 400, message: 'fake refusal' });
    const sent = await chatd(['send', chatId, 'fail again', '--wait'], {}, 60_000);
    expect(sent.code).toBe(1);
    expect(sent.stdout).toContain('error: The model provider rejected the request.');
    expect(sent.stdout).not.toContain('the turn failed');

    for (const command of ['new', 'send']) {
      const release = provider.hold(['never said'], 0);
      const asked = provider.turnsAsked();
      let held = chatId;
      const args =
        command === 'new'
          ? ['new', 'hold on', '--model', 'fake-markdown']
          : ['send', chatId, 'hold on', '--wait'];
      const result = await chatdPiped(
        args,
        async ({ output, end }) => {
          end();
          if (command === 'new') {
            await vi.waitFor(() => expect(output()).toMatch(/^chat \S+$/m), { timeout: 30_000 });
            held = /^chat (\S+)$/m.exec(output())?.[1] as string;
          }
          // The model was called and holds its reply back: the turn has no output yet.
          await vi.waitFor(() => expect(provider.turnsAsked()).toBe(asked + 1), {
            timeout: 30_000,
          });
          const response = await fetch(`${url}/v1/chats/${held}/interrupt`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(response.status).toBe(202);
        },
        30_000,
      );
      release();
      expect(result.code, command).toBe(1);
      expect(result.stdout, command).toContain('the turn ended without an answer');
      expect(result.stdout, command).not.toContain('never said');
    }
  });
});
