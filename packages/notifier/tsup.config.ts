import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  // The dts bundler compiles the entries alone (composite would demand every file be listed) and
  // must see sibling packages as their built, published types, not their sources.
  dts: { compilerOptions: { composite: false, paths: {} } },
  clean: true,
  target: 'node20',
  sourcemap: true,
  // logger.ts loads its rotating file transport on demand with createRequire(__filename).
  shims: true,
});
