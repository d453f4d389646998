import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'postgres/index': 'src/postgres/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Drivers are optional peers loaded with dynamic import() only when used; vitest is the
  // optional peer of the testing entry, provided by the test runner that imports it.
  external: ['pg', '@electric-sql/pglite', 'vitest'],
});
