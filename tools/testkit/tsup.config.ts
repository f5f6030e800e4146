import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  // The dts bundler compiles the entries alone; composite would demand every file be listed.
  dts: { compilerOptions: { composite: false } },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
