/** Shared etcd tenancy as other features (the auth migration's prepare, the lab's stories) and library callers use it. */
export { applyTenancy, applyTenancyPlan, type TenancyApplyReport } from './tenancy-apply.js';
export { readTenancyState, planTenancyFromEtcd } from './tenancy-state.js';
export { tenancyTargetFromSettings, type TenancyTarget } from './tenancy-target.js';
export { verifyTenancy, type TenancyVerifyReport } from './tenancy-verify.js';
export { listDeclaredClients, markClientReady, type DeclaredClientListing } from './client-credentials.js';
