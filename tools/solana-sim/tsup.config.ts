import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['cjs', 'esm'],
    // The dts bundler compiles the entries alone (composite would demand every file be listed) and
    // must see sibling packages as their built, published types, not their sources.
    dts: { compilerOptions: { composite: false, paths: {} } },
    clean: true,
    shims: true,
    target: 'node20',
    sourcemap: true,
  },
  {
    // Process entry points and CLI shims: spawned by path, CommonJS only.
    entry: {
      cluster: 'src/entries/cluster.ts',
      validator: 'src/entries/validator.ts',
      'cli/agave-validator': 'src/cli/agave-validator.ts',
      'cli/fdctl': 'src/cli/fdctl.ts',
      'cli/firedancer': 'src/cli/firedancer.ts',
      'cli/solana': 'src/cli/solana.ts',
      'cli/solana-keygen': 'src/cli/solana-keygen.ts',
      'cli/solana-sim': 'src/cli/solana-sim.ts',
    },
    format: ['cjs'],
    target: 'node20',
    sourcemap: true,
  },
]);
