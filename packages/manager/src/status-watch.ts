/**
 * `failover-manager status --watch`: the status asked again every refresh until the command is
 * stopped. On a terminal the table is redrawn in place; piped, each refresh is one line, so a log
 * or `grep` reads it; with `--json`, one JSON object per line and refresh. A refresh that fails
 * (the manager restarting) is shown and the watch goes on.
 */
import type { ControlStatus } from '@failover/protocol';
import { pauseText, renderStatusTable } from './status-view';

/** Options of {@link watchStatus}. */
export interface WatchStatusOptions {
  /** Asks the manager for its status. */
  readonly fetch: () => Promise<ControlStatus>;
  readonly out: NodeJS.WritableStream;
  /** Redraw in place (a terminal) rather than print a line per refresh. */
  readonly tty: boolean;
  readonly json: boolean;
  readonly intervalMs: number;
  /** Resolves when the watch must end (SIGINT, SIGTERM). */
  readonly stop: Promise<unknown>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Moves the cursor home and clears the screen. */
const CLEAR = '\u001b[H\u001b[2J';

/** Refreshes until `stop` resolves; resolves then. */
export async function watchStatus(options: WatchStatusOptions): Promise<void> {
  const now = options.now ?? Date.now;
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  while (!stopped) {
    const at = new Date(now()).toISOString();
    let status: ControlStatus | undefined;
    let failure = '';
    try {
      status = await options.fetch();
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (stopped) return;
    options.out.write(render(options, at, status, failure));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      options.stop,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, options.intervalMs))),
    ]);
    clearTimeout(timer);
  }
}

function render(options: WatchStatusOptions, at: string, status: ControlStatus | undefined, failure: string): string {
  if (options.json) return `${JSON.stringify(status === undefined ? { at, error: failure } : { at, status })}\n`;
  if (!options.tty) return `${at}  ${status === undefined ? `error: ${failure}` : statusLine(status)}\n`;
  const every = `every ${options.intervalMs / 1000} s, Ctrl-C to stop`;
  return `${CLEAR}${at}  (${every})\n\n${status === undefined ? `cannot read the status: ${failure}\n` : renderStatusTable(status)}`;
}

/** One refresh on one line: the manager's state, the pause and hold, then each node. */
export function statusLine(status: ControlStatus): string {
  const nodes = status.nodes.map((n) => {
    const role = n.reachable === false ? 'unreachable' : n.role;
    const health = n.healthy === null ? '-' : n.healthy ? 'ok' : `unhealthy(${n.misses})`;
    return `${n.node}=${role}/${health}/slot:${n.slot ?? '-'}/lag:${n.lag ?? '-'}`;
  });
  return [
    `state=${status.state}${status.dry_run ? '(dry-run)' : ''}`,
    `active=${status.active ?? '-'}`,
    ...nodes,
    ...(status.paused == null ? [] : [`PAUSED: ${pauseText(status.paused)}`]),
    ...(status.hold === null ? [] : [`held: ${status.hold}`]),
  ].join('  ');
}
