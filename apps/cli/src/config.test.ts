import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkServerUrl, loadConfig } from './config.js';

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** An environment whose config folder holds a saved login file of `text`. */
async function savedLogin(text: string): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(tmpdir(), 'chatd-cli-config-test-'));
  folders.push(home);
  await mkdir(join(home, 'chatd'));
  await writeFile(join(home, 'chatd', 'config.json'), text);
  return { XDG_CONFIG_HOME: home };
}

describe('loadConfig', () => {
  it('does not need the saved file when CHATD_URL and CHATD_TOKEN are both set', async () => {
    const env = await savedLogin('{"url": 5}');
    const both = { ...env, CHATD_URL: 'http://127.0.0.1:1', CHATD_TOKEN: 'from-env' };
    expect(await loadConfig(both)).toEqual({ url: 'http://127.0.0.1:1', token: 'from-env' });
  });

  it('still reports a broken saved file when only one variable is set', async () => {
    const env = await savedLogin('{"url": 5}');
    await expect(loadConfig({ ...env, CHATD_TOKEN: 'from-env' })).rejects.toThrow(
      /cannot be used \(`url` is not a string\)/,
    );
  });

  it('takes each variable over the saved value', async () => {
    const env = await savedLogin('{"url": "http://saved", "token": "saved"}');
    expect(await loadConfig({ ...env, CHATD_TOKEN: 'from-env' })).toEqual({
      url: 'http://saved',
      token: 'from-env',
    });
  });
});

describe('checkServerUrl', () => {
  it('accepts http and https URLs', () => {
    expect(() => checkServerUrl('http://127.0.0.1:8787', '--url')).not.toThrow();
    expect(() => checkServerUrl('https://chat.example.com/', '--url')).not.toThrow();
  });

  it('quotes a URL without its scheme and suggests it with http://', () => {
    expect(() => checkServerUrl('127.0.0.1:28917', '--url')).toThrow(
      '--url "127.0.0.1:28917" is not an http:// or https:// URL: did you mean http://127.0.0.1:28917?',
    );
    // Parses, as scheme `localhost:`.
    expect(() => checkServerUrl('localhost:8787', 'CHATD_URL')).toThrow(
      'CHATD_URL "localhost:8787" is not an http:// or https:// URL: did you mean http://localhost:8787?',
    );
    expect(() => checkServerUrl('ftp://host', '--url')).toThrow('did you mean http://host?');
  });
});
