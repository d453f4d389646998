#!/usr/bin/env node
// Sums vitest's JSON reports (written by each package's `test` script to .vitest/results.json,
// and by the README example check to scripts/readme-examples/.vitest/results.json) into the line
// CI reads: `N passed, N failed`, always the last line. The line before it adds the skipped tests,
// which would otherwise vanish from the count (the Postgres suites skip without
// TEST_DATABASE_URL). A test file that fails to load counts as a failed test (vitest reports it as
// a failed suite with no tests), and a suite that did not produce a report counts as one failure,
// so nothing fails silently.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listWorkspaces } from './workspaces.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = listWorkspaces(root);

/** Every suite whose report is expected: the workspaces with a test script, and the README check. */
const suites = [
  ...workspaces.flatMap((workspace) => {
    const manifest = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8'));
    return manifest.scripts?.test ? [{ name: manifest.name, dir: workspace }] : [];
  }),
  { name: 'README examples', dir: join(root, 'scripts', 'readme-examples') },
];

if (process.argv.includes('--clean')) {
  for (const suite of suites) rmSync(join(suite.dir, '.vitest'), { recursive: true, force: true });
  process.exit(0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedBySuite = [];
for (const suite of suites) {
  const reportPath = join(suite.dir, '.vitest', 'results.json');
  if (!existsSync(reportPath)) {
    console.error(`[summary] ${suite.name}: no test report (build or test run failed)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const failedBefore = failed;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  const suiteSkipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  skipped += suiteSkipped;
  if (suiteSkipped > 0) skippedBySuite.push(`${suite.name} ${suiteSkipped}`);
  // Files that failed to load have no tests of their own but still fail the suite.
  for (const file of report.testResults ?? []) {
    // Each failing test is named here, next to the summary: a CI log often keeps only its tail,
    // and a test that fails once in many runs must be identifiable from that tail alone.
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const reason = String(test.failureMessages?.[0] ?? '')
        .split('\n')
        .slice(0, 3)
        .join(' | ');
      console.error(`[summary] FAILED ${suite.name}: ${file.name} > ${test.fullName}: ${reason}`);
    }
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      console.error(`[summary] ${suite.name}: ${file.name} failed to load: ${file.message ?? ''}`);
      failed += 1;
    }
  }
  // Anything else vitest calls unsuccessful (no test files found, an unhandled error between
  // tests) is one more failure, so the line never reads "0 failed" for a failing run.
  if (report.success === false && failed === failedBefore) {
    console.error(`[summary] ${suite.name}: the test run was not successful`);
    failed += 1;
  }
}
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const why = [
  process.env.TEST_DATABASE_URL ? '' : '; Postgres suites skip without TEST_DATABASE_URL',
  existsSync(chromium) ? '' : `; browser tests skip without Chromium at ${chromium}`,
].join('');
const where = skipped > 0 ? ` (${skippedBySuite.join(', ')}${why})` : '';
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${where}`);
// CI's contract: the last line is exactly `N passed, N failed`.
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
