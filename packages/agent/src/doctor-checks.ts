/**
 * The file and command checks of `failover-agent doctor`. Each reads and never changes: no
 * configured command is run, only its binary's `--version`. Every check returns its rows; none
 * throws for what it finds.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { decodeTower, FailoverError, parseKeypairJson } from '@failover/core';
import {
  doctorRow,
  findCommandBinary,
  loadSecretFile,
  type AgentConfig,
  type AuthSetting,
  type DoctorRow,
} from '@failover/protocol';
import { resolvePlaceholders } from './command-runner';

/** The secret file's mode and content, as the agent's start would judge them. */
export async function checkSecretFile(auth: AuthSetting): Promise<DoctorRow> {
  switch (auth.mode) {
    case 'insecure':
      return doctorRow(
        'auth_secret_file',
        'warn',
        'insecure_no_auth: anyone who can reach the API can move the identity',
      );
    case 'missing':
      return doctorRow('auth_secret_file', 'fail', 'neither auth_secret_file nor insecure_no_auth is set');
    case 'secret-file':
      try {
        const { warnings } = await loadSecretFile(auth.secretFile);
        if (warnings.length > 0) return doctorRow('auth_secret_file', 'warn', warnings.join('; '));
        return doctorRow('auth_secret_file', 'pass', `${auth.secretFile} is readable by its owner only`);
      } catch (error) {
        if (!(error instanceof FailoverError)) throw error;
        return doctorRow('auth_secret_file', 'fail', error.message);
      }
  }
}

/**
 * The `.json` words of a command line (after placeholders): the keypair files `set-identity`
 * and `ln -sf` commands name. Quotes around a word are dropped.
 */
export function jsonPathsOf(commandLine: string): string[] {
  return commandLine
    .split(/\s+/)
    .map((word) => word.replace(/^['"]|['";]+$/g, ''))
    .filter((word) => /^[^\s'"$]+\.json$/.test(word));
}

type KeypairRead =
  { readonly file: string; readonly pubkey: string } | { readonly file: string; readonly problem: string };

async function readKeypairs(commandLine: string): Promise<KeypairRead[]> {
  const reads: KeypairRead[] = [];
  for (const file of jsonPathsOf(commandLine)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      reads.push({ file, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    try {
      reads.push({ file, pubkey: parseKeypairJson(text, file).pubkey });
    } catch {
      // A .json word that is no keypair (a config file) is not what this check looks for.
    }
  }
  return reads;
}

/**
 * The keypairs the identity commands switch to, against `validator_identity`: the change
 * command's must be it, the remove command's must not be. A command that names no keypair
 * file (it reads the key from stdin, or from a variable) is a warning: it cannot be checked.
 */
export async function checkIdentityKeypairs(
  config: AgentConfig,
  placeholders: Readonly<Record<string, string>>,
): Promise<DoctorRow[]> {
  const staked = config.validatorIdentity;
  const rows: DoctorRow[] = [];
  for (const [key, template, wantStaked] of [
    ['identity_change_command', config.commands.identityChange, true],
    ['identity_remove_command', config.commands.identityRemove, false],
  ] as const) {
    const check = `${key} keypair`;
    if (template === undefined) {
      rows.push(
        doctorRow(check, 'warn', `${key} is not set; the agent cannot ${wantStaked ? 'take' : 'give up'} the identity`),
      );
      continue;
    }
    const reads = await readKeypairs(resolvePlaceholders(template, placeholders));
    const unreadable = reads.filter((r): r is Extract<KeypairRead, { problem: string }> => 'problem' in r);
    const keypairs = reads.filter((r): r is Extract<KeypairRead, { pubkey: string }> => 'pubkey' in r);
    const stakedOnes = keypairs.filter((k) => k.pubkey === staked);
    if (wantStaked && keypairs.length > 0 && stakedOnes.length === 0) {
      const names = keypairs.map((k) => `${k.file} is ${k.pubkey}`).join(', ');
      rows.push(doctorRow(check, 'fail', `${names}, not validator_identity ${staked}`));
    } else if (!wantStaked && stakedOnes.length > 0) {
      const file = stakedOnes[0]?.file ?? '';
      rows.push(
        doctorRow(check, 'fail', `${file} is validator_identity ${staked}; removing would keep the staked identity`),
      );
    } else if (keypairs.length === 0) {
      const why =
        unreadable.length > 0
          ? unreadable.map((r) => `${r.file} ${r.problem}`).join(', ')
          : 'no keypair file in it (stdin?)';
      rows.push(doctorRow(check, 'warn', `${key}: ${why}; its keypair is not checked`));
    } else {
      const k = wantStaked ? stakedOnes[0] : keypairs[0];
      rows.push(
        doctorRow(
          check,
          'pass',
          `${k?.file ?? ''} is ${k?.pubkey ?? ''}${wantStaked ? ' (validator_identity)' : ', not validator_identity'}`,
        ),
      );
    }
  }
  return rows;
}

/** A tower older than this on the node that votes means it is not being written. */
export const TOWER_FRESH_MS = 5 * 60_000;

/**
 * The tower file: found, decodes, signed by `validator_identity`, and fresh while this node
 * holds the identity. `holdsIdentity` is undefined when the validator could not be asked.
 */
export async function checkTowerFile(
  config: AgentConfig,
  holdsIdentity: boolean | undefined,
  now: number,
): Promise<DoctorRow> {
  const file = config.towerFilePath;
  let bytes: Buffer;
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(file)).mtimeMs;
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' && holdsIdentity !== true)
      return doctorRow(
        'tower file',
        'warn',
        `${file} does not exist; normal on a passive that never voted with the identity`,
      );
    return doctorRow(
      'tower file',
      'fail',
      `${file} ${code === 'ENOENT' ? 'does not exist while this validator votes' : `cannot be read (${code})`}`,
    );
  }
  const decoded = decodeTower(bytes, config.validatorIdentity);
  if (!decoded.ok) return doctorRow('tower file', 'fail', `${file}: ${decoded.error.message}`);
  const age = Math.max(0, Math.round((now - mtimeMs) / 1000));
  const summary = `${file}: signed by validator_identity, last vote ${decoded.lastVotedSlot ?? 'none'}, written ${age} s ago`;
  if (holdsIdentity === true && now - mtimeMs > TOWER_FRESH_MS)
    return doctorRow('tower file', 'warn', `${summary}; this node votes, so it should be newer`);
  return doctorRow('tower file', 'pass', summary);
}

/** A binary's time to answer `--version`. */
export const VERSION_TIMEOUT_MS = 5_000;

/** The `{name}` placeholders of a template the agent does not fill; `${name}` is bash's own. */
export function unknownPlaceholders(template: string, placeholders: Readonly<Record<string, string>>): string[] {
  const names = [...template.matchAll(/(^|[^$])\{([a-z_]+)\}/g)].map((m) => m[2] as string);
  return [...new Set(names.filter((name) => !Object.prototype.hasOwnProperty.call(placeholders, name)))];
}

type VersionAnswer = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly why: string };

function askVersion(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<VersionAnswer> {
  return new Promise((resolve) => {
    const child = spawn(file, ['--version'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 4096) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, why: `did not answer --version within ${timeoutMs} ms` });
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, why: `could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = output.trim().split('\n')[0]?.trim() ?? '';
      resolve(
        code === 0 ? { ok: true, line } : { ok: false, why: `answered --version with exit ${code ?? 'by signal'}` },
      );
    });
  });
}

/**
 * One command template, without running it: every `{…}` placeholder is one the agent fills,
 * and its binary is found (on `PATH` unless it names a path) and answers `--version`. A hook's
 * binary is only found, never run: an operator's script need not know `--version`, and may act
 * whatever its arguments.
 */
export async function checkCommand(
  key: string,
  template: string,
  placeholders: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = VERSION_TIMEOUT_MS,
  askForVersion = true,
): Promise<DoctorRow> {
  const unknown = unknownPlaceholders(template, placeholders);
  if (unknown.length > 0) {
    const known = Object.keys(placeholders)
      .map((name) => `{${name}}`)
      .join(', ');
    return doctorRow(
      key,
      'fail',
      `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}; the agent fills ${known}`,
    );
  }
  const found = await findCommandBinary(resolvePlaceholders(template, placeholders), env);
  if (!found.ok) return doctorRow(key, found.shellSyntax ? 'warn' : 'fail', found.why);
  const { file } = found;
  if (!askForVersion) return doctorRow(key, 'pass', `${file} found (not run)`);
  const answer = await askVersion(file, env, timeoutMs);
  if (!answer.ok) return doctorRow(key, 'fail', `${file} ${answer.why}`);
  return doctorRow(key, 'pass', `${file}: ${answer.line || 'answers --version'}`);
}

/** The command templates of `config`, by their config key; the `command` tower store's included. */
export function commandTemplates(config: AgentConfig): Array<[key: string, template: string]> {
  const c = config.commands;
  const all: Array<[string, string | undefined]> = [
    ['identity_change_command', c.identityChange],
    ['identity_remove_command', c.identityRemove],
    ['active_identity_symlink_command', c.activeIdentitySymlink],
    ['passive_identity_symlink_command', c.passiveIdentitySymlink],
    ['validator_restart_command', c.validatorRestart],
    ['agent_stop_command', c.agentStop],
    ['identity_check_command', c.identityCheck],
    ['gossip_check_command', c.gossipCheck],
  ];
  if (config.towerStore.kind === 'command') {
    all.push(['tower_backup_command', config.towerStore.backupCommand]);
    all.push(['tower_restore_command', config.towerStore.restoreCommand]);
  }
  return all.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/** The hooks of `config`, by their config path (`hooks.pre_promote`). */
export function hookTemplates(config: AgentConfig): Array<[key: string, template: string]> {
  return Object.entries(config.hooks).flatMap(([name, hook]) =>
    hook === undefined ? [] : [[`hooks.${name}`, hook.command] as [string, string]],
  );
}
