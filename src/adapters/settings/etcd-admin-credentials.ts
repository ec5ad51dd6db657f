import { PgfleetError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import type { EtcdCredentials } from '../etcd/etcd-client.js';
import { readSecretFile } from '../fs/secret-file.js';

/** The admin password: $PGFLEET_ETCD_ADMIN_PASSWORD, or etcd_admin.password_file (0600). Never an argument. */
export async function readEtcdAdminCredentials(settings: SiteSettings, env: NodeJS.ProcessEnv = process.env): Promise<EtcdCredentials> {
  const username = settings.etcd_admin.username;
  if (env.PGFLEET_ETCD_ADMIN_PASSWORD) return { username, password: new Secret(env.PGFLEET_ETCD_ADMIN_PASSWORD) };
  const file = settings.etcd_admin.password_file;
  if (!file) {
    throw new PgfleetError('ADMIN_PASSWORD_MISSING', 'no etcd admin password: set etcd_admin.password_file in the settings or PGFLEET_ETCD_ADMIN_PASSWORD', {
      hint: 'create a 0600 file with a long random password; `pgfleet etcd auth prepare` creates the root user with it',
    });
  }
  return { username, password: await readSecretFile(file, 'etcd admin password') };
}

/** The admin identity when the site has one configured and readable; undefined otherwise (pgfleet then works without it). */
export async function optionalEtcdAdminCredentials(settings: SiteSettings, env: NodeJS.ProcessEnv = process.env): Promise<EtcdCredentials | undefined> {
  if (!env.PGFLEET_ETCD_ADMIN_PASSWORD && !settings.etcd_admin.password_file) return undefined;
  return readEtcdAdminCredentials(settings, env).catch(() => undefined);
}
