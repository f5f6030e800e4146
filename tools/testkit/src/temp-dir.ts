import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir, untrackDir } from './internal/exit-cleanup';

/** A temporary directory that is removed by `remove()` or, at the latest, when the process exits. */
export interface TempDir {
  /** Absolute path of the directory (mode 0700). */
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): void;
}

/** Creates a fresh private directory under the OS temp dir, named `failover-<prefix>-XXXXXX`. */
export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `failover-${prefix}-`));
  trackDir(path);
  return {
    path,
    remove(): void {
      rmSync(path, { recursive: true, force: true });
      untrackDir(path);
    },
  };
}
