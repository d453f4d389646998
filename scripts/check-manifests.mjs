#!/usr/bin/env node
// Checks that every package is publishable the way the house style says: ESM only, an exports
// map with `types` first in every condition, `files: ["dist"]`, `sideEffects: false`, MIT with the
// root LICENSE shipped beside it, a README, the supported Node range, and the repository,
// homepage and bugs links npm shows on the package page. Two more things only break after
// publishing, so they are checked here:
// - npm shows a package's README on its own, so a relative link in it (`../../README.md`,
//   `BENCHMARKS.md`) leads nowhere there: links in package READMEs must be absolute.
// - every `exports` subpath must be an entry point of the API site (the package's typedoc.json, or
//   src/index.ts by default), or its exports are published without documentation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const REPOSITORY_URL = 'git+https://github.com/chatd-dev/chatd.git';
const BUGS_URL = 'https://github.com/chatd-dev/chatd/issues';
const rootTypedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'));
const problems = [];

/**
 * The links of a Markdown text that are neither absolute (`https:`, `mailto:`, `//host`) nor an
 * anchor on the same page (`#section`), with their line numbers. Code blocks and inline code are
 * not links. Covers inline links and images, reference definitions, and HTML href/src.
 */
function relativeLinks(markdown) {
  const found = [];
  let fence;
  markdown.split(/\r?\n/).forEach((rawLine, index) => {
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(rawLine);
    if (fence) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length)
        fence = undefined;
      return;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      return;
    }
    const line = rawLine.replace(/(`+)[^`]*?\1/g, '');
    const targets = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)/g)].map((match) => match[1]),
      ...[...line.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((match) => match[1]),
      ...[...line.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)].map((match) => match[1]),
    ];
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('//'))
        continue;
      found.push({ line: index + 1, target });
    }
  });
  return found;
}

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
  expect(
    manifest.repository?.type === 'git' &&
      manifest.repository?.url === REPOSITORY_URL &&
      manifest.repository?.directory === where,
    `repository must be { "type": "git", "url": "${REPOSITORY_URL}", "directory": "${where}" }`,
  );
  expect(
    manifest.homepage === `https://github.com/chatd-dev/chatd/tree/main/${where}#readme`,
    `homepage must be "https://github.com/chatd-dev/chatd/tree/main/${where}#readme"`,
  );
  expect(
    manifest.bugs === BUGS_URL || manifest.bugs?.url === BUGS_URL,
    `bugs must be "${BUGS_URL}"`,
  );

  const typedocPath = join(dir, 'typedoc.json');
  const documented = existsSync(typedocPath)
    ? (JSON.parse(readFileSync(typedocPath, 'utf8')).entryPoints ?? [])
    : rootTypedoc.packageOptions.entryPoints;
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    const built = typeof target === 'string' ? target : (target.import ?? target.default ?? '');
    const source = built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
    expect(
      documented.includes(source),
      `exports["${subpath}"] (${source}) is not an entry point of the API site: add it to ` +
        `${where}/typedoc.json "entryPoints"`,
    );
  }

  expect(existsSync(join(dir, 'README.md')), 'README.md is missing');
  if (existsSync(join(dir, 'README.md'))) {
    for (const { line, target } of relativeLinks(readFileSync(join(dir, 'README.md'), 'utf8')))
      problems.push(
        `${where}/README.md:${line}: relative link "${target}" breaks on npm, where the README ` +
          'is shown alone; link to https://github.com/chatd-dev/chatd/blob/main/… instead',
      );
  }
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
