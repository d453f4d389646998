import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/migrations.js';

/*
 * The packed package must carry its migrations: pack the built package with its workspace
 * dependencies (pnpm rewrites `workspace:^` to versions), install the tarballs into an empty
 * project with npm and migrate a fresh PGlite data folder from there.
 */

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(packageDir, '..');
const repoPnpm = join(packageDir, '../../.tools/node_modules/.bin/pnpm');
const pnpm = existsSync(repoPnpm) ? repoPnpm : 'pnpm';
const tsup = join(packageDir, '../../node_modules/.bin/tsup');

let workDir: string | undefined;
afterAll(async () => {
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

const CHECK = `
import { PGlite } from '@electric-sql/pglite';
import { openStore } from '@chatd/message-store';
import { createTestStore } from '@chatd/message-store/testing';
import { PubSub } from '@chatd/pubsub';
const pubsub = new PubSub();
const store = await openStore({ dataDir: process.argv[2] }, { pubsub });
const text = { version: 1, parts: [{ type: 'text', text: 'hi' }] };
await store.createChat({ ownerId: 'owner', messages: [{ role: 'user', content: text }] });
const chats = (await store.listChats('owner')).chats.length;
await store.close();
await pubsub.close();
const pglite = await PGlite.create({ dataDir: process.argv[2] });
const { rows } = await pglite.query('SELECT max(version) AS version FROM chatd_message_store_migrations');
await pglite.close();
console.log(JSON.stringify({ version: Number(rows[0].version), chats, testing: typeof createTestStore }));
`;

it('installs from packed tarballs and migrates a fresh data folder', {
  timeout: 300_000,
}, async () => {
  workDir = await mkdtemp(join(tmpdir(), 'chatd-message-store-pack-'));
  const tarballs = join(workDir, 'tarballs');
  // Packs the dist/ the build made (turbo builds a package before its tests). Building here
  // would empty dist/ for a moment (tsup cleans it) under other packages' tests that import it.
  if (!existsSync(join(packageDir, 'dist/index.js'))) await run(tsup, [], { cwd: packageDir });
  for (const name of ['core', 'pubsub', 'message-store']) {
    await run(pnpm, ['pack', '--pack-destination', tarballs], { cwd: join(packagesDir, name) });
  }
  const app = join(workDir, 'app');
  await run('mkdir', ['-p', app]);
  await writeFile(join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}');
  const files = (await readdir(tarballs)).map((file) => join(tarballs, file));
  await run(
    'npm',
    ['install', ...files, 'rxjs@7.8.2', '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: app },
  );
  await writeFile(join(app, 'check.mjs'), CHECK);
  const { stdout } = await run(process.execPath, ['check.mjs', join(workDir, 'data')], {
    cwd: app,
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
    version: LATEST_SCHEMA_VERSION,
    chats: 1,
    testing: 'function',
  });
});
