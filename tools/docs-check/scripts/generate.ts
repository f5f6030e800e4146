// Rewrites docs/failover-plan.md from core's plan builders.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FAILOVER_PLAN_DOC_PATH, renderFailoverPlanDoc } from '../src/failover-plan-doc';

writeFileSync(path.join(__dirname, '..', '..', '..', FAILOVER_PLAN_DOC_PATH), renderFailoverPlanDoc());
