import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', server: 'src/server/index.ts' },
  format: ['cjs', 'esm'],
  // The dts bundler compiles the entries alone (composite would demand every file be listed) and
  // must see sibling packages as their built, published types, not their sources.
  dts: { compilerOptions: { composite: false, paths: {} } },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
