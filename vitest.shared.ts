import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Per-package adjustments to the shared config. */
export interface VitestConfigOptions {
  /**
   * Caps parallel test files, e.g. for packages whose files each start an embedded PGlite
   * (about 750 MB each).
   */
  maxWorkers?: number;
  /**
   * Type-checks the `*.test-d.ts` files under `src` with tsc (through the package's
   * `tsconfig.json`) as part of `vitest run`, reporting each of their tests like a runtime
   * test. `expectTypeOf` asserts nothing at run time, so type tests only count when this is on.
   * @default true when the package (the working directory) has a `*.test-d.ts` file under `src`
   */
  typecheck?: boolean;
}

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/** Whether the package run from the working directory has type tests. */
function hasTypeTests(): boolean {
  const sourceDir = join(process.cwd(), 'src');
  if (!existsSync(sourceDir)) return false;
  return readdirSync(sourceDir, { recursive: true }).some((file) =>
    String(file).endsWith('.test-d.ts'),
  );
}

/**
 * The one vitest config every package uses.
 *
 * - Each run writes a JSON report to `.vitest/results.json`, which `scripts/test-summary.mjs`
 *   sums into CI's `N passed, N failed`.
 * - `@chatd/<pkg>` and subpaths like `@chatd/<pkg>/testing` resolve to the sibling's TypeScript
 *   source, so a test always runs against the code in this checkout, never a stale `dist/`.
 */
export function createVitestConfig({
  maxWorkers,
  typecheck = hasTypeTests(),
}: VitestConfigOptions = {}) {
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
      // PGlite start-up and builds on the other core can be slow on 2-core machines. A hook that
      // opens a store waits behind every package's tests and the server's browser tests at once
      // in CI: one took over a minute there.
      testTimeout: 30_000,
      hookTimeout: 180_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
      ...(maxWorkers === undefined ? {} : { maxWorkers }),
      ...(typecheck
        ? {
            typecheck: {
              enabled: true,
              include: ['src/**/*.test-d.ts'],
              tsconfig: 'tsconfig.json',
            },
          }
        : {}),
    },
  });
}
