import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Per-package adjustments to the shared config. */
export interface VitestConfigOptions {
  /**
   * Caps parallel test files, e.g. for packages whose files each start an embedded PGlite
   * (about 750 MB each).
   */
  maxWorkers?: number;
}

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/**
 * The one vitest config every package uses.
 *
 * - Each run writes a JSON report to `.vitest/results.json`, which `scripts/test-summary.mjs`
 *   sums into CI's `N passed, N failed`.
 * - `@chatd/<pkg>` and subpaths like `@chatd/<pkg>/testing` resolve to the sibling's TypeScript
 *   source, so a test always runs against the code in this checkout, never a stale `dist/`.
 */
export function createVitestConfig({ maxWorkers }: VitestConfigOptions = {}) {
  return defineConfig({
    resolve: {
      alias: [
        {
          find: /^@chatd\/([a-z-]+)\/([a-z-]+)$/,
          replacement: `${packagesDir}$1/src/$2/index.ts`,
        },
        { find: /^@chatd\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      ],
    },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // PGlite start-up and builds on the other core can be slow on 2-core machines.
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
      ...(maxWorkers === undefined ? {} : { maxWorkers }),
    },
  });
}
