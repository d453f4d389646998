import { mergeConfig } from 'vitest/config';
import { createVitestConfig } from '../../vitest.shared.ts';

// Each test file starts servers on embedded PGlite (hundreds of MB each): two files at a time.
export default mergeConfig(createVitestConfig({ maxWorkers: 2 }), {
  // A server starting under a fully loaded CI machine has taken more than a minute (hooks get
  // the shared config's three minutes).
  test: { testTimeout: 120_000 },
});
