import { mergeConfig } from 'vitest/config';
import { createVitestConfig } from '../../vitest.shared.ts';

// The tests start a real server (embedded PGlite) and drive the CLI in tmux: one file at a time.
export default mergeConfig(createVitestConfig({ maxWorkers: 1 }), {
  test: { testTimeout: 120_000 },
});
