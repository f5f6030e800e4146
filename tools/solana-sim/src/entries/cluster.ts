import type { ClusterConfig } from '../cluster-model';
import { runClusterProcess } from '../cluster-process';

// The cluster child process: its config (public keys only) comes in an environment variable.
const config = JSON.parse(process.env['SOLANA_SIM_CLUSTER_CONFIG'] ?? 'null') as ClusterConfig | null;
if (config === null) {
  process.stderr.write('solana-sim cluster: SOLANA_SIM_CLUSTER_CONFIG is not set\n');
  process.exit(2);
}
process.title = 'solana-sim-clus';
runClusterProcess(config, Number(process.env['SOLANA_SIM_RPC_PORT'] ?? 0)).catch((err: Error) => {
  process.stderr.write(`solana-sim cluster: ${err.message}\n`);
  process.exit(1);
});
