import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

/** `chatd-server` running as a child process. Test-only. */
export interface RunningBinary {
  readonly child: ChildProcess;
  /** The URL it printed. */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Kills it with SIGKILL unless it has exited. */
  kill(): void;
}

/**
 * Runs `chatd-server` as a user would (from its source, through tsx) with `env` added to this
 * process's environment, and resolves once it has printed its URL. Test-only.
 */
export async function runBinary(env: Record<string, string>): Promise<RunningBinary> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await vi.waitFor(() => expect(output).toMatch(/chatd is running at (http:\/\/\S+)/), {
    timeout: 60_000,
    interval: 100,
  });
  return {
    child,
    url: /chatd is running at (http:\/\/\S+)/.exec(output)?.[1] as string,
    output: () => output,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
