import { defineConfig } from 'vitest/config';

/**
 * The one vitest config every package uses. Each run writes a JSON report to
 * `.vitest/results.json`, which `scripts/test-summary.mjs` sums into CI's `N passed, N failed`.
 */
export function createVitestConfig() {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // PGlite start-up and builds on the other core can be slow on 2-core machines.
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
      benchmark: { include: ['src/**/*.bench.ts'] },
    },
  });
}
