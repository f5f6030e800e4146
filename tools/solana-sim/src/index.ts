export { startCluster } from './start-cluster';
export type { SimCluster, SimJudge, StartClusterOptions, ValidatorOptions } from './start-cluster';
export { SimValidator } from './sim-validator';
export type { ValidatorStatus } from './sim-validator';
export { createJudge } from './judge';
export type { Judge, JudgeOptions, Violation, VoteRecord, VotingGap, VotingGaps } from './judge';
export type { ClusterStatus } from './cluster-control';
export { DELINQUENT_SLOT_DISTANCE, leaderSchedule } from './cluster-model';
export type { ClusterConfig } from './cluster-model';
export { formatGossipLine } from './cli/solana';
export { SimControlError, SimError, SimOptionsError, SimStartError, SimTimeoutError } from './errors';
export {
  ALPENGLOW_FEATURE_ID,
  DEFAULT_MIGRATION_SLOTS,
  DEFAULT_REWARD_CERT_LAG_SLOTS,
  FEATURE_PROGRAM_ID,
  featureAccountData,
  genesisCertificate,
} from './alpenglow';
export type { AgGenesisCert, ConsensusPhase } from './alpenglow';
