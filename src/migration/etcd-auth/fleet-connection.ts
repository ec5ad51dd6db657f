import { PgfleetError } from '../../core/errors.js';
import { resolveSitePaths } from '../../core/settings/site-paths.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { Secret } from '../../core/secret.js';
import { readSecretFile } from '../../adapters/fs/secret-file.js';
import { isRoot } from '../../adapters/process/os-user.js';
import { listLocalInstances } from '../../instance/local-instances.js';
import { SettingsTenantDirectory } from '../../tenancy/settings-tenant-directory.js';
import type { FleetConnection } from './enforce-run.js';

/** Everything the auth migration needs, from the site settings: etcd, admin identity, tenants, local members. */
export async function fleetConnectionFromSettings(settings: SiteSettings, env: NodeJS.ProcessEnv = process.env): Promise<FleetConnection & { tenants: SettingsTenantDirectory }> {
  const patroni = settings.patroni;
  if (!patroni) throw new PgfleetError('SETTINGS_NO_PATRONI', 'the settings have no patroni section', { hint: 'add "patroni: {}" (an open etcd on 127.0.0.1:2379) or describe your etcd under patroni.etcd' });
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME ?? '/', env });
  const endpoints = patroni.etcd.hosts.map((host) => `${patroni.etcd.protocol}://${host}`);
  return {
    endpoints,
    tls: { cacert: patroni.etcd.cacert, cert: patroni.etcd.cert, key: patroni.etcd.key },
    namespaces: [...new Set([patroni.etcd.namespace, ...settings.tenancy.namespaces])],
    admin: { username: settings.etcd_admin.username, password: await adminPassword(settings, env) },
    localInstances: await listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir),
    restCredentials: patroni.ctl ? { cafile: patroni.ctl.cacert, certfile: patroni.ctl.certfile, keyfile: patroni.ctl.keyfile, insecure: patroni.ctl.insecure } : {},
    tenants: new SettingsTenantDirectory(settings.tenancy, paths.secretsDir),
  };
}

/** The admin password: $PGFLEET_ETCD_ADMIN_PASSWORD, or etcd_admin.password_file (0600). Never an argument. */
export async function adminPassword(settings: SiteSettings, env: NodeJS.ProcessEnv): Promise<Secret> {
  if (env.PGFLEET_ETCD_ADMIN_PASSWORD) return new Secret(env.PGFLEET_ETCD_ADMIN_PASSWORD);
  const file = settings.etcd_admin.password_file;
  if (!file) {
    throw new PgfleetError('ADMIN_PASSWORD_MISSING', 'no etcd admin password: set etcd_admin.password_file in the settings or PGFLEET_ETCD_ADMIN_PASSWORD', { hint: 'create a 0600 file with a long random password; `pgfleet etcd auth prepare` creates the root user with it' });
  }
  return readSecretFile(file, 'etcd admin password');
}
