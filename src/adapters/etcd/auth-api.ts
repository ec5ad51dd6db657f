import type { Secret } from '../../core/secret.js';
import type { KeyRange } from '../../core/etcd/key-range.js';
import type { EtcdRole, EtcdUser, PermissionType, RolePermission } from '../../core/etcd/auth-model.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdError } from './etcd-error.js';

export type { EtcdRole, EtcdUser, PermissionType, RolePermission } from '../../core/etcd/auth-model.js';

const b64 = (value: Buffer): string => value.toString('base64');
const fromB64 = (value: string | undefined): Buffer => (value ? Buffer.from(value, 'base64') : Buffer.alloc(0));

/**
 * etcd's auth API (users, roles, grants, enable/disable) through the gateway.
 * Passwords travel only in request bodies, never in an argv.
 */
export class EtcdAuthApi {
  constructor(private readonly client: EtcdClient) {}

  async enable(): Promise<void> {
    await this.client.call('/v3/auth/enable', {});
  }

  async disable(): Promise<void> {
    await this.client.call('/v3/auth/disable', {});
  }

  async listUsers(): Promise<string[]> {
    const answer = await this.client.call<{ users?: string[] }>('/v3/auth/user/list', {});
    return answer.users ?? [];
  }

  async getUser(name: string): Promise<EtcdUser | undefined> {
    try {
      const answer = await this.client.call<{ roles?: string[] }>('/v3/auth/user/get', { name });
      return { name, roles: answer.roles ?? [] };
    } catch (error) {
      if (error instanceof EtcdError && error.kind === 'user-not-found') return undefined;
      throw error;
    }
  }

  async addUser(name: string, password: Secret): Promise<void> {
    await this.client.call('/v3/auth/user/add', { name, password: password.reveal() });
  }

  async changePassword(name: string, password: Secret): Promise<void> {
    await this.client.call('/v3/auth/user/changepw', { name, password: password.reveal() });
  }

  async deleteUser(name: string): Promise<void> {
    await this.client.call('/v3/auth/user/delete', { name });
  }

  async grantRole(user: string, role: string): Promise<void> {
    await this.client.call('/v3/auth/user/grant', { user, role });
  }

  async revokeRole(user: string, role: string): Promise<void> {
    await this.client.call('/v3/auth/user/revoke', { name: user, role });
  }

  async listRoles(): Promise<string[]> {
    const answer = await this.client.call<{ roles?: string[] }>('/v3/auth/role/list', {});
    return answer.roles ?? [];
  }

  async getRole(name: string): Promise<EtcdRole | undefined> {
    try {
      const answer = await this.client.call<{
        perm?: Array<{ permType?: PermissionType; key?: string; range_end?: string }>;
      }>('/v3/auth/role/get', { role: name });
      return {
        name,
        permissions: (answer.perm ?? []).map((perm) => ({
          permType: perm.permType ?? 'READ',
          key: fromB64(perm.key),
          rangeEnd: fromB64(perm.range_end),
        })),
      };
    } catch (error) {
      if (error instanceof EtcdError && error.kind === 'role-not-found') return undefined;
      throw error;
    }
  }

  async addRole(name: string): Promise<void> {
    await this.client.call('/v3/auth/role/add', { name });
  }

  async deleteRole(name: string): Promise<void> {
    await this.client.call('/v3/auth/role/delete', { role: name });
  }

  async grantPermission(role: string, permission: RolePermission): Promise<void> {
    await this.client.call('/v3/auth/role/grant', {
      name: role,
      perm: { permType: permission.permType, key: b64(permission.key), range_end: b64(permission.rangeEnd) },
    });
  }

  async revokePermission(role: string, range: KeyRange): Promise<void> {
    await this.client.call('/v3/auth/role/revoke', { role, key: b64(range.key), range_end: b64(range.rangeEnd) });
  }
}
