import { type AuthSnapshot, type EtcdRole, type EtcdUser, ROOT_ROLE, type RolePermission } from '../etcd/auth-model.js';
import { type PasswordFacts, type RevokeReason, type TenancyAction, userActions } from './tenancy-action.js';
import { coversWholeKeyspace, formatRange, prefixRange, rangeContains } from '../etcd/key-range.js';
import { type TenantNaming, tenantId } from './desired-tenants.js';
import type { Tenant } from './tenant.js';
import { namePattern } from './tenant-naming.js';
import { planClientAccess } from './client-access-plan.js';
import { type DeclaredClient, describeGrant } from './declared-clients.js';

export type { PasswordFacts, RevokeReason, TenancyAction } from './tenancy-action.js';

export interface TenancyPlan {
  authEnabled: boolean;
  admin: string;
  tenants: Tenant[];
  /** Clients declared in the tenants file, each with its own user and role. */
  clients: DeclaredClient[];
  /** In the order apply carries them out. */
  actions: TenancyAction[];
  /** Users and roles named like tenants whose cluster is no longer wanted; removed only with prune. */
  orphans: { users: string[]; roles: string[] };
  /**
   * Existing tenant users whose password cannot be checked because etcd
   * auth is off (etcd answers "not enabled" to any password): apply sets
   * each from its file, which is harmless while nothing holds a token.
   */
  unverifiedPasswords: string[];
}

export interface TenancyPlanInput {
  tenants: readonly Tenant[];
  actual: AuthSnapshot;
  naming: TenantNaming;
  passwords: PasswordFacts;
  prune: boolean;
  /** Clients declared in the tenants file (vip-manager, monitoring, patronictl, confd). */
  clients?: readonly DeclaredClient[] | undefined;
}

/**
 * The changes that bring etcd's users, roles and grants to the desired
 * tenants: a pure diff. Within a role, the right grant comes before the
 * revocation of a wrong one, so a live cluster never loses its prefix.
 */
export function planTenancy(input: TenancyPlanInput): TenancyPlan {
  const users = new Map<string, EtcdUser>(input.actual.users.map((user) => [user.name, user]));
  const roles = new Map<string, EtcdRole>(input.actual.roles.map((role) => [role.name, role]));
  const actions: TenancyAction[] = [];
  const unverifiedPasswords: string[] = [];
  const adminUser = input.naming.adminUser;

  const admin = users.get(adminUser);
  if (!admin) actions.push({ kind: 'create-user', user: adminUser, password: 'admin' });
  if (!admin?.roles.includes(ROOT_ROLE)) actions.push({ kind: 'grant-role', user: adminUser, role: ROOT_ROLE });

  for (const tenant of input.tenants) {
    const id = tenantId(tenant);
    const wanted: RolePermission = { ...prefixRange(tenant.prefix), permType: 'READWRITE' };
    const role = roles.get(tenant.role);
    if (!role) actions.push({ kind: 'create-role', role: tenant.role, tenant: id });
    const same = role?.permissions.find(
      (permission) => permission.key.equals(wanted.key) && permission.rangeEnd.equals(wanted.rangeEnd),
    );
    if (!same)
      actions.push({ kind: 'grant-permission', role: tenant.role, permission: wanted, tenant: id, reason: 'missing' });
    else if (same.permType !== 'READWRITE')
      actions.push({
        kind: 'grant-permission',
        role: tenant.role,
        permission: wanted,
        tenant: id,
        reason: 'not-readwrite',
      });
    for (const permission of role?.permissions ?? []) {
      if (permission === same) continue;
      actions.push({
        kind: 'revoke-permission',
        role: tenant.role,
        permission,
        tenant: id,
        reason: revokeReason(permission, wanted),
      });
    }

    userActions({
      user: tenant.user,
      role: tenant.role,
      group: id,
      actual: users.get(tenant.user),
      passwords: input.passwords,
      authEnabled: input.actual.authEnabled,
      actions,
      unverifiedPasswords,
    });
  }

  planClientAccess(input.clients ?? [], input.actual, input.passwords, actions, unverifiedPasswords);

  const orphans = findOrphans(input, users, roles);
  if (input.prune) {
    for (const user of orphans.users) actions.push({ kind: 'delete-user', user });
    for (const role of orphans.roles) actions.push({ kind: 'delete-role', role });
  }
  return {
    authEnabled: input.actual.authEnabled,
    admin: adminUser,
    tenants: [...input.tenants],
    clients: [...(input.clients ?? [])],
    actions,
    orphans,
    unverifiedPasswords,
  };
}

/** Users and roles a format produces (so pgfleet made them) that no desired tenant uses. */
function findOrphans(
  input: TenancyPlanInput,
  users: Map<string, EtcdUser>,
  roles: Map<string, EtcdRole>,
): TenancyPlan['orphans'] {
  const clients = input.clients ?? [];
  const wantedUsers = new Set([
    input.naming.adminUser,
    ...input.tenants.map((tenant) => tenant.user),
    ...clients.map((client) => client.user),
  ]);
  const wantedRoles = new Set([
    ROOT_ROLE,
    ...input.tenants.map((tenant) => tenant.role),
    ...clients.map((client) => client.role),
  ]);
  const userPattern = namePattern(input.naming.userFormat);
  const rolePattern = namePattern(input.naming.roleFormat);
  return {
    users: [...users.keys()].filter((name) => !wantedUsers.has(name) && userPattern.test(name)).sort(),
    roles: [...roles.keys()].filter((name) => !wantedRoles.has(name) && rolePattern.test(name)).sort(),
  };
}

function revokeReason(permission: RolePermission, wanted: RolePermission): RevokeReason {
  if (coversWholeKeyspace(permission)) return 'whole-keyspace';
  if (rangeContains(permission, wanted)) return 'too-wide';
  return 'wrong-range';
}

const REVOKE_REASONS: Record<RevokeReason, string> = {
  'too-wide': "too wide: it reaches beyond the cluster's prefix",
  'whole-keyspace': 'covers the whole keyspace',
  'wrong-range': "not the cluster's prefix",
  'beyond-declaration': 'beyond what the client is declared to need',
};

/** One line per action, as plan and apply print them. */
export function describeAction(action: TenancyAction): string {
  switch (action.kind) {
    case 'create-user':
      return `create user ${action.user} (${action.password === 'admin' ? "pgfleet's admin identity, password from etcd_admin" : action.password === 'from-file' ? 'password from its file' : 'new random password, written to its file'})`;
    case 'set-password':
      return action.reason === 'rejected'
        ? `set the password of user ${action.user} from its file (etcd refuses the file's password)`
        : `set a new password on user ${action.user}: it has no password file here${action.disruptive ? ' (DISRUPTIVE with auth on: members using the old password lose the DCS)' : ''}`;
    case 'grant-role':
      return `grant role ${action.role} to user ${action.user}`;
    case 'revoke-role':
      return `revoke role ${action.role} from user ${action.user}${action.role === ROOT_ROLE ? ' (root reaches every cluster)' : ''}`;
    case 'create-role':
      return `create role ${action.role}`;
    case 'grant-permission':
      return `grant ${action.permission.permType.toLowerCase()} ${formatRange(action.permission)} to role ${action.role}${action.reason === 'not-readwrite' ? ' (it was read or write only)' : action.reason === 'wrong-type' ? ' (it held another permission type)' : ''}`;
    case 'revoke-permission':
      return `revoke ${action.permission.permType.toLowerCase()} ${formatRange(action.permission)} from role ${action.role}: ${REVOKE_REASONS[action.reason]}`;
    case 'delete-user':
      return `delete user ${action.user} (orphan: no cluster uses it)`;
    case 'delete-role':
      return `delete role ${action.role} (orphan: no cluster uses it)`;
  }
}

/** An action as JSON: ranges decoded, no Buffers. */
export function actionView(action: TenancyAction): Record<string, unknown> {
  const { permission, ...rest } = action as TenancyAction & { permission?: RolePermission };
  return {
    ...rest,
    ...(permission ? { permType: permission.permType, range: formatRange(permission) } : {}),
    description: describeAction(action),
  };
}

/** The plan as JSON. */
export function planView(plan: TenancyPlan): Record<string, unknown> {
  return {
    authEnabled: plan.authEnabled,
    admin: plan.admin,
    pending: plan.actions.length > 0,
    tenants: plan.tenants.map((tenant) => ({
      cluster: tenantId(tenant),
      ...tenant,
      range: formatRange(prefixRange(tenant.prefix)),
    })),
    clients: plan.clients.map((client) => ({
      name: client.name,
      kind: client.kind,
      user: client.user,
      role: client.role,
      grant: describeGrant(client.grant),
    })),
    actions: plan.actions.map(actionView),
    orphans: plan.orphans,
    unverifiedPasswords: plan.unverifiedPasswords,
  };
}
