/** The guarded etcd auth migration as other features (the lab's stories) and library callers use it. */
export { applyFleetCredentials, prepareFleetTenants, type AuthFleet } from './auth-operations.js';
export type { ApplyOutcome } from './apply-credentials.js';
export { etcdAuthStatus, type EtcdAuthStatus } from './auth-status.js';
export { enforceEtcdAuth, rollbackEtcdAuth } from './enforce-run.js';
export type { EnforceOptions, EnforceReport } from './enforce-report.js';
export { readEnforceState } from './enforce-state-store.js';
export { planEtcdAuthMigration } from './migration-plan.js';
export { collectFleetFacts, type FleetFacts } from './fleet-facts.js';
