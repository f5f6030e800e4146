export * from './failover-plan-doc';
export * from './error-registry';
export * from './dashboard';
