import { join } from 'node:path';
import { type TenantNaming, tenantNames } from '../core/tenancy/desired-tenants.js';
import { checkScope } from '../core/tenancy/tenant-naming.js';
import type { ListedTenant } from '../core/tenancy/tenants-file.js';
import type { Acknowledgement } from '../core/census/acknowledgements.js';
import { type DeclaredClient, type ListedClient, declaredClient } from '../core/tenancy/declared-clients.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { TenantDirectory } from './tenant-directory.js';
import { loadTenantsFile } from './tenants-file-loader.js';

/**
 * Tenants as the settings and the tenants file name them, with one 0600
 * password file per tenant user in the secrets directory
 * (`<secrets_dir>/<user>.password`).
 */
export class SettingsTenantDirectory implements TenantDirectory {
  /** Clients declared in the tenants file, resolved with the settings' namespace. */
  readonly clients: readonly DeclaredClient[];

  constructor(
    readonly naming: TenantNaming,
    readonly secretsDir: string,
    readonly listed: readonly ListedTenant[] = [],
    other: { clients?: readonly ListedClient[]; acknowledged?: readonly Acknowledgement[] } = {},
  ) {
    this.clients = (other.clients ?? []).map((client) => declaredClient(client, naming.defaultNamespace));
    this.acknowledged = other.acknowledged ?? [];
  }

  /** Census subjects the operator acknowledged in the tenants file. */
  readonly acknowledged: readonly Acknowledgement[];

  userFor(namespace: string, scope: string): string {
    checkScope(scope, `${namespace}${scope}`);
    return tenantNames(this.naming, this.listed, namespace, scope).user;
  }

  roleFor(namespace: string, scope: string): string {
    checkScope(scope, `${namespace}${scope}`);
    return tenantNames(this.naming, this.listed, namespace, scope).role;
  }

  passwordFile(user: string): string {
    return join(this.secretsDir, `${user}.password`);
  }

  async credentialsFor(namespace: string, scope: string): Promise<EtcdCredentials | undefined> {
    return this.credentialsOfUser(this.userFor(namespace, scope));
  }

  /** A user's credentials from its password file here (a tenant's or a declared client's). */
  async credentialsOfUser(username: string): Promise<EtcdCredentials | undefined> {
    try {
      return {
        username,
        password: await readSecretFile(this.passwordFile(username), `password of etcd user ${username}`),
      };
    } catch {
      return undefined;
    }
  }
}

/** How tenants are named, from the settings. */
export function tenantNamingFromSettings(settings: SiteSettings): TenantNaming {
  return {
    userFormat: settings.tenancy.user_format,
    roleFormat: settings.tenancy.role_format,
    defaultNamespace: settings.patroni?.etcd.namespace ?? '/service/',
    adminUser: settings.etcd_admin.username,
  };
}

/** The directory of the settings, with the tenants file read (`tenantsFile` overrides tenancy.tenants_file). */
export async function tenantDirectoryFromSettings(
  settings: SiteSettings,
  secretsDir: string,
  tenantsFile: string | undefined = settings.tenancy.tenants_file,
): Promise<SettingsTenantDirectory> {
  const document = await loadTenantsFile(tenantsFile);
  return new SettingsTenantDirectory(tenantNamingFromSettings(settings), secretsDir, document.tenants, document);
}
