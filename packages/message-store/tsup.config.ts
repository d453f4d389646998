import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  // @internal members (constructors the store calls itself) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Drivers are loaded with dynamic import() only when used: keep them out of the bundle.
  external: ['vitest', 'pg', '@electric-sql/pglite'],
});
