/**
 * The `failover-manager` program run from its sources, for tests that run it as its own
 * process (to kill it): `node --import tsx` with the workspace's source paths.
 */
import { main } from '../../src/cli';

main(process.argv.slice(2));
