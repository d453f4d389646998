import { createVitestConfig } from '../../vitest.shared.ts';

// Each test file opens PGlite instances (~750 MB each): two files at a time on 2-core machines.
export default createVitestConfig({ maxWorkers: 2 });
