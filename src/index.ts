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

// Guarded etcd TLS migration (http to https)
export { migrateEtcdTls, readEtcdTlsRunState, type MigrateEtcdTlsOptions, type EtcdTlsMigrationReport } from './migration/etcd-tls/tls-migrate-run.js';
export { etcdTlsStatus, type EtcdTlsStatus } from './migration/etcd-tls/tls-status.js';
export { etcdTlsFleetFromSettings, type EtcdTlsFleet } from './migration/etcd-tls/tls-fleet.js';
export { evaluateEtcdTlsGates, type EtcdTlsGateFailure } from './core/migration/etcd-tls-gates.js';
export type { EtcdTlsRunState, EtcdTlsMemberResult } from './core/migration/etcd-tls-run.js';
export { checkEtcdAuthMethods, type EtcdAuthMethodsWarning } from './core/patroni-config/etcd-auth-methods.js';

// Lab
export { labUp, type LabUpOptions, type LabUpResult } from './lab/lab-up.js';
export { labEtcdHttpsOnly } from './lab/lab-etcd-https-only.js';
export { labDown } from './lab/lab-down.js';
export { labStatus } from './lab/lab-status.js';
