/**
 * The error-code registry check: every `FAILOVER_*` code the packages' sources use is
 * documented in docs/errors.md, and every code documented there is still used. Codes are
 * the contract operators match alerts and runbooks on, so an undocumented one is a gap and
 * a documented dead one is a lie (fastify keeps its `FST_ERR_*` registry honest the same way).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository-relative path of the registry. */
export const ERRORS_DOC_PATH = 'docs/errors.md';

// A code ends in a letter or digit: `FAILOVER_AUTH_` in a template literal or a doc comment
// (`FAILOVER_AUTH_*`) is a family prefix, not a code.
const CODE = /\bFAILOVER_[A-Z0-9_]*[A-Z0-9]\b/g;

/** The distinct codes named in `text`, sorted. */
export function findCodes(text: string): string[] {
  return [...new Set(text.match(CODE) ?? [])].sort();
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.isFile() && entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every code used under `packages/<name>/src/**\/*.ts`, with the repository-relative files that use it. */
export function collectSourceCodes(repoRoot: string): Map<string, string[]> {
  const packagesDir = path.join(repoRoot, 'packages');
  const codes = new Map<string, string[]>();
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    const src = path.join(packagesDir, entry.name, 'src');
    if (!entry.isDirectory()) continue;
    let files: string[];
    try {
      files = typeScriptFiles(src);
    } catch {
      continue;
    }
    for (const file of files) {
      for (const code of findCodes(readFileSync(file, 'utf8'))) {
        codes.set(code, [...(codes.get(code) ?? []), path.relative(repoRoot, file)]);
      }
    }
  }
  return codes;
}

/** The codes docs/errors.md documents: each written as `` `FAILOVER_…` `` anywhere in the page. */
export function documentedCodes(markdown: string): string[] {
  return findCodes([...markdown.matchAll(/`(FAILOVER_[A-Z0-9_]+)`/g)].map((m) => m[1]).join(' '));
}

/** What disagrees between the sources and the registry. */
export interface RegistryDiff {
  /** Used in a package's source, absent from docs/errors.md. */
  readonly undocumented: readonly { readonly code: string; readonly files: readonly string[] }[];
  /** In docs/errors.md, used nowhere in the packages' sources. */
  readonly unused: readonly string[];
}

/** Compares the codes the sources use with the codes the registry documents. */
export function diffRegistry(
  sourceCodes: ReadonlyMap<string, readonly string[]>,
  documented: readonly string[],
): RegistryDiff {
  const known = new Set(documented);
  return {
    undocumented: [...sourceCodes].filter(([code]) => !known.has(code)).map(([code, files]) => ({ code, files })),
    unused: documented.filter((code) => !sourceCodes.has(code)),
  };
}
