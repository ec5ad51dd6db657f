import type { PatroniSettings } from '../settings/site-settings.js';
import { deletePath, getPath, setPath } from './config-path.js';
import { type ConfigTree, deepMerge } from './deep-merge.js';
import type { InstanceSpec } from './instance-spec.js';
import { type ManagedKeysContext, managedKeyPaths } from './managed-keys.js';
import { ctlSection, restapiSection } from './restapi-sections.js';
import type { PatroniFeatures } from './patroni-features.js';
import { checkSettingsSupported, checkVersionRequirements } from './version-requirements.js';

/** A Patroni YAML document as a tree; secrets are Secret values until rendered. */
export type PatroniConfig = ConfigTree;

export interface BuildPatroniConfigInput {
  settings: PatroniSettings;
  instance: InstanceSpec;
  /** The parsed template (built-in or the site's). */
  template: ConfigTree;
  features: PatroniFeatures;
}

/**
 * PostgreSQL parameters Patroni takes from the DCS only (its CMDLINE_OPTIONS
 * in 3.0.2, less the three it derives itself: listen_addresses, port,
 * cluster_name): in local mode they must still be given at bootstrap, in
 * bootstrap.dcs, and changed with PATCH /config, or they are ignored.
 */
export const POSTMASTER_ONLY_PARAMETERS = new Set([
  'max_connections',
  'max_locks_per_transaction',
  'max_worker_processes',
  'max_prepared_transactions',
  'wal_level',
  'hot_standby',
  'track_commit_timestamp',
  'max_wal_senders',
  'max_replication_slots',
  'wal_keep_segments',
  'wal_keep_size',
  'wal_log_hints',
]);

/**
 * What a template may leave out and Patroni's own validator (3.0.2) still
 * insists on once `bootstrap` exists: `bootstrap.dcs` and `bootstrap.initdb`.
 * The lowest layer: any template replaces it.
 */
export const PATRONI_BASELINE: ConfigTree = {
  bootstrap: {
    dcs: {},
    initdb: [{ encoding: 'UTF8' }, 'data-checksums', { 'auth-local': 'peer' }, { 'auth-host': 'scram-sha-256' }],
  },
};

/** Top-level keys in the order a reader expects them; other keys follow in template order. */
const TOP_LEVEL_ORDER = [
  'scope',
  'namespace',
  'name',
  'etcd',
  'etcd3',
  'restapi',
  'ctl',
  'bootstrap',
  'postgresql',
  'watchdog',
  'tags',
  'log',
];

/**
 * The Patroni configuration of one instance: pgfleet's baseline, the
 * template, the user's inputs, then the values pgfleet manages. At every
 * managed key the result holds pgfleet's value (or nothing); every other key
 * of the template survives. Settings the installed Patroni cannot honour are
 * an error naming the version needed.
 */
export function buildPatroniConfig(input: BuildPatroniConfigInput): PatroniConfig {
  checkSettingsSupported(input.settings, input.features);
  const { values } = managedValues(input);
  const config = deepMerge(PATRONI_BASELINE, input.template, input.instance.userInput ?? {});
  for (const path of managedKeyPaths(managedKeysContextOf(input))) {
    const value = getPath(values, path);
    if (value === undefined) deletePath(config, path);
    else setPath(config, path, deepMerge({ value }).value);
  }
  checkVersionRequirements(config, input.features);
  return inReadingOrder(config);
}

/** Which keys are managed for this instance: its DCS section and the parameters pgfleet sets, locally and in the DCS. */
export function managedKeysContextOf(
  input: Pick<BuildPatroniConfigInput, 'settings' | 'instance'>,
): ManagedKeysContext {
  const { localParameters, dcsParameters } = managedValues(input);
  return { dcs: input.settings.etcd.version, localParameters, dcsParameters };
}

interface ManagedValues {
  values: ConfigTree;
  localParameters: string[];
  dcsParameters: string[];
}

function managedValues({ settings, instance }: Pick<BuildPatroniConfigInput, 'settings' | 'instance'>): ManagedValues {
  const pg = instance.postgresql;
  const dynamicParameters = settings.configuration_mode.parameters === 'dynamic';
  const dynamicAuth = settings.configuration_mode.auth === 'dynamic';

  const localParameters: ConfigTree = {};
  const dcsParameters: ConfigTree = {};
  for (const [name, value] of Object.entries(pg.parameters)) {
    if (dynamicParameters || POSTMASTER_ONLY_PARAMETERS.has(name)) dcsParameters[name] = value;
    else localParameters[name] = value;
  }
  // Where the instance's socket is, is per node: never dynamic.
  localParameters.unix_socket_directories = pg.socketDir;

  const dcsPostgresql: ConfigTree = {};
  if (Object.keys(dcsParameters).length > 0) dcsPostgresql.parameters = dcsParameters;
  if (dynamicAuth) dcsPostgresql.pg_hba = pg.pgHba;

  const values: ConfigTree = {
    scope: instance.scope,
    namespace: settings.etcd.namespace,
    name: instance.node,
    [settings.etcd.version]: etcdSection(settings, instance),
    restapi: restapiSection(settings, instance.restapi),
    ...(settings.ctl ? { ctl: ctlSection(settings.ctl, instance.restapi.authentication) } : {}),
    bootstrap: {
      // Patroni 3.0.2's validator requires bootstrap.pg_hba; Patroni appends it after initdb only when no pg_hba is configured.
      pg_hba: pg.pgHba,
      ...(Object.keys(dcsPostgresql).length > 0 ? { dcs: { postgresql: dcsPostgresql } } : {}),
    },
    postgresql: {
      listen: `${pg.listenHost}:${pg.port}`,
      connect_address: `${pg.connectHost}:${pg.port}`,
      data_dir: pg.dataDir,
      bin_dir: pg.binDir,
      pgpass: pg.pgpass,
      use_pg_rewind: settings.postgresql.use_pg_rewind,
      authentication: {
        superuser: { username: instance.superuser.username, password: instance.superuser.password },
        replication: { username: instance.replication.username, password: instance.replication.password },
        rewind: { username: instance.rewind.username, password: instance.rewind.password },
      },
      parameters: localParameters,
      ...(dynamicAuth ? {} : { pg_hba: pg.pgHba }),
    },
    watchdog: watchdogValues(settings),
  };
  return { values, localParameters: Object.keys(localParameters), dcsParameters: Object.keys(dcsParameters) };
}

/** Where etcd is and how to reach it: the etcd section's keys that come from the site settings alone. */
export function etcdConnectionValues(settings: PatroniSettings): ConfigTree {
  const etcd = settings.etcd;
  return {
    hosts: etcd.hosts,
    protocol: etcd.protocol,
    ...(etcd.cacert ? { cacert: etcd.cacert } : {}),
    ...(etcd.cert ? { cert: etcd.cert } : {}),
    ...(etcd.key ? { key: etcd.key } : {}),
  };
}

/** The REST API's TLS keys, from the site settings alone. */
export function restapiTlsValues(settings: PatroniSettings): ConfigTree {
  const restapi = settings.restapi;
  return {
    ...(restapi.cafile ? { cafile: restapi.cafile } : {}),
    ...(restapi.certfile ? { certfile: restapi.certfile } : {}),
    ...(restapi.keyfile ? { keyfile: restapi.keyfile } : {}),
    ...(restapi.certfile !== undefined ? { verify_client: restapi.verify_client } : {}),
  };
}

/** patronictl's TLS keys (ctl), from the site settings alone; empty without a ctl section. */
export function ctlTlsValues(settings: PatroniSettings): ConfigTree {
  const ctl = settings.ctl;
  if (!ctl) return {};
  return {
    ...(ctl.insecure ? { insecure: true } : {}),
    ...(ctl.cacert ? { cacert: ctl.cacert } : {}),
    ...(ctl.certfile ? { certfile: ctl.certfile } : {}),
    ...(ctl.keyfile ? { keyfile: ctl.keyfile } : {}),
  };
}

export function watchdogValues(settings: PatroniSettings): ConfigTree {
  return {
    mode: settings.watchdog.mode,
    ...(settings.watchdog.device ? { device: settings.watchdog.device } : {}),
    ...(settings.watchdog.safety_margin === undefined ? {} : { safety_margin: settings.watchdog.safety_margin }),
  };
}

function etcdSection(settings: PatroniSettings, instance: InstanceSpec): ConfigTree {
  return {
    ...etcdConnectionValues(settings),
    ...(instance.etcdCredentials
      ? { username: instance.etcdCredentials.username, password: instance.etcdCredentials.password }
      : {}),
  };
}

function inReadingOrder(config: ConfigTree): ConfigTree {
  const ordered: ConfigTree = {};
  for (const key of TOP_LEVEL_ORDER) if (key in config) ordered[key] = config[key];
  for (const [key, value] of Object.entries(config)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}
