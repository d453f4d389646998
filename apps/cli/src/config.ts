import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

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

/** The saved login, with `CHATD_URL` / `CHATD_TOKEN` taking precedence. */
export async function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Partial<CliConfig>> {
  let saved: Partial<CliConfig> = {};
  try {
    saved = JSON.parse(await readFile(configPath(env), 'utf8')) as Partial<CliConfig>;
  } catch {}
  return {
    ...saved,
    ...(env.CHATD_URL === undefined ? {} : { url: env.CHATD_URL }),
    ...(env.CHATD_TOKEN === undefined ? {} : { token: env.CHATD_TOKEN }),
  };
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
