import { mergeConfig } from 'vitest/config';
import { createVitestConfig } from '../../vitest.shared.ts';

// Each test file opens PGlite instances (~750 MB each): two files at a time on 2-core machines.
// The global setup builds the migrated templates (PGlite tarball, Postgres template database)
// once per run; see src/test-support/databases.ts.
export default mergeConfig(createVitestConfig({ maxWorkers: 2 }), {
  test: { globalSetup: ['./src/test-support/global-setup.ts'], testTimeout: 120_000 },
});
