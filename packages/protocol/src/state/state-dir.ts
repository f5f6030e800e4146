/**
 * Where an app keeps what must survive its restart (the agent's highest obeyed term, the
 * manager's term and journal): `state_dir` when configured, else systemd's
 * `$STATE_DIRECTORY` (a unit with `StateDirectory=`), else `/var/lib/<app>` for root, else
 * `$XDG_STATE_HOME/<app>` (`~/.local/state/<app>`). Created at start with mode 0700 and
 * checked writable, so a missing or read-only directory stops the app before it acts, with
 * the path in the error, instead of losing the state at the first write.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { StateDirError } from '../errors';

/** The apps that keep state. */
export type StateApp = 'failover-agent' | 'failover-manager';

/** What the default depends on; the process's own values unless a test passes others. */
export interface StateDirContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default process.getuid() */
  readonly uid?: number;
  /** @default os.homedir() */
  readonly home?: string;
}

/** The state directory `app` uses when `configured` (`state_dir`) is not set; see the module's doc. */
export function defaultStateDir(app: StateApp, context: StateDirContext): string {
  // systemd may list several directories, separated by colons; the first is the unit's own.
  const fromSystemd = context.env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return fromSystemd;
  const uid = context.uid ?? process.getuid?.();
  if (uid === 0) return path.join('/var/lib', app);
  const xdg = context.env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(context.home ?? homedir(), '.local', 'state');
  return path.join(base, app);
}

/**
 * Resolves the state directory, creates it (0700) when missing and checks it is writable.
 * @throws StateDirError naming the directory when it cannot be created or written
 */
export async function prepareStateDir(
  app: StateApp,
  configured: string | undefined,
  context: StateDirContext,
): Promise<string> {
  const dir = path.resolve(configured ?? defaultStateDir(app, context));
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK | constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new StateDirError(dir, `cannot be created or written (${code}); set state_dir to a writable directory`, {
      cause: error,
    });
  }
  return dir;
}
