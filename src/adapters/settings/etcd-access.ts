import { PgfleetError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import type { EtcdCredentials } from '../etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../etcd/gateway-transport.js';
import { readSecretFile } from '../fs/secret-file.js';

/** How pgfleet reaches the shared etcd as its admin identity, from the site settings. */
export interface EtcdAccess {
  endpoints: string[];
  tls: EtcdTlsFiles;
  /** Namespaces scanned for clusters: patroni.etcd.namespace first, then tenancy.namespaces. */
  namespaces: string[];
  admin: EtcdCredentials;
  /** Where the admin password came from, for messages: `etcd_admin.password_file (/etc/pgfleet/root.password)`. */
  adminPasswordSource: string;
  /** etcd_admin.auth_token: the token type the operator declared, used when etcd's own cannot be read. */
  declaredTokenType?: 'simple' | 'jwt' | undefined;
}

export async function etcdAccessFromSettings(
  settings: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EtcdAccess> {
  const patroni = settings.patroni;
  if (!patroni)
    throw new PgfleetError('SETTINGS_NO_PATRONI', 'the settings have no patroni section', {
      hint: 'add "patroni: {}" (an open etcd on 127.0.0.1:2379) or describe your etcd under patroni.etcd',
    });
  return {
    endpoints: patroni.etcd.hosts.map((host) => `${patroni.etcd.protocol}://${host}`),
    tls: { cacert: patroni.etcd.cacert, cert: patroni.etcd.cert, key: patroni.etcd.key },
    namespaces: [...new Set([patroni.etcd.namespace, ...settings.tenancy.namespaces])],
    admin: await readEtcdAdminCredentials(settings, env),
    adminPasswordSource: env.PGFLEET_ETCD_ADMIN_PASSWORD
      ? '$PGFLEET_ETCD_ADMIN_PASSWORD'
      : `etcd_admin.password_file (${settings.etcd_admin.password_file})`,
    declaredTokenType: settings.etcd_admin.auth_token,
  };
}

/** The admin password: $PGFLEET_ETCD_ADMIN_PASSWORD, or etcd_admin.password_file (0600). Never an argument. */
export async function adminPassword(settings: SiteSettings, env: NodeJS.ProcessEnv): Promise<Secret> {
  if (env.PGFLEET_ETCD_ADMIN_PASSWORD) return new Secret(env.PGFLEET_ETCD_ADMIN_PASSWORD);
  const file = settings.etcd_admin.password_file;
  if (!file) {
    throw new PgfleetError(
      'ADMIN_PASSWORD_MISSING',
      'no etcd admin password: set etcd_admin.password_file in the settings or PGFLEET_ETCD_ADMIN_PASSWORD',
      {
        hint: 'create a 0600 file with a long random password; `pgfleet etcd tenants apply` (or `etcd auth prepare`) creates the admin user with it',
      },
    );
  }
  return readSecretFile(file, 'etcd admin password');
}

/** The admin identity alone, for commands that need nothing else of the access. */
export async function readEtcdAdminCredentials(
  settings: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EtcdCredentials> {
  return { username: settings.etcd_admin.username, password: await adminPassword(settings, env) };
}

/** The admin identity when the site has one configured and readable; undefined otherwise (pgfleet then works without it). */
export async function optionalEtcdAdminCredentials(
  settings: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EtcdCredentials | undefined> {
  if (!env.PGFLEET_ETCD_ADMIN_PASSWORD && !settings.etcd_admin.password_file) return undefined;
  return readEtcdAdminCredentials(settings, env).catch(() => undefined);
}
