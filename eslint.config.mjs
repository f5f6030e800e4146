import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@failover/*/src/*', '../../*/src/*', '**/packages/*/src/*'], message: 'Import a package by its public entry point, not its sources.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'node:fs', 'net', 'node:net', 'child_process', 'node:child_process', 'http', 'node:http', 'timers', 'node:timers'],
          patterns: [{ group: ['@failover/*'], message: '@failover/core depends on no other package.' }],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Core reads time from the injected Clock.' }],
    },
  },
  {
    files: ['packages/protocol/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@failover/notifier', '@failover/agent', '@failover/manager'], message: 'protocol depends only on core.' }] }],
    },
  },
  {
    files: ['packages/notifier/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@failover/agent', '@failover/manager'], message: 'notifier knows core events, not the apps.' }] }],
    },
  },
  {
    files: ['packages/agent/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@failover/manager', '@failover/solana-sim', '@failover/testkit'], message: 'The agent never imports the manager or tools.' }] }],
    },
  },
  {
    files: ['packages/manager/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@failover/agent', '@failover/solana-sim', '@failover/testkit'], message: 'The manager never imports the agent or tools.' }] }],
    },
  },
);
