/**
 * pgfleet as a library: what the CLI is a thin shell over. Feature areas add
 * their public entry points here; internal helpers stay unexported.
 */

// Errors and secrets
export { ExitCode, PgfleetError, isPgfleetError, type ExitCodeValue } from './core/errors.js';
export { Secret } from './core/secret.js';

// Site settings
export { SiteSettingsSchema, type SiteSettings, type PatroniSettings, defaultPatroniSettings } from './core/settings/site-settings.js';
export { loadSiteSettings, parseSiteSettings, settingsCandidates, type LoadedSettings } from './adapters/settings/site-settings-file.js';
export { resolveSitePaths, type SitePaths } from './core/settings/site-paths.js';
export { settingsJsonSchema } from './core/settings/settings-json-schema.js';

// Patroni configuration generation
export { buildPatroniConfig, type PatroniConfig, type BuildPatroniConfigInput } from './core/patroni-config/build-config.js';
export { renderPatroniYaml } from './core/patroni-config/render-yaml.js';
export { patroniFeatures, parsePatroniVersion, type PatroniFeatures } from './core/patroni-config/patroni-features.js';
export type { InstanceSpec } from './core/patroni-config/instance-spec.js';
export { instanceConfig, type InstanceConfig, type InstanceConfigRequest } from './adapters/settings/instance-config-inputs.js';
export { writePatroniConfigFile } from './adapters/patroni/config-file.js';

// etcd and Patroni clients
export { EtcdClient, type EtcdClientOptions, type EtcdCredentials } from './adapters/etcd/etcd-client.js';
export { EtcdAuthApi } from './adapters/etcd/auth-api.js';
export { EtcdError } from './adapters/etcd/etcd-error.js';
export { prefixRange, prefixRangeEnd, type KeyRange } from './core/etcd/key-range.js';
export { PatroniRestClient } from './adapters/patroni/rest-client.js';

// Guarded etcd auth migration
export { enforceEtcdAuth, rollbackEtcdAuth, readEnforceState, type FleetConnection, type EnforceReport } from './migration/etcd-auth/enforce-run.js';
export { evaluateEnforceGates, type GateFailure } from './core/migration/enforce-gates.js';
export type { EnforcePhase, EnforceState } from './core/migration/enforce-state.js';

// Lab
export { labUp, type LabUpOptions, type LabUpResult } from './lab/lab-up.js';
export { labDown } from './lab/lab-down.js';
export { labStatus } from './lab/lab-status.js';

// Patroni-managed instances
export { openInstanceSite, loadManagedInstance, type InstanceSite, type ManagedInstance } from './instance/instance-site.js';
export { createInstance, type CreateInstanceRequest, type CreatedInstance } from './instance/instance-create.js';
export { instanceStatus, listInstances, type InstanceStatus, type InstanceListEntry } from './instance/instance-status.js';
export { startInstance, stopInstance, reloadInstance, restartPostgresql, restartPatroniDaemon } from './instance/instance-lifecycle.js';
export { alterInstance, type AlterInstanceRequest, type AlterResult } from './instance/instance-alter.js';
export { dropInstance, type DroppedInstance } from './instance/instance-drop.js';
export { planInstanceAlter, type AlterPlan, type InstanceAlterRequest } from './core/instance/alter-plan.js';
export { patroniRestartRequirement } from './core/instance/patroni-restart-requirement.js';
export { renderPatroniUnit, patroniUnitName } from './core/instance/systemd-unit.js';
export { instanceEnvironment } from './core/instance/instance-environment.js';
export { runDcsPreflight } from './instance/dcs-preflight-probe.js';
export { diagnosePreflight, type PreflightReport } from './core/instance/dcs-preflight.js';
