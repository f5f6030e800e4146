import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Package boundaries, for every file: another package is imported by its name and public
 * entry point, never through its `src/` or `bin/`, whatever the path (`@failover/x/src/y`,
 * `../../x/src/y`, `…/packages/x/bin/y`). Relative paths that climb out of a package and
 * descend into another one's `src/` or `bin/` are caught by the regex; climbing to the
 * package's own `src/` (`../../src/y`) names no other package and stays allowed.
 */
const BOUNDARY_PATTERNS = [
  {
    group: [
      '@failover/*/src',
      '@failover/*/src/*',
      '@failover/*/bin',
      '@failover/*/bin/*',
      '**/packages/*/src',
      '**/packages/*/src/*',
      '**/packages/*/bin',
      '**/packages/*/bin/*',
      '**/tools/*/src',
      '**/tools/*/src/*',
      '**/tools/*/bin',
      '**/tools/*/bin/*',
    ],
    message: 'Import another package by its name and public entry point, not its src/ or bin/.',
  },
  {
    regex: '^(\\.\\./)+([^./][^/]*/)+(src|bin)(/|$)',
    message: 'Import another package by its name and public entry point, not its src/ or bin/.',
  },
];

/**
 * `no-restricted-imports` with the package boundaries plus a package's own direction rule.
 * A later config object replaces a rule's options instead of merging them, so every object
 * that sets the rule goes through here.
 */
function restrictImports({ paths = [], patterns = [] } = {}) {
  return ['error', { paths, patterns: [...BOUNDARY_PATTERNS, ...patterns] }];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/.tsbuild/**', '**/node_modules/**', '**/*.cjs', '**/bin/*.js', '**/tsup.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { rules: { 'no-restricted-imports': restrictImports() } },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        paths: [
          'fs',
          'node:fs',
          'net',
          'node:net',
          'child_process',
          'node:child_process',
          'http',
          'node:http',
          'timers',
          'node:timers',
        ],
        patterns: [{ group: ['@failover/*'], message: '@failover/core depends on no other package.' }],
      }),
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'fetch'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Core reads time from the injected Clock.' },
      ],
    },
  },
  {
    files: ['packages/protocol/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [
          {
            group: ['@failover/notifier', '@failover/agent', '@failover/manager'],
            message: 'protocol depends only on core.',
          },
        ],
      }),
    },
  },
  {
    files: ['packages/notifier/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [
          { group: ['@failover/agent', '@failover/manager'], message: 'notifier knows core events, not the apps.' },
        ],
      }),
    },
  },
  {
    files: ['packages/agent/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [
          {
            group: ['@failover/manager', '@failover/solana-sim', '@failover/testkit'],
            message: 'The agent never imports the manager or tools.',
          },
        ],
      }),
    },
  },
  {
    files: ['packages/manager/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [
          {
            group: ['@failover/agent', '@failover/solana-sim', '@failover/testkit'],
            message: 'The manager never imports the agent or tools.',
          },
        ],
      }),
    },
  },
);
