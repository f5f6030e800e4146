/**
 * Stands in for systemd behind the agents' `validator_restart_command` (the Go README has
 * `sudo systemctl restart solana`). The simulated validators are children of the harness, so
 * the command asks the harness: it creates a request file and, like `systemctl restart`,
 * returns only once the service was restarted (the harness removes the file). A validator
 * that restarts comes up on whatever its `identity.json` symlink names, as agave does.
 */
import { existsSync, mkdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { SimValidator } from '@failover/solana-sim';
import { shellQuote } from './stack-config';

/** A running restart service; {@link commandFor} gives each agent its command. */
export interface RestartService {
  /** The `validator_restart_command` of one validator. */
  commandFor(validator: SimValidator): string;
  /** Restarts served so far, per validator name. */
  readonly restarts: ReadonlyMap<string, number>;
  stop(): void;
}

/** Serves restart requests for `validators` through files in `dir`. */
export function startRestartService(dir: string, validators: readonly SimValidator[]): RestartService {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const restarts = new Map<string, number>();
  const busy = new Set<string>();
  const requestPath = (v: SimValidator): string => path.join(dir, `restart-${v.name}`);

  const serve = (v: SimValidator): void => {
    const file = requestPath(v);
    if (busy.has(v.name) || !existsSync(file)) return;
    busy.add(v.name);
    v.restart()
      .catch(() => undefined)
      .finally(() => {
        restarts.set(v.name, (restarts.get(v.name) ?? 0) + 1);
        busy.delete(v.name);
        rmSync(file, { force: true });
      });
  };

  const watcher: FSWatcher = watch(dir, (_event, name) => {
    const v = validators.find((candidate) => `restart-${candidate.name}` === String(name));
    if (v !== undefined) serve(v);
  });

  return {
    commandFor(v) {
      const file = shellQuote(requestPath(v));
      // Waits like `systemctl restart` does; the agent's command_timeout bounds the wait.
      return `touch ${file} && while [ -e ${file} ]; do sleep 0.05; done`;
    },
    restarts,
    stop() {
      watcher.close();
    },
  };
}
