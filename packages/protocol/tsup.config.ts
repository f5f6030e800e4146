import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  // The dts bundler compiles the entries alone: composite would demand every file be listed,
  // and @failover/core's sources (tsconfig paths) lie outside this package's rootDir.
  dts: { compilerOptions: { composite: false, rootDir: '../..' } },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
