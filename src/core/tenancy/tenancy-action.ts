import type { RolePermission } from '../etcd/auth-model.js';

/** Why a permission of a tenant's role is revoked. */
export type RevokeReason = 'too-wide' | 'whole-keyspace' | 'wrong-range' | 'beyond-declaration';

/**
 * One change to etcd's auth store. `tenant` is the cluster it serves
 * (`/service/alpha`) or `client <name>` for a declared client, absent for
 * the admin identity and for prunes.
 */
export type TenancyAction =
  | { kind: 'create-user'; user: string; tenant?: string; password: 'admin' | 'from-file' | 'generated' }
  | { kind: 'set-password'; user: string; tenant: string; reason: 'rejected' | 'file-missing'; disruptive: boolean }
  | { kind: 'grant-role'; user: string; role: string; tenant?: string }
  | { kind: 'revoke-role'; user: string; role: string; tenant: string }
  | { kind: 'create-role'; role: string; tenant: string }
  | {
      kind: 'grant-permission';
      role: string;
      permission: RolePermission;
      tenant: string;
      reason: 'missing' | 'not-readwrite' | 'wrong-type';
    }
  | { kind: 'revoke-permission'; role: string; permission: RolePermission; tenant: string; reason: RevokeReason }
  | { kind: 'delete-user'; user: string }
  | { kind: 'delete-role'; role: string };

/** What pgfleet knows of the tenants' passwords. */
export interface PasswordFacts {
  /** Users with a password file in the secrets directory. */
  withFile: ReadonlySet<string>;
  /** Users whose file's password etcd refused (only knowable with auth on). */
  rejected: ReadonlySet<string>;
}
