import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createFailoverPlan, createFencePlan, describePlan } from '@failover/core';
import {
  FAILOVER_PLAN_DOC_PATH,
  GENERATE_COMMAND,
  documentedPlans,
  renderFailoverPlanDoc,
} from '../src/failover-plan-doc';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('docs/failover-plan.md', () => {
  it(`matches what core's plan builders produce (otherwise it is stale: run \`${GENERATE_COMMAND}\` and commit the result)`, () => {
    expect(readFileSync(path.join(repoRoot, FAILOVER_PLAN_DOC_PATH), 'utf8')).toBe(renderFailoverPlanDoc());
  });

  it('says it is generated and how to regenerate it', () => {
    expect(renderFailoverPlanDoc()).toContain(`generated from @failover/core`);
    expect(renderFailoverPlanDoc()).toContain(`do not edit; run \`${GENERATE_COMMAND}\``);
  });

  it.each([
    ['reachable', { fromReachable: true, secureMode: false }],
    ['unreachable', { fromReachable: false, secureMode: false }],
    ['secure-mode', { fromReachable: true, secureMode: true }],
  ])('prints the %s plan exactly as describePlan() does', (_name, options) => {
    const plan = createFailoverPlan({ from: 'validator1', to: 'validator2', ...options });
    expect(renderFailoverPlanDoc()).toContain(describePlan(plan).join('\n'));
  });

  it("documents six distinct plans, each starting with the new node's pre_promote check, what stops the old active voting or checks that nobody holds the identity", () => {
    const plans = documentedPlans().map(({ plan }) => plan);
    expect(new Set(plans.map((plan) => describePlan(plan).join('\n'))).size).toBe(6);
    expect(plans.map((plan) => plan.steps[0]?.action.kind)).toEqual([
      'check-promote',
      'prove-stopped-voting',
      'check-promote',
      'check-promote',
      'demote',
      'verify-demotion',
    ]);
  });

  it('prints the fence plan, which never names the recorded holder as a step target', () => {
    const plan = createFencePlan({ node: 'validator1', holder: 'validator2' });
    expect(renderFailoverPlanDoc()).toContain(describePlan(plan).join('\n'));
    expect(plan.steps.every((step) => step.action.node === 'validator1')).toBe(true);
  });

  it('shows the agent command steps with the command_timeout default, not core’s bare default', () => {
    expect(renderFailoverPlanDoc()).toContain('1. passive-symlink — 2 attempt(s), 60s each; on failure: stop.');
  });
});
