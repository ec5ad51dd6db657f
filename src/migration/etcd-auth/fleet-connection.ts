import { join } from 'node:path';
import { resolveSitePaths } from '../../core/settings/site-paths.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { etcdAccessFromSettings } from '../../adapters/settings/etcd-access.js';
import { isRoot } from '../../adapters/process/os-user.js';
import { patroniDaemonAccess } from '../../instance/patroni-restart.js';
import { listLocalInstances } from '../../instance/local-instances.js';
import { type SettingsTenantDirectory, tenantDirectoryFromSettings } from '../../tenancy/settings-tenant-directory.js';
import type { FleetConnection } from './enforce-run.js';

/** Everything the auth migration needs, from the site settings: etcd, admin identity, tenants, local members, where reports go. */
export async function fleetConnectionFromSettings(settings: SiteSettings, env: NodeJS.ProcessEnv = process.env): Promise<FleetConnection & { tenants: SettingsTenantDirectory }> {
  const access = await etcdAccessFromSettings(settings, env);
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME ?? '/', env });
  const patroni = settings.patroni!;
  return {
    ...access,
    localInstances: await listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir),
    restCredentials: patroni.ctl ? { cafile: patroni.ctl.cacert, certfile: patroni.ctl.certfile, keyfile: patroni.ctl.keyfile, insecure: patroni.ctl.insecure } : {},
    tenants: await tenantDirectoryFromSettings(settings, paths.secretsDir),
    reportDir: join(paths.prefix, 'reports'),
    patroniDaemon: patroniDaemonAccess(patroni, paths),
  };
}

/** Runs `work` with an etcd client holding the admin identity, always closed. */
export async function withAdminClient<T>(connection: Pick<FleetConnection, 'endpoints' | 'tls' | 'admin'>, work: (admin: EtcdClient) => Promise<T>): Promise<T> {
  const admin = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials: connection.admin });
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

/** Whether etcd auth is on right now (an anonymous probe: see EtcdClient.isAuthEnabled). */
export async function etcdAuthEnabled(connection: Pick<FleetConnection, 'endpoints' | 'tls'>): Promise<boolean> {
  const client = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls });
  try {
    return await client.isAuthEnabled();
  } finally {
    await client.close();
  }
}
