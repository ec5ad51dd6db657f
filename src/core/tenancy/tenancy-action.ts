import type { EtcdUser, RolePermission } from '../etcd/auth-model.js';

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

/**
 * The actions that bring one user (a tenant's or a declared client's) to
 * holding its role and the password of its file, and nothing else: created
 * with the file's (or a generated) password; its password set from a new
 * file when its file is missing here, or from its file when etcd refuses
 * it; its role granted, any other role revoked. An existing user whose
 * password cannot be checked (auth off) goes to `unverifiedPasswords`.
 */
export function userActions(options: {
  user: string;
  role: string;
  group: string;
  actual: EtcdUser | undefined;
  passwords: PasswordFacts;
  authEnabled: boolean;
  actions: TenancyAction[];
  unverifiedPasswords: string[];
}): void {
  const { user, role, group: tenant, actual, actions } = options;
  const hasFile = options.passwords.withFile.has(user);
  if (!actual) actions.push({ kind: 'create-user', user, tenant, password: hasFile ? 'from-file' : 'generated' });
  else if (!hasFile)
    actions.push({ kind: 'set-password', user, tenant, reason: 'file-missing', disruptive: options.authEnabled });
  else if (options.passwords.rejected.has(user))
    actions.push({ kind: 'set-password', user, tenant, reason: 'rejected', disruptive: false });
  else if (!options.authEnabled) options.unverifiedPasswords.push(user);
  if (!actual?.roles.includes(role)) actions.push({ kind: 'grant-role', user, role, tenant });
  for (const extra of actual?.roles ?? [])
    if (extra !== role) actions.push({ kind: 'revoke-role', user, role: extra, tenant });
}
