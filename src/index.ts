/**
 * pgfleet as a library: what the CLI is a thin shell over. Feature areas add
 * their public entry points here; internal helpers stay unexported.
 */

// Errors and secrets
export { ExitCode, PgfleetError, isPgfleetError, type ExitCodeValue } from './core/errors.js';
export { Secret } from './core/secret.js';

// Site settings
export {
  SiteSettingsSchema,
  type SiteSettings,
  type PatroniSettings,
  defaultPatroniSettings,
} from './core/settings/site-settings.js';
export {
  loadSiteSettings,
  parseSiteSettings,
  settingsCandidates,
  type LoadedSettings,
} from './adapters/settings/site-settings-file.js';
export { resolveSitePaths, type SitePaths } from './core/settings/site-paths.js';
export { settingsJsonSchema } from './core/settings/settings-json-schema.js';

// Patroni configuration generation
export {
  buildPatroniConfig,
  type PatroniConfig,
  type BuildPatroniConfigInput,
} from './core/patroni-config/build-config.js';
export { renderPatroniYaml } from './core/patroni-config/render-yaml.js';
export { patroniFeatures, parsePatroniVersion, type PatroniFeatures } from './core/patroni-config/patroni-features.js';
export type { InstanceSpec } from './core/patroni-config/instance-spec.js';
export {
  instanceConfig,
  type InstanceConfig,
  type InstanceConfigRequest,
} from './adapters/settings/instance-config-inputs.js';
export { writePatroniConfigFile } from './adapters/patroni/config-file.js';

// etcd and Patroni clients
export { EtcdClient, type EtcdClientOptions, type EtcdCredentials } from './adapters/etcd/etcd-client.js';
export { EtcdAuthApi } from './adapters/etcd/auth-api.js';
export { EtcdError } from './adapters/etcd/etcd-error.js';
export { prefixRange, prefixRangeEnd, type KeyRange } from './core/etcd/key-range.js';
export { PatroniRestClient } from './adapters/patroni/rest-client.js';

// Shared etcd tenancy: one user and role per cluster, on its prefix only
export type { AuthSnapshot, EtcdRole, EtcdUser, RolePermission } from './core/etcd/auth-model.js';
export type { Tenant, ClusterRef } from './core/tenancy/tenant.js';
export { desiredTenants, tenantId, type TenantNaming, type TenantSources } from './core/tenancy/desired-tenants.js';
export { parseTenantsFile, type ListedTenant } from './core/tenancy/tenants-file.js';
export {
  planTenancy,
  describeAction,
  type TenancyPlan,
  type TenancyAction,
  type PasswordFacts,
} from './core/tenancy/tenancy-plan.js';
export { checkIsolation, type IsolationFinding, type IsolationFindingKind } from './core/tenancy/isolation-check.js';
export { tenancyTargetFromSettings, type TenancyTarget } from './tenancy/tenancy-target.js';
export { readTenancyState, planTenancyFromEtcd } from './tenancy/tenancy-state.js';
export { applyTenancy, applyTenancyPlan, type TenancyApplyReport } from './tenancy/tenancy-apply.js';
export { verifyTenancy, type TenancyVerifyReport } from './tenancy/tenancy-verify.js';
export { probeTenantIsolation, type TenantIsolationResult } from './fleet/tenant-isolation-probe.js';

// Guarded etcd auth migration
export {
  enforceEtcdAuth,
  rollbackEtcdAuth,
  readEnforceState,
  applyFleetCredentials,
  prepareFleetTenants,
  type EnforceReport,
} from './migration/etcd-auth/index.js';
export { evaluateEnforceGates, type GateFailure } from './core/migration/enforce-gates.js';
export type { EnforcePhase, EnforceState } from './core/migration/enforce-state.js';
export { planEtcdAuthMigration } from './migration/etcd-auth/migration-plan.js';
export { planAuthMigration, type AuthPlan } from './core/migration/auth-plan.js';
export { etcdAuthStatus, type EtcdAuthStatus } from './migration/etcd-auth/auth-status.js';
export { fleetConnectionFromSettings, withFleetClients, type FleetConnection } from './fleet/fleet-connection.js';

// Patroni REST API protection
export {
  planRestApiSecuring,
  SECURE_PHASES,
  type SecurePlan,
  type SecureStep,
  type SecurePhase,
} from './core/restapi/secure-plan.js';
export {
  expectedMatrix,
  compareProbeMatrix,
  type RestApiProtection,
  type ProbeClient,
  type ProbeOutcome,
} from './core/restapi/probe-matrix.js';
export {
  restAccessFromPatroniConfig,
  restAccessFromSettings,
  type RestClientAccess,
} from './core/restapi/rest-client-access.js';
export { probeRestApi, probeRestApiMatrix, type RestProbeReport } from './adapters/patroni/rest-probe.js';
export { patroniRestClientFor } from './fleet/member-rest-client.js';
export { prepareRestApiSecuring, type PreparedSecurePlan } from './restapi/secure-inputs.js';
export { applyRestApiSecuring, type SecureApplyReport } from './restapi/secure-apply.js';
export { restApiStatus, probeMembers } from './restapi/restapi-status.js';
export { switchoverCluster, type SwitchoverResult } from './cluster/cluster-switchover.js';
// Guarded etcd TLS migration (http to https)
export {
  migrateEtcdTls,
  readEtcdTlsRunState,
  type MigrateEtcdTlsOptions,
  type EtcdTlsMigrationReport,
} from './migration/etcd-tls/tls-migrate-run.js';
export { etcdTlsStatus, type EtcdTlsStatus } from './migration/etcd-tls/tls-status.js';
export { etcdTlsFleetFromSettings, type EtcdTlsFleet } from './migration/etcd-tls/tls-fleet.js';
export { evaluateEtcdTlsGates, type EtcdTlsGateFailure } from './core/migration/etcd-tls-gates.js';
export type { EtcdTlsRunState, EtcdTlsMemberResult } from './core/migration/etcd-tls-run.js';
export { checkEtcdAuthMethods, type EtcdAuthMethodsWarning } from './core/patroni-config/etcd-auth-methods.js';
// Guarded move from etcd's v2 API (etcd:) to v3 (etcd3:)
export { migrateToEtcdV3, rollBackEtcdV3, type MigrateToV3Options } from './migration/etcd-v3/v3-move-run.js';
export type { V3MoveReport, V3RollbackReport, ClusterMoveResult } from './migration/etcd-v3/v3-move-report.js';
export { planV3Move, type V3MovePlan } from './migration/etcd-v3/v3-move-facts.js';
export { etcdV3Status, type EtcdV3Status } from './migration/etcd-v3/v3-status.js';
export { v3MoveFleetFromSettings, type V3MoveFleet } from './migration/etcd-v3/v3-move-fleet.js';
export { evaluateV3MoveGates, type V3MoveGateFailure } from './core/migration/etcd-v3-gates.js';
export type { EtcdV3RunState, ClusterMoveRecord } from './core/migration/etcd-v3-run.js';

// Lab
export { labUp, type LabUpOptions, type LabUpResult } from './lab/lab-up.js';
export { labEtcdHttpsOnly } from './lab/lab-etcd-https-only.js';
export { labDown } from './lab/lab-down.js';
export { labStatus } from './lab/lab-status.js';
export { labDemo } from './lab/lab-demo.js';
export { replayOutage } from './lab/outage-replay.js';

// Patroni-managed instances
export {
  openInstanceSite,
  loadManagedInstance,
  type InstanceSite,
  type ManagedInstance,
} from './instance/instance-site.js';
export { createInstance, type CreateInstanceRequest, type CreatedInstance } from './instance/instance-create.js';
export {
  instanceStatus,
  instanceStatusByName,
  adoptedInstanceStatus,
  listInstances,
  type InstanceStatus,
  type InstanceListEntry,
} from './instance/instance-status.js';
export {
  startInstance,
  stopInstance,
  reloadInstance,
  restartPostgresql,
  restartPatroniDaemon,
} from './instance/instance-lifecycle.js';
export { alterInstance, type AlterInstanceRequest, type AlterResult } from './instance/instance-alter.js';
export { dropInstance, type DroppedInstance } from './instance/instance-drop.js';
export { planInstanceAlter, type AlterPlan, type InstanceAlterRequest } from './core/instance/alter-plan.js';
export { patroniRestartRequirement } from './core/instance/patroni-restart-requirement.js';
export { renderPatroniUnit, patroniUnitName } from './core/instance/systemd-unit.js';
export { instanceEnvironment } from './core/instance/instance-environment.js';
export { runDcsPreflight } from './instance/dcs-preflight-probe.js';
export { diagnosePreflight, type PreflightReport } from './core/instance/dcs-preflight.js';
export { validatePatroniConfig, type PatroniConfigValidation } from './instance/patroni-config-validate.js';
// This host's Patroni members: pgfleet's own and the ones it adopts
export {
  thisHostMembers,
  memberSourcesFromSettings,
  type ThisHostMembers,
  type MemberSources,
  type LocalMemberProblem,
} from './node/this-host-members.js';
export { type AdoptedLocalInstance, isAdopted } from './node/adopted-local-instance.js';
// Audit
export { auditFleet, type AuditFleetOptions, type AuditFleetResult } from './audit/audit-fleet.js';
export { collectFleetSnapshot, type SnapshotRequest } from './audit/collect-snapshot.js';
export { AUDIT_RULES } from './core/audit/rule-catalog.js';
export { buildAuditReport, runAuditRules, type AuditReport, type AuditFinding } from './core/audit/audit-report.js';
export { renderAuditText } from './core/audit/render-text.js';
export { renderAuditSarif } from './core/audit/render-sarif.js';
export type { AuditRule } from './core/audit/audit-rule.js';
export type { Finding } from './core/audit/finding.js';
export type { FleetSnapshot } from './core/audit/fleet-snapshot.js';
export { SEVERITIES, type Severity } from './core/audit/severity.js';
