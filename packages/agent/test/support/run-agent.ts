// Runs failover-agent from sources, as the bin runs it from dist, for process-level tests.
import { main } from '../../src/cli';

main(process.argv.slice(2));
