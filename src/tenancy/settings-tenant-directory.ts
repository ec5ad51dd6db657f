import { join } from 'node:path';
import { tenantName } from '../core/tenancy/tenant-naming.js';
import type { TenancySettings } from '../core/settings/site-settings.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { TenantDirectory } from '../migration/etcd-auth/tenant-directory.js';

/** Tenants as the settings name them, with one 0600 password file per tenant user in the secrets directory. */
export class SettingsTenantDirectory implements TenantDirectory {
  constructor(
    private readonly tenancy: TenancySettings,
    readonly secretsDir: string,
  ) {}

  userFor(_namespace: string, scope: string): string {
    return tenantName(this.tenancy.user_format, scope);
  }

  roleFor(scope: string): string {
    return tenantName(this.tenancy.role_format, scope);
  }

  passwordFile(user: string): string {
    return join(this.secretsDir, `${user}.password`);
  }

  async credentialsFor(namespace: string, scope: string): Promise<EtcdCredentials | undefined> {
    const username = this.userFor(namespace, scope);
    try {
      return { username, password: await readSecretFile(this.passwordFile(username), `password of etcd user ${username}`) };
    } catch {
      return undefined;
    }
  }
}
