import { homedir } from 'node:os';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import type { ClusterRef } from '../core/tenancy/tenant.js';
import { isRoot } from '../adapters/process/os-user.js';
import { type EtcdAccess, etcdAccessFromSettings } from '../adapters/settings/etcd-access.js';
import { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { listLocalInstances } from '../node/local-instances.js';
import { type SettingsTenantDirectory, tenantDirectoryFromSettings } from '../fleet/settings-tenant-directory.js';

/** What `etcd tenants` works on: the shared etcd, the tenants' names and secrets, the clusters managed here. */
export interface TenancyTarget {
  access: EtcdAccess;
  directory: SettingsTenantDirectory;
  /** Clusters of the instances pgfleet manages on this host. */
  managed: ClusterRef[];
}

export interface TenancyTargetOverrides {
  /** --secrets-dir: instead of tenancy.secrets_dir. */
  secretsDir?: string | undefined;
  /** --tenants-file: instead of tenancy.tenants_file. */
  tenantsFile?: string | undefined;
}

export async function tenancyTargetFromSettings(
  settings: SiteSettings,
  overrides: TenancyTargetOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<TenancyTarget> {
  const access = await etcdAccessFromSettings(settings, env);
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME ?? homedir(), env });
  const directory = await tenantDirectoryFromSettings(
    settings,
    overrides.secretsDir ?? paths.secretsDir,
    overrides.tenantsFile ?? settings.tenancy.tenants_file,
  );
  const instances = await listLocalInstances(paths.patroniConfigDir);
  return {
    access,
    directory,
    managed: instances.map((instance) => ({
      namespace: instance.namespace,
      scope: instance.scope,
      origin: instance.configFile,
    })),
  };
}

/** Runs `work` with the tenancy target of the settings and an etcd client holding the admin identity, always closed. */
export async function withTenancyAdmin<T>(
  settings: SiteSettings,
  overrides: TenancyTargetOverrides,
  work: (target: TenancyTarget, admin: EtcdClient) => Promise<T>,
): Promise<T> {
  const target = await tenancyTargetFromSettings(settings, overrides);
  const admin = new EtcdClient({
    endpoints: target.access.endpoints,
    tls: target.access.tls,
    credentials: target.access.admin,
  });
  try {
    return await work(target, admin);
  } finally {
    await admin.close();
  }
}
