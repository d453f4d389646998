import { mergeConfig } from 'vitest/config';
import { createVitestConfig } from '../../vitest.shared.ts';

// Test files open embedded PGlite stores (hundreds of MB each): two files at a time. The first
// test of a file also builds the migrated PGlite template, which takes long under CI's parallel
// builds, hence the longer test timeout.
export default mergeConfig(createVitestConfig({ maxWorkers: 2 }), {
  test: { testTimeout: 120_000 },
});
