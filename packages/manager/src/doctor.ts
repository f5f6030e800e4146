/**
 * `failover-manager doctor`: checks an install without changing anything, one row per check.
 * The config comes first; when it does not load, nothing else can be checked.
 */
import { FailoverError } from '@failover/core';
import {
  doctorRow,
  formatProblems,
  loadManagerConfig,
  secretOf,
  type DoctorRow,
  type LoadedAuth,
  type ManagerFlags,
} from '@failover/protocol';
import {
  checkAgents,
  checkClusterEndpoints,
  checkElection,
  checkOperatorCommands,
  checkSecureMode,
  checkTelegram,
} from './doctor-checks';
import { loadManagerAuth } from './start-manager';

/** What {@link runManagerDoctor} checks. */
export interface ManagerDoctorOptions {
  /** `--config`. */
  readonly configPath?: string;
  readonly flags?: ManagerFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Runs every check of the manager's install; the rows in the order they are printed. */
export async function runManagerDoctor(options: ManagerDoctorOptions): Promise<DoctorRow[]> {
  const loaded = await loadManagerConfig({
    ...(options.configPath === undefined ? {} : { file: options.configPath }),
    env: options.env,
    ...(options.flags === undefined ? {} : { flags: options.flags }),
  });
  const source = options.configPath ?? 'environment and flags';
  if (!loaded.ok) return [doctorRow('config', 'fail', `${source}: ${formatProblems(loaded.problems)}`)];
  const { config } = loaded;
  const rows: DoctorRow[] = [doctorRow('config', 'pass', `${source} loaded (dry_run ${config.dryRun})`)];
  let auth: LoadedAuth | undefined;
  try {
    auth = await loadManagerAuth(config);
    rows.push(
      auth.mode === 'insecure'
        ? doctorRow('auth_secret_file', 'warn', 'insecure_no_auth: agents accept requests from anyone')
        : auth.warnings.length > 0
          ? doctorRow('auth_secret_file', 'warn', auth.warnings.join('; '))
          : doctorRow('auth_secret_file', 'pass', `${secretFileOf(config.auth) ?? ''} is readable by its owner only`),
    );
  } catch (error) {
    if (!(error instanceof FailoverError)) throw error;
    rows.push(doctorRow('auth_secret_file', 'fail', error.message));
  }
  if (auth !== undefined)
    rows.push(
      ...(await checkAgents(config.validators, secretOf(auth), secretFileOf(config.auth), config.requestTimeoutMs)),
    );
  rows.push(...(await checkClusterEndpoints(config)));
  if (config.secureIdentity !== undefined)
    rows.push(...(await checkSecureMode(config.secureIdentity, config.stakedIdentityPubkey, config.validators)));
  rows.push(...(await checkOperatorCommands(config, options.env)));
  rows.push(await checkTelegram(config.telegram));
  if (config.election !== undefined) rows.push(await checkElection(config.election));
  return rows;
}

function secretFileOf(auth: { readonly mode: string; readonly secretFile?: string }): string | undefined {
  return auth.mode === 'secret-file' ? auth.secretFile : undefined;
}
