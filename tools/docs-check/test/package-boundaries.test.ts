import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// Lints snippets with the repository's eslint.config.mjs, as if they were the files named.
const LINT_IMPORTS = path.join(__dirname, '..', 'scripts', 'lint-imports.mjs');
const BOUNDARY = 'Import another package by its name and public entry point, not its src/ or bin/.';

interface Snippet {
  readonly filePath: string;
  readonly code: string;
}

interface Report {
  readonly line: number;
  readonly message: string;
}

const snippet = (filePath: string, ...imports: string[]): Snippet => ({
  filePath,
  code: `${imports.map((from, i) => `import { x${i} } from '${from}';\n`).join('')}export const all = [${imports.map((_, i) => `x${i}`).join(', ')}];\n`,
});

// [what, snippet, the messages expected on each line, in order]
const cases: Array<[string, Snippet, Array<[number, string]>]> = [
  [
    "another package's src/ by its name, from inside an app",
    snippet('packages/manager/src/index.ts', '@failover/agent/src/cli'),
    [
      [1, BOUNDARY],
      [1, 'The manager never imports the agent or tools.'],
    ],
  ],
  [
    "another package's bin/ by its name",
    snippet('packages/notifier/src/index.ts', '@failover/manager/bin/failover-manager.js'),
    [
      [1, BOUNDARY],
      [1, 'notifier knows core events, not the apps.'],
    ],
  ],
  [
    "another package's src/ by a relative path, from inside an app",
    snippet('packages/manager/src/index.ts', '../../agent/src/cli'),
    [[1, BOUNDARY]],
  ],
  [
    'an app by its public entry point, against the direction of dependencies',
    snippet('packages/manager/src/index.ts', '@failover/agent'),
    [[1, 'The manager never imports the agent or tools.']],
  ],
  [
    "another package's src/ from core, whose own rules still hold",
    snippet('packages/core/src/index.ts', 'node:fs', '../../protocol/src/index'),
    [
      [1, 'node:fs'],
      [2, BOUNDARY],
    ],
  ],
  [
    "another package's bin/ by a relative path, from a test",
    snippet('packages/manager/test/monitor.test.ts', '../../agent/bin/failover-agent.js'),
    [[1, BOUNDARY]],
  ],
  [
    "a tool's src/ and a package's src/, from another tool",
    snippet('tools/bench/src/run-all.ts', '../../e2e/src', '../../../packages/agent/src/cli'),
    [
      [1, BOUNDARY],
      [2, BOUNDARY],
      [2, BOUNDARY],
    ],
  ],
];

const allowed: Array<[string, Snippet]> = [
  [
    'its own sources, from a test two levels down',
    snippet('packages/manager/test/support/failover-rig.ts', '../../src/start-manager'),
  ],
  ['its own sources, from a test', snippet('packages/agent/test/cli.test.ts', '../src/cli-args')],
  [
    'another package by its public entry point, along the direction of dependencies',
    snippet('packages/manager/src/index.ts', '@failover/notifier', '@failover/core/testing'),
  ],
];

let reports: Report[][] = [];

beforeAll(async () => {
  const child = promisify(execFile)(process.execPath, [LINT_IMPORTS], {
    cwd: path.join(__dirname, '..', '..', '..'),
    maxBuffer: 1 << 20,
  });
  child.child.stdin?.end(JSON.stringify([...cases.map((c) => c[1]), ...allowed.map((c) => c[1])]));
  reports = JSON.parse((await child).stdout) as Report[][];
}, 120_000);

describe('package boundaries in eslint.config.mjs', () => {
  it.each(cases.map((c, i) => [c[0], c[2], i] as const))('reports an import of %s', (_name, expected, i) => {
    const seen = (reports[i] ?? []).map((r) => [r.line, r.message] as const);
    expect(seen).toEqual(expected.map(([line, text]) => [line, expect.stringContaining(text)]));
  });

  it.each(allowed.map((c, i) => [c[0], cases.length + i] as const))('lets a file import %s', (_name, i) => {
    expect(reports[i]).toEqual([]);
  });
});
