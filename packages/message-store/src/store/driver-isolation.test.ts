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
const blockPglite = fileURLToPath(new URL('../test-support/block-pglite.mjs', import.meta.url));

/** Runs `script` in a fresh Node process in which importing PGlite throws. */
function runWithPgliteBlocked(script: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', blockPglite, '--input-type=module', '--eval', script],
    { cwd: packageDir, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

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
      const { openStore } = await import(${JSON.stringify(`${packageDir}src/index.ts`)});
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
    const result = runWithPgliteBlocked(script);
    expect(result.output).toContain('status running');
    expect(result.status).toBe(0);
  });

  it('the check works: opening an in-memory store fails under it', () => {
    const result = runWithPgliteBlocked(`
      const { PubSub } = await import('@chatd/pubsub');
      const { openStore } = await import(${JSON.stringify(`${packageDir}src/index.ts`)});
      await openStore({ memory: true }, { pubsub: new PubSub() });
    `);
    expect(result.output).toContain('PGlite loaded');
    expect(result.status).not.toBe(0);
  });
});
