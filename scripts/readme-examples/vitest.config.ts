import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The README example check (`npm test` runs it after the build). Its JSON report sits where
// scripts/test-summary.mjs looks for it, so its tests count in `N passed, N failed`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
