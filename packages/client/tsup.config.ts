import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'use-chat/index': 'src/use-chat/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
