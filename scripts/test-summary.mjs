#!/usr/bin/env node
// Sums vitest's JSON reports (written by each package's `test` script to .vitest/results.json)
// into the one line CI prints: `N passed, N failed`. A test file that fails to load counts as a
// failed test (vitest reports it as a failed suite with no tests), and a package whose test
// script did not produce a report counts as one failure, so nothing fails silently.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = ['packages', 'apps'].flatMap((group) => {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => join(dir, entry.name));
});

if (process.argv.includes('--clean')) {
  for (const workspace of workspaces)
    rmSync(join(workspace, '.vitest'), { recursive: true, force: true });
  process.exit(0);
}

let passed = 0;
let failed = 0;
for (const workspace of workspaces) {
  const manifest = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8'));
  if (!manifest.scripts?.test) continue;
  const reportPath = join(workspace, '.vitest', 'results.json');
  if (!existsSync(reportPath)) {
    console.error(`[summary] ${manifest.name}: no test report (build or test run failed)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const failedBefore = failed;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // Files that failed to load have no tests of their own but still fail the suite.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      console.error(
        `[summary] ${manifest.name}: ${file.name} failed to load: ${file.message ?? ''}`,
      );
      failed += 1;
    }
  }
  // Anything else vitest calls unsuccessful (no test files found, an unhandled error between
  // tests) is one more failure, so the line never reads "0 failed" for a failing run.
  if (report.success === false && failed === failedBefore) {
    console.error(`[summary] ${manifest.name}: the test run was not successful`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
