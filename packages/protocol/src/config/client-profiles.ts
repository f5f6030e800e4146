/**
 * Validator client profiles (`validator_client`): the process name and the identity commands
 * of each client, used where the config does not name its own. A Go tool config names no
 * client and no keypair paths, so it keeps exactly the commands it lists.
 *
 * Sources: agave `validator/src/commands/set_identity`; Firedancer book `api/cli.md`
 * (`fdctl set-identity`, `get-identity`) and `api/firedancer-cli.md` (`firedancer
 * set-identity`, which drops `--require-tower` and `--force`); firedancer
 * `src/app/shared/commands/set_identity.c` (the key switch lock that `--force` resets).
 */

/** The validator clients the agent has command profiles for. */
export const VALIDATOR_CLIENTS = ['agave', 'frankendancer', 'firedancer'] as const;

/** A validator client: `agave`, `frankendancer` (`fdctl`) or `firedancer`. */
export type ValidatorClient = (typeof VALIDATOR_CLIENTS)[number];

/** The process name `pgrep -x` finds for each client: Frankendancer runs as `fdctl run`. */
export const CLIENT_PROCESS_NAMES: Readonly<Record<ValidatorClient, string>> = {
  agave: 'agave-validator',
  frankendancer: 'fdctl',
  firedancer: 'firedancer',
};

/** What a profile needs to build its commands; each present once the config rules passed. */
export interface ProfileInputs {
  readonly stakedKeypairPath: string;
  readonly unstakedKeypairPath: string;
  /** `ledger_path`: agave reaches its admin socket in the ledger. */
  readonly ledgerPath?: string;
  /** `fd_config`: the TOML the Firedancer or Frankendancer validator was started with. */
  readonly fdConfig?: string;
}

/** The commands a profile supplies; each stands in only for a command key the config leaves out. */
export interface ProfileCommands {
  /** Switches to the staked identity. */
  readonly identityChange: string;
  /** Switches to the unstaked identity. */
  readonly identityRemove: string;
  /** `identityChange` with `--force`, run once when the first attempt left a switch half done. */
  readonly identityChangeForce?: string;
  /** `identityRemove` with `--force`. */
  readonly identityRemoveForce?: string;
}

/** Quotes a path for `bash -c` when it holds anything beyond the characters a path usually has. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The profile's identity commands. Agave's and Frankendancer's promotion carries
 * `--require-tower`, so the validator refuses the staked identity without the restored tower.
 * `firedancer set-identity` has no such flag: there the tower check rests on the agent's own
 * verification of the restored tower before the command (S2).
 */
export function profileCommands(client: ValidatorClient, inputs: ProfileInputs): ProfileCommands {
  const staked = shellQuote(inputs.stakedKeypairPath);
  const unstaked = shellQuote(inputs.unstakedKeypairPath);
  switch (client) {
    case 'agave': {
      const ledger = shellQuote(inputs.ledgerPath ?? '');
      return {
        identityChange: `agave-validator -l ${ledger} set-identity --require-tower ${staked}`,
        identityRemove: `agave-validator -l ${ledger} set-identity ${unstaked}`,
      };
    }
    case 'frankendancer': {
      const config = `--config ${shellQuote(inputs.fdConfig ?? '')}`;
      return {
        identityChange: `fdctl set-identity ${config} --require-tower ${staked}`,
        identityRemove: `fdctl set-identity ${config} ${unstaked}`,
        identityChangeForce: `fdctl set-identity ${config} --require-tower --force ${staked}`,
        identityRemoveForce: `fdctl set-identity ${config} --force ${unstaked}`,
      };
    }
    case 'firedancer': {
      // The config is optional: without it the command finds the validator running on the host.
      const config = inputs.fdConfig === undefined ? '' : ` --config ${shellQuote(inputs.fdConfig)}`;
      return {
        identityChange: `firedancer set-identity${config} ${staked}`,
        identityRemove: `firedancer set-identity${config} ${unstaked}`,
      };
    }
  }
}

/**
 * The client's own read-back of the running identity (`get-identity`), run after each identity
 * step whatever commands the config names; agave has none, its local RPC `getIdentity` serves.
 */
export function profileReadback(client: ValidatorClient, fdConfig: string | undefined): string | undefined {
  switch (client) {
    case 'agave':
      return undefined;
    case 'frankendancer':
      return `fdctl get-identity --config ${shellQuote(fdConfig ?? '')}`;
    case 'firedancer':
      return `firedancer get-identity${fdConfig === undefined ? '' : ` --config ${shellQuote(fdConfig)}`}`;
  }
}
