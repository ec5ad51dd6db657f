import { PgfleetError } from '../../core/errors.js';
import { type EtcdTlsTarget, etcdTlsTargetFromSettings } from '../../core/migration/etcd-tls-target.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import type { EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../../adapters/etcd/gateway-transport.js';
import { readEtcdAdminCredentials } from '../../adapters/settings/etcd-access.js';
import type { PatroniRestCredentials } from '../../adapters/patroni/rest-client.js';
import { type LocalInstance, readLocalInstance } from '../../node/local-instances.js';
import type { PatroniDaemonAccess } from '../../node/patroni-restart.js';
import { sitePathsOf, thisHostFromSettings } from '../../fleet/fleet-connection.js';

/** Everything `etcd tls migrate` needs to know about the fleet and this host. */
export interface EtcdTlsFleet {
  /** Where members go, from the settings: https hosts and certificate files. */
  target: EtcdTlsTarget;
  /** pgfleet's own way to etcd during the migration: the target endpoints and files. */
  endpoints: string[];
  tls: EtcdTlsFiles;
  /** etcd admin identity: needed once etcd auth is on (member discovery, run state). */
  admin?: EtcdCredentials | undefined;
  namespaces: string[];
  localInstances: LocalInstance[];
  restCredentials?: PatroniRestCredentials | undefined;
  patroni: PatroniDaemonAccess & {
    /** `patroni --validate-config` on each new YAML before it replaces the old one (when enforce_config_validation is on). */
    validation: { execpath: string; enforce: boolean } | false;
  };
}

export function etcdEndpointsOf(target: Pick<EtcdTlsTarget, 'hosts' | 'protocol'>): string[] {
  return target.hosts.map((host) => `${target.protocol}://${host}`);
}

/** The fleet as the site settings describe it; their patroni.etcd must already say https. */
export async function etcdTlsFleetFromSettings(
  settings: SiteSettings,
  options: { source?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): Promise<EtcdTlsFleet> {
  const env = options.env ?? process.env;
  const patroni = settings.patroni;
  if (!patroni)
    throw new PgfleetError('SETTINGS_NO_PATRONI', `${options.source ?? 'the settings'} has no patroni section`, {
      hint: 'describe your etcd under patroni.etcd',
    });
  const target = etcdTlsTargetFromSettings(patroni.etcd, options.source);
  const paths = sitePathsOf(settings, env);
  // The TLS switch rewrites each member's YAML whole: members pgfleet did not create are left out until it can edit them key by key.
  const thisHost = await thisHostFromSettings(settings, paths, { adopt: false });
  return {
    target,
    endpoints: etcdEndpointsOf(target),
    tls: { cacert: target.cacert, cert: target.cert, key: target.key },
    admin: await optionalAdmin(settings, env),
    namespaces: [...new Set([patroni.etcd.namespace, ...settings.tenancy.namespaces])],
    localInstances: thisHost.localInstances,
    restCredentials: thisHost.restCredentials,
    patroni: {
      ...thisHost.patroniDaemon,
      validation: patroni.enforce_config_validation ? { execpath: patroni.execpath, enforce: true } : false,
    },
  };
}

/** The admin identity when one is configured ($PGFLEET_ETCD_ADMIN_PASSWORD or etcd_admin.password_file); a configured file that cannot be read is an error. */
async function optionalAdmin(settings: SiteSettings, env: NodeJS.ProcessEnv): Promise<EtcdCredentials | undefined> {
  return env.PGFLEET_ETCD_ADMIN_PASSWORD || settings.etcd_admin.password_file
    ? readEtcdAdminCredentials(settings, env)
    : undefined;
}

/** The fleet with its members' YAMLs read again: a run must judge each member by its file as it is now. */
export async function withCurrentInstances(fleet: EtcdTlsFleet): Promise<EtcdTlsFleet> {
  const localInstances = await Promise.all(
    fleet.localInstances.map(async (instance) => ({
      ...(await readLocalInstance(instance.configFile)),
      ...(instance.logFile ? { logFile: instance.logFile } : {}),
    })),
  );
  return { ...fleet, localInstances };
}
