import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adminExec,
  dropDatabase,
  TEST_DATABASE_URL,
  uniqueDatabaseName,
  urlForDatabase,
} from '../test-support/postgres-admin.js';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const hidePackages = fileURLToPath(new URL('../test-support/hide-packages.mjs', import.meta.url));
const source = JSON.stringify(`${packageDir}src/index.ts`);

/** Runs `script` in a fresh Node process in which `hidden` packages are not installed. */
function runWithout(
  hidden: readonly string[],
  script: string,
): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', hidePackages, '--input-type=module', '--eval', script],
    {
      cwd: packageDir,
      encoding: 'utf8',
      env: { ...process.env, CHATD_HIDDEN_PACKAGES: hidden.join(',') },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('a { url } store without pg installed', () => {
  it('fails with DRIVER_NOT_INSTALLED saying to install pg', () => {
    // Nothing listens on port 1: the import fails before any connection is tried.
    const result = runWithout(
      ['pg'],
      `
      const { PubSub } = await import('@chatd/pubsub');
      const { openStore } = await import(${source});
      const pubsub = new PubSub();
      const error = await openStore({ url: 'postgres://127.0.0.1:1/x' }, { pubsub }).catch((e) => e);
      await pubsub.close();
      console.log(JSON.stringify({ code: error.code, message: error.message, cause: error.cause?.code }));
    `,
    );
    expect(result.status, result.output).toBe(0);
    expect(JSON.parse(result.output.trim().split('\n').at(-1) ?? '')).toEqual({
      code: 'DRIVER_NOT_INSTALLED',
      message:
        'Opening a store from a Postgres URL needs the optional peer dependency `pg`: npm install pg',
      cause: 'ERR_MODULE_NOT_FOUND',
    });
  });
});

if (!TEST_DATABASE_URL)
  console.warn('TEST_DATABASE_URL is unset: skipping the driver isolation tests');

describe.skipIf(!TEST_DATABASE_URL)('a Postgres store never loads PGlite', () => {
  const baseUrl = TEST_DATABASE_URL as string;
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await dropDatabase(baseUrl, name);
  });

  it('opens, migrates, queries and closes a { url } store with PGlite unloadable', async () => {
    const name = uniqueDatabaseName('test');
    await adminExec(baseUrl, `CREATE DATABASE "${name}"`);
    created.push(name);
    const script = `
      const { PubSub } = await import('@chatd/pubsub');
      const { openStore } = await import(${source});
      const pubsub = new PubSub();
      const store = await openStore({ url: ${JSON.stringify(urlForDatabase(baseUrl, name))} }, { pubsub });
      const { chatId } = await store.createChat({
        ownerId: 'o',
        messages: [{ role: 'user', content: { version: 1, parts: [{ type: 'text', text: 'hi' }] } }],
      });
      console.log('status', (await store.getChat(chatId)).status);
      await store.close();
      await pubsub.close();
    `;
    const result = runWithout(['@electric-sql/pglite'], script);
    expect(result.output).toContain('status running');
    expect(result.status).toBe(0);
  });

  it('the check works: opening an in-memory store fails under it', () => {
    const result = runWithout(
      ['@electric-sql/pglite'],
      `
      const { PubSub } = await import('@chatd/pubsub');
      const { openStore } = await import(${source});
      await openStore({ memory: true }, { pubsub: new PubSub() });
    `,
    );
    expect(result.output).toContain("Cannot find package '@electric-sql/pglite'");
    expect(result.status).not.toBe(0);
  });
});
