#!/usr/bin/env node
// Enforces the package graph of ARCHITECTURE.md: a package may import only packages listed
// before it (core imports none of them), and packages never import apps. Checked on both the
// manifests and the source imports, so a missing manifest entry cannot hide a forbidden import.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Order from ARCHITECTURE.md ("Packages and their dependencies"). Keep in sync when it changes.
const ORDER = [
  'core',
  'client',
  'pubsub',
  'messagepartbuffer',
  'message-store',
  'chatd',
  'mcp-client',
];
// mcp-client is listed last but depends on core only (ARCHITECTURE.md says so explicitly), and
// the client (the server API's typed client) depends on core only too.
const EXTRA_LIMITS = { 'mcp-client': ['core'], client: ['core'] };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');
const problems = [];

function allowedFor(name) {
  if (EXTRA_LIMITS[name]) return EXTRA_LIMITS[name];
  const index = ORDER.indexOf(name);
  return index === -1 ? null : ORDER.slice(0, index);
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(m|c)?tsx?$/.test(entry.name)) yield path;
  }
}

for (const folder of readdirSync(packagesDir)) {
  const manifestPath = join(packagesDir, folder, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.name !== `@chatd/${folder}`) {
    problems.push(`packages/${folder}: name must be @chatd/${folder}, is ${manifest.name}`);
  }
  const allowed = allowedFor(folder);
  if (allowed === null) {
    problems.push(
      `packages/${folder}: not listed in ARCHITECTURE.md order (scripts/check-deps.mjs)`,
    );
    continue;
  }
  const isAllowed = (dependency) => {
    const short = dependency.slice('@chatd/'.length).split('/')[0];
    return short === folder || allowed.includes(short);
  };
  for (const field of [
    'dependencies',
    'peerDependencies',
    'devDependencies',
    'optionalDependencies',
  ]) {
    for (const dependency of Object.keys(manifest[field] ?? {})) {
      if (dependency.startsWith('@chatd/') && !isAllowed(dependency)) {
        problems.push(`@chatd/${folder} ${field} lists ${dependency}, which is not above it`);
      }
    }
  }
  const importPattern = /(?:from\s+|import\s*\(\s*|import\s+)['"](@chatd\/[^'"]+)['"]/g;
  for (const file of sourceFiles(join(packagesDir, folder))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      if (!isAllowed(match[1])) {
        problems.push(
          `${relative(root, file)} imports ${match[1]}, which is not above @chatd/${folder}`,
        );
      }
    }
    if (/from\s+['"][./]*apps\//.test(text))
      problems.push(`${relative(root, file)} imports an app`);
  }
}

if (problems.length > 0) {
  console.error(`Package boundary check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('Package boundaries: ok');
