import type { KeyRange } from './key-range.js';

/** etcd's auth model (v3): users hold roles, roles hold permissions on key ranges. */
export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface RolePermission extends KeyRange {
  permType: PermissionType;
}

export interface EtcdUser {
  name: string;
  roles: string[];
}

export interface EtcdRole {
  name: string;
  permissions: RolePermission[];
}

/** etcd's built-in role: every permission, and the auth API. */
export const ROOT_ROLE = 'root';

/** What etcd's auth store holds, as read through its API by the admin identity. */
export interface AuthSnapshot {
  authEnabled: boolean;
  users: EtcdUser[];
  roles: EtcdRole[];
}
