import { createVitestConfig } from '../../vitest.shared.ts';

// Test files open embedded PGlite stores (hundreds of MB each): two files at a time.
export default createVitestConfig({ maxWorkers: 2 });
