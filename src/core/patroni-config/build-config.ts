import type { PatroniSettings } from '../settings/site-settings.js';
import { type ConfigTree, deepMerge } from './deep-merge.js';
import type { InstanceSpec } from './instance-spec.js';
import type { PatroniFeatures } from './patroni-features.js';

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
 * PostgreSQL parameters Patroni takes from the DCS only: in local mode they
 * must still be given at bootstrap, in bootstrap.dcs, or they are ignored.
 */
export const POSTMASTER_ONLY_PARAMETERS = new Set([
  'max_connections',
  'max_locks_per_transaction',
  'max_worker_processes',
  'max_prepared_transactions',
  'wal_level',
  'track_commit_timestamp',
  'max_wal_senders',
  'max_replication_slots',
  'wal_log_hints',
]);

/**
 * The Patroni configuration of one instance: template, then user inputs, then
 * the values pgfleet manages. Managed values always win.
 */
export function buildPatroniConfig(input: BuildPatroniConfigInput): PatroniConfig {
  return deepMerge(input.template, input.instance.userInput ?? {}, managedValues(input));
}

function managedValues({ settings, instance }: BuildPatroniConfigInput): ConfigTree {
  const pg = instance.postgresql;
  const dynamicParameters = settings.configuration_mode.parameters === 'dynamic';
  const dynamicAuth = settings.configuration_mode.auth === 'dynamic';

  const localParameters: ConfigTree = {};
  const dcsParameters: ConfigTree = {};
  for (const [name, value] of Object.entries(pg.parameters)) {
    if (dynamicParameters || POSTMASTER_ONLY_PARAMETERS.has(name)) dcsParameters[name] = value;
    else localParameters[name] = value;
  }
  // Where the instance listens is per node, never dynamic.
  localParameters.unix_socket_directories = pg.socketDir;

  const dcsPostgresql: ConfigTree = {};
  if (Object.keys(dcsParameters).length > 0) dcsPostgresql.parameters = dcsParameters;
  if (dynamicAuth) dcsPostgresql.pg_hba = pg.pgHba;
  if (settings.postgresql.use_pg_rewind) dcsPostgresql.use_pg_rewind = true;

  return {
    scope: instance.scope,
    namespace: settings.etcd.namespace,
    name: instance.node,
    [settings.etcd.version]: etcdSection(settings, instance),
    restapi: restapiSection(settings, instance),
    ...(settings.ctl ? { ctl: ctlSection(settings) } : {}),
    ...(Object.keys(dcsPostgresql).length > 0 ? { bootstrap: { dcs: { postgresql: dcsPostgresql } } } : {}),
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
    watchdog: {
      mode: settings.watchdog.mode,
      ...(settings.watchdog.device ? { device: settings.watchdog.device } : {}),
      ...(settings.watchdog.safety_margin === undefined ? {} : { safety_margin: settings.watchdog.safety_margin }),
    },
  };
}

function etcdSection(settings: PatroniSettings, instance: InstanceSpec): ConfigTree {
  const etcd = settings.etcd;
  return {
    hosts: etcd.hosts,
    protocol: etcd.protocol,
    ...(etcd.cacert ? { cacert: etcd.cacert } : {}),
    ...(etcd.cert ? { cert: etcd.cert } : {}),
    ...(etcd.key ? { key: etcd.key } : {}),
    ...(instance.etcdCredentials ? { username: instance.etcdCredentials.username, password: instance.etcdCredentials.password } : {}),
  };
}

function restapiSection(settings: PatroniSettings, instance: InstanceSpec): ConfigTree {
  const restapi = settings.restapi;
  const tls = restapi.certfile !== undefined;
  return {
    listen: instance.restapi.listen,
    connect_address: instance.restapi.connectAddress,
    ...(restapi.cafile ? { cafile: restapi.cafile } : {}),
    ...(restapi.certfile ? { certfile: restapi.certfile } : {}),
    ...(restapi.keyfile ? { keyfile: restapi.keyfile } : {}),
    ...(tls ? { verify_client: restapi.verify_client } : {}),
    ...(instance.restapi.authentication
      ? { authentication: { username: instance.restapi.authentication.username, password: instance.restapi.authentication.password } }
      : {}),
  };
}

function ctlSection(settings: PatroniSettings): ConfigTree {
  const ctl = settings.ctl!;
  return {
    ...(ctl.insecure ? { insecure: true } : {}),
    ...(ctl.cacert ? { cacert: ctl.cacert } : {}),
    ...(ctl.certfile ? { certfile: ctl.certfile } : {}),
    ...(ctl.keyfile ? { keyfile: ctl.keyfile } : {}),
  };
}
