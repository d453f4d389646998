#!/usr/bin/env node
// Checks that every package is publishable the way the house style says: ESM only, an exports
// map with `types` first in every condition, `files: ["dist"]`, `sideEffects: false`, MIT with the
// root LICENSE shipped beside it, a README, and the supported Node range.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const problems = [];

for (const folder of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', folder);
  if (!existsSync(join(dir, 'package.json'))) continue;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const where = `packages/${folder}`;
  const expect = (condition, problem) => condition || problems.push(`${where}: ${problem}`);

  expect(manifest.type === 'module', 'type must be "module" (ESM only)');
  expect(manifest.sideEffects === false, 'sideEffects must be false');
  expect(manifest.license === 'MIT', 'license must be MIT');
  expect(JSON.stringify(manifest.files) === '["dist"]', 'files must be ["dist"]');
  expect(manifest.engines?.node === '>=20.19', 'engines.node must be ">=20.19"');
  expect(
    !('main' in manifest) && !JSON.stringify(manifest.exports ?? {}).includes('"require"'),
    'no CommonJS entry',
  );
  expect(
    manifest.exports?.['./package.json'] === './package.json',
    'exports must include ./package.json',
  );
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'string') continue;
    expect(Object.keys(target)[0] === 'types', `exports["${subpath}"] must list "types" first`);
  }
  expect(existsSync(join(dir, 'README.md')), 'README.md is missing');
  expect(
    existsSync(join(dir, 'LICENSE')) && readFileSync(join(dir, 'LICENSE'), 'utf8') === license,
    'LICENSE must be a copy of the root LICENSE (npm ships it with the package)',
  );
}

if (problems.length > 0) {
  console.error(`Package manifest check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('Package manifests: ok');
