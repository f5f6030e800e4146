import { callJsonRpc } from '../internal/json-rpc';
import { requestOverSocket } from '../internal/lines';
import { startCluster } from '../start-cluster';
import type { SimCluster } from '../start-cluster';
import type { CliIo } from './cli-io';
import { processIo } from './cli-io';

const HELP = `solana-sim — a simulated Solana cluster for failover tests and demos

USAGE:
    solana-sim start [--validators N] [--slot-ms MS] [--gossip-delay-ms MS] [--process-name NAME] [--dir DIR]
    solana-sim status      --control URL
    solana-sim judge       --control URL [--identity PUBKEY]
    solana-sim cut         --control URL A B        (A or B is 'cluster')
    solana-sim heal        --control URL A B
    solana-sim fall-behind --control URL VALIDATOR SLOTS
    solana-sim cut-votes   --control URL VALIDATOR on|off
    solana-sim fault       --ledger DIR unhealthy|fail-set-identity on|off
    solana-sim fault       --ledger DIR identity-delay MS

crash, hang and resume are signals: kill -9 PID, kill -STOP PID, kill -CONT PID.
`;

function option(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}

function onOff(value: string | undefined): boolean {
  if (value !== 'on' && value !== 'off') throw new Error(`expected on|off, got '${value ?? ''}'`);
  return value === 'on';
}

function describe(cluster: SimCluster): unknown {
  return {
    rpcUrl: cluster.rpcUrl,
    controlUrl: cluster.controlUrl,
    dir: cluster.dir,
    keysDir: cluster.keysDir,
    binDir: cluster.binDir,
    stakedPubkey: cluster.stakedPubkey,
    stakedKeypairPath: cluster.stakedKeypairPath,
    votePubkey: cluster.votePubkey,
    validators: cluster.validators.map((v) => ({
      name: v.name,
      ip: v.ip,
      pid: v.pid,
      processName: v.processName,
      rpcUrl: v.rpcUrl,
      ledgerDir: v.ledgerDir,
      identitySymlink: v.identitySymlink,
      unstakedKeypairPath: v.unstakedKeypairPath,
      unstakedPubkey: v.unstakedPubkey,
    })),
  };
}

async function start(args: string[], io: CliIo): Promise<number> {
  const count = Number(option(args, '--validators') ?? 2);
  const slotMs = Number(option(args, '--slot-ms') ?? 400);
  const gossipDelayMs = Number(option(args, '--gossip-delay-ms') ?? 0);
  const processName = option(args, '--process-name');
  const dir = option(args, '--dir');
  if (args.length > 0) throw new Error(`unexpected argument '${args[0]}'`);
  const cluster = await startCluster({
    validators: Array.from({ length: count }, (_, i) => ({
      name: `v${i + 1}`,
      ...(processName ? { processName } : {}),
    })),
    slotMs,
    gossipDelayMs,
    ...(dir ? { dir, keepDir: true } : {}),
  });
  io.stdout(`${JSON.stringify(describe(cluster), null, 2)}\n`);
  io.stdout(
    `# shell set-up for the shims:\nexport PATH="${cluster.binDir}:$PATH" SOLANA_SIM_RPC_URL="${cluster.rpcUrl}"\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cluster.stop();
  return 0;
}

/** Runs the solana-sim command; resolves to the exit code. */
export async function runSolanaSim(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const args = [...rest];
  try {
    if (command === 'start') return await start(args, io);
    if (command === 'fault') {
      const ledger = option(args, '--ledger');
      const [kind, value] = args;
      if (!ledger || !kind) throw new Error('fault needs --ledger DIR and a fault');
      const patch =
        kind === 'unhealthy'
          ? { unhealthy: onOff(value) }
          : kind === 'fail-set-identity'
            ? { failSetIdentity: onOff(value) }
            : kind === 'identity-delay'
              ? { identityDelayMs: Number(value) }
              : undefined;
      if (!patch) throw new Error(`unknown fault '${kind}'`);
      const reply = await requestOverSocket(
        `${ledger}/admin.rpc`,
        { jsonrpc: '2.0', id: 1, method: 'simFault', params: [patch] },
        5000,
      );
      io.stdout(`${JSON.stringify(reply)}\n`);
      return 0;
    }
    const control = option(args, '--control');
    const call = async (method: string, params: unknown[]): Promise<void> => {
      if (!control) throw new Error(`${command} needs --control URL (printed by solana-sim start)`);
      io.stdout(`${JSON.stringify(await callJsonRpc(control, method, params), null, 2)}\n`);
    };
    switch (command) {
      case 'status':
        await call('status', []);
        return 0;
      case 'judge': {
        const identity = option(args, '--identity');
        await call('violations', []);
        if (identity) await call('gaps', [identity]);
        return 0;
      }
      case 'cut':
      case 'heal':
        await call(command, args.slice(0, 2));
        return 0;
      case 'fall-behind':
        await call('fallBehind', [args[0], Number(args[1])]);
        return 0;
      case 'cut-votes':
        await call('cutVotes', [args[0], onOff(args[1])]);
        return 0;
      case undefined:
      case '-h':
      case '--help':
        io.stdout(HELP);
        return command === undefined ? 1 : 0;
      default:
        throw new Error(`unknown command '${command}'`);
    }
  } catch (err) {
    io.stderr(`solana-sim: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The bin's entry. */
export function run(): void {
  runSolanaSim(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
