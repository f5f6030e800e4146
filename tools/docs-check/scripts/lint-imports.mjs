// Lints snippets as if they were the given files of the repository, with its own
// eslint.config.mjs, and prints each snippet's `no-restricted-imports` messages as JSON.
// Input on stdin: [{ "filePath": "packages/x/src/index.ts", "code": "import …" }, …].
// A separate process because ESLint loads its config with import(), which Jest's module
// system does not support.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const snippets = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: repoRoot });
const reports = [];
for (const { filePath, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) });
  reports.push(
    result.messages
      .filter((m) => m.ruleId === 'no-restricted-imports' || m.fatal === true)
      .map((m) => ({ line: m.line, message: m.message })),
  );
}
process.stdout.write(JSON.stringify(reports));
