import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: {
    // @internal members (constructors the store calls itself) stay out of the published types.
    compilerOptions: { stripInternal: true },
    // The types use `AsyncDisposable` and `Symbol.asyncDispose`, which a project targeting
    // ES2023 or older (and without @types/node) lacks: the reference adds them to its program.
    banner: '/// <reference lib="esnext.disposable" />',
  },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Drivers are loaded with dynamic import() only when used: keep them out of the bundle.
  external: ['vitest', 'pg', '@electric-sql/pglite'],
});
