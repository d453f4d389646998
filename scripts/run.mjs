#!/usr/bin/env node
// Entry point for `npm test` and `npm start` on a machine that has only Node and npm.
// pnpm is pinned and installed into a private prefix (.tools/) instead of globally or through
// corepack: corepack's signature check fails against this registry (see docs/toolchain notes),
// and installing pnpm into the workspace root would make it a dependency of the repo itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM_VERSION = '10.34.8';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsBin = join(root, '.tools', 'node_modules', '.bin');
const pnpmBin = join(toolsBin, 'pnpm');

function run(command, args, extraEnv = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    // turbo looks pnpm up on PATH, so the private prefix goes first.
    env: {
      ...process.env,
      PATH: `${toolsBin}${delimiter}${process.env.PATH ?? ''}`,
      TURBO_TELEMETRY_DISABLED: '1',
      ...extraEnv,
    },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function ensurePnpm() {
  if (existsSync(pnpmBin)) return;
  console.log(`[chatd] installing pnpm ${PNPM_VERSION} into .tools/ (one time)`);
  const status = run('npm', ['install', '--prefix', '.tools', '--no-save', `pnpm@${PNPM_VERSION}`]);
  if (status !== 0 || !existsSync(pnpmBin)) {
    console.error('[chatd] could not install pnpm; see the npm output above');
    process.exit(status || 1);
  }
}

function pnpm(args, extraEnv) {
  return run(pnpmBin, args, extraEnv);
}

const command = process.argv[2];

if (command === 'test') {
  ensurePnpm();
  // Always run install: it is ~1 s when nothing changed, and it catches a stale node_modules.
  let status = pnpm(['install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
  // Tests are never served from turbo's cache (`cache: false` in turbo.json), and the summary
  // only reads result files written by this run.
  run('node', ['scripts/test-summary.mjs', '--clean']);
  const checks = pnpm(['turbo', 'run', 'build', 'typecheck', 'lint', 'test', '--continue']);
  // Biome over the whole repository (root files too), and the API docs: typedoc fails on any
  // export without TSDoc, so this keeps "every export is documented" true.
  const repoChecks =
    checks === 0 ? pnpm(['exec', 'biome', 'ci', '.']) || pnpm(['exec', 'typedoc']) : 1;
  const boundaries =
    run('node', ['scripts/check-deps.mjs']) || run('node', ['scripts/check-manifests.mjs']);
  // Every ```ts block of every README compiles against the built dist/ and runs (after the build
  // above; it runs even when something else failed, so its count is always in the summary).
  const readmeExamples = pnpm([
    'exec',
    'vitest',
    'run',
    '--config',
    'scripts/readme-examples/vitest.config.ts',
  ]);
  const summary = run('node', ['scripts/test-summary.mjs']);
  status = checks || repoChecks || boundaries || readmeExamples || summary;
  process.exit(status);
} else if (command === 'start') {
  ensurePnpm();
  // Installs and builds only what is missing or stale (turbo's cache makes a second start fast).
  let status = pnpm(['install', '--frozen-lockfile']);
  // The terminal client too, so `npm run chatd` works against the started server.
  if (status === 0) {
    status = pnpm([
      'turbo',
      'run',
      'build',
      '--filter',
      '@chatd/server...',
      '--filter',
      '@chatd/cli...',
    ]);
  }
  if (status !== 0) process.exit(status);
  // The server runs as a child with this terminal; Ctrl-C and SIGTERM reach it (it hands its
  // chats over and exits within 10 s), and its exit code is ours.
  const child = spawn(process.execPath, [join(root, 'apps', 'server', 'dist', 'main.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));
} else {
  console.error('usage: node scripts/run.mjs <test|start>');
  process.exit(2);
}
