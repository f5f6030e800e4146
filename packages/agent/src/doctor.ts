/**
 * `failover-agent doctor`: checks a fresh install without changing anything, one row per check.
 * The config comes first; when it does not load, nothing else can be checked.
 */
import {
  createSolanaRpc,
  doctorRow,
  formatProblems,
  loadAgentConfig,
  type AgentFlags,
  type DoctorRow,
  type LocalRpc,
} from '@failover/protocol';
import { configPlaceholders } from './command-runner';
import {
  checkCommand,
  checkIdentityKeypairs,
  checkSecretFile,
  checkTowerFile,
  commandTemplates,
  hookTemplates,
  VERSION_TIMEOUT_MS,
} from './doctor-checks';
import { checkHostGuard, checkLocalIdentity, checkPeerClock, checkTowerStore, UNIT_DIRS } from './doctor-probes';

/** What {@link runAgentDoctor} checks and with what. */
export interface AgentDoctorOptions {
  /** `--config`. */
  readonly configPath?: string;
  readonly flags?: AgentFlags;
  /** Environment of the config loader and of the binaries' `--version` (its `PATH`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--unit`: the systemd unit to read; without it, the units in `unitDirs` that start the agent. */
  readonly unitFile?: string;
  /** @default UNIT_DIRS */
  readonly unitDirs?: readonly string[];
  /** The local validator's RPC. @default one to `local_rpc` */
  readonly localRpc?: Pick<LocalRpc, 'getIdentity'>;
  /** @default Date.now */
  readonly now?: () => number;
}

// The validator's answer and the --version calls; a doctor run should take seconds.
const RPC_TIMEOUT_MS = 3_000;

/** Runs every check of the agent's install; the rows in the order they are printed. */
export async function runAgentDoctor(options: AgentDoctorOptions): Promise<DoctorRow[]> {
  const now = options.now ?? Date.now;
  const loaded = await loadAgentConfig({
    ...(options.configPath === undefined ? {} : { file: options.configPath }),
    env: options.env,
    ...(options.flags === undefined ? {} : { flags: options.flags }),
  });
  const source = options.configPath ?? 'environment and flags';
  if (!loaded.ok) return [doctorRow('config', 'fail', `${source}: ${formatProblems(loaded.problems)}`)];
  const { config } = loaded;
  const rows: DoctorRow[] = [doctorRow('config', 'pass', `${source} loaded (dry_run ${config.dryRun})`)];
  rows.push(await checkSecretFile(config.auth));
  const placeholders = configPlaceholders(config);
  rows.push(...(await checkIdentityKeypairs(config, placeholders)));
  const rpc = options.localRpc ?? createSolanaRpc({ endpoints: [config.localRpc], timeoutMs: RPC_TIMEOUT_MS });
  const local = await checkLocalIdentity(config.validatorIdentity, rpc, config.localRpc);
  rows.push(local.row);
  rows.push(await checkTowerFile(config, local.holdsIdentity, now()));
  for (const [key, template] of commandTemplates(config))
    rows.push(await checkCommand(key, template, placeholders, options.env));
  for (const [key, template] of hookTemplates(config))
    rows.push(await checkCommand(key, template, placeholders, options.env, VERSION_TIMEOUT_MS, false));
  rows.push(await checkTowerStore(config.towerStore));
  rows.push(await checkHostGuard(options.unitFile, options.unitDirs ?? UNIT_DIRS));
  rows.push(await checkPeerClock(config.peerEndpoint, now));
  return rows;
}
