import { mergeConfig } from 'vitest/config';
import { createVitestConfig } from '../../vitest.shared.ts';

// The tests start a real server (embedded PGlite) and drive the CLI in tmux: one file at a time.
export default mergeConfig(createVitestConfig({ maxWorkers: 1 }), {
  // Under CI's parallel builds and tests, starting the server (a fresh PGlite) is slow.
  test: { testTimeout: 180_000, hookTimeout: 180_000 },
});
