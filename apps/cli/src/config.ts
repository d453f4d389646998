import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** Where the CLI talks to, and as whom. */
export interface CliConfig {
  url: string;
  token: string;
}

/** The config file: `$XDG_CONFIG_HOME/chatd/config.json` (or `~/.config/chatd/config.json`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'chatd', 'config.json');
}

/** The saved login in `text`, or why it is not one. */
function parseSaved(text: string): Partial<CliConfig> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const { url, token } = value as Record<string, unknown>;
  if (url !== undefined && typeof url !== 'string') return '`url` is not a string';
  if (token !== undefined && typeof token !== 'string') return '`token` is not a string';
  return {
    ...(url === undefined ? {} : { url }),
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * The saved login, with `CHATD_URL` / `CHATD_TOKEN` taking precedence. No file is no login; a
 * file that cannot be read or is not a saved login is an error saying so (it would otherwise
 * read as "not logged in", sending the user to log in again without telling them why), unless
 * `ignoreBadFile` (for `login`, which replaces it). With both variables set the file is not
 * read at all: nothing of it would be used, so a broken one must not stop a CI job.
 * @throws CliError naming the file and what is wrong with it.
 */
export async function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { ignoreBadFile = false }: { ignoreBadFile?: boolean } = {},
): Promise<Partial<CliConfig>> {
  if (env.CHATD_URL !== undefined && env.CHATD_TOKEN !== undefined) {
    return { url: env.CHATD_URL, token: env.CHATD_TOKEN };
  }
  const path = configPath(env);
  let saved: Partial<CliConfig> = {};
  let problem: string | undefined;
  try {
    const parsed = parseSaved(await readFile(path, 'utf8'));
    if (typeof parsed === 'string') problem = parsed;
    else saved = parsed;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'ENOENT') problem = message;
  }
  if (problem !== undefined && !ignoreBadFile) {
    throw new CliError(
      `the saved login in ${path} cannot be used (${problem}): run \`chatd login\` to replace it`,
    );
  }
  return {
    ...saved,
    ...(env.CHATD_URL === undefined ? {} : { url: env.CHATD_URL }),
    ...(env.CHATD_TOKEN === undefined ? {} : { token: env.CHATD_TOKEN }),
  };
}

/**
 * Refuses a server URL that is not http(s): `127.0.0.1:8787` fails deep in `fetch` with a bare
 * "Invalid URL", and `localhost:8787` even parses, as a URL of scheme `localhost:`.
 * @param from where the URL came from (`--url`, `CHATD_URL`), to name it.
 * @throws CliError quoting the URL and suggesting it with `http://`.
 */
export function checkServerUrl(url: string, from: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {}
  if (protocol === 'http:' || protocol === 'https:') return;
  const suggested = `http://${url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')}`;
  throw new CliError(
    `${from} "${url}" is not an http:// or https:// URL: did you mean ${suggested}?`,
  );
}

/** Saves the login readable by the user only (mode 0600). */
export async function saveConfig(
  config: CliConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}
