import { describeAction } from '../../core/tenancy/tenancy-plan.js';
import type { EtcdClient, EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { SettingsTenantDirectory } from '../../fleet/settings-tenant-directory.js';
import { applyTenancy } from '../../tenancy/index.js';

/**
 * `etcd auth prepare`: `etcd tenants apply` for the clusters found in the
 * DCS (and the tenants file): root first, then one user and role per cluster
 * with readwrite on exactly `/<namespace>/<scope>/`. Passwords are generated
 * once, kept in 0600 files and reused; nothing is printed. Idempotent.
 * Returns the changes made, one line each.
 */
export async function prepareTenants(options: {
  admin: EtcdClient;
  adminCredentials: EtcdCredentials;
  namespaces: string[];
  tenants: SettingsTenantDirectory;
}): Promise<string[]> {
  const report = await applyTenancy(
    {
      // Only the admin identity and the namespaces matter to apply (verify would need TLS files).
      access: {
        endpoints: options.admin.endpoints,
        tls: {},
        namespaces: options.namespaces,
        admin: options.adminCredentials,
        adminPasswordSource: 'etcd_admin.password_file or $PGFLEET_ETCD_ADMIN_PASSWORD',
      },
      directory: options.tenants,
      managed: [],
    },
    options.admin,
  );
  return report.done.map(describeAction);
}
