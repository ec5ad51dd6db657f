import type { AuthSnapshot, RolePermission } from '../etcd/auth-model.js';
import { type DeclaredClient, grantRange } from './declared-clients.js';
import { type PasswordFacts, type TenancyAction, userActions } from './tenancy-action.js';

/** The `tenant` key a declared client's actions are grouped under (apply runs each group in order). */
export function clientActionGroup(client: Pick<DeclaredClient, 'name'>): string {
  return `client ${client.name}`;
}

/**
 * The changes that give each declared client its own etcd user and role with
 * its one grant and nothing more: read of its one key (vip-manager), read of
 * a prefix (monitoring, confd), readwrite on its cluster's prefix
 * (patronictl). A grant the role holds beyond that is revoked; a role of
 * another the user holds is revoked. Pure, like planTenancy.
 */
export function planClientAccess(
  clients: readonly DeclaredClient[],
  actual: AuthSnapshot,
  passwords: PasswordFacts,
  actions: TenancyAction[],
  unverifiedPasswords: string[],
): void {
  const users = new Map(actual.users.map((user) => [user.name, user]));
  const roles = new Map(actual.roles.map((role) => [role.name, role]));
  for (const client of clients) {
    const group = clientActionGroup(client);
    const wanted: RolePermission = { ...grantRange(client.grant), permType: client.grant.permType };
    const role = roles.get(client.role);
    if (!role) actions.push({ kind: 'create-role', role: client.role, tenant: group });
    const same = role?.permissions.find(
      (permission) => permission.key.equals(wanted.key) && permission.rangeEnd.equals(wanted.rangeEnd),
    );
    if (!same || same.permType !== wanted.permType)
      actions.push({
        kind: 'grant-permission',
        role: client.role,
        permission: wanted,
        tenant: group,
        reason: same ? 'wrong-type' : 'missing',
      });
    for (const permission of role?.permissions ?? []) {
      if (permission === same) continue;
      actions.push({
        kind: 'revoke-permission',
        role: client.role,
        permission,
        tenant: group,
        reason: 'beyond-declaration',
      });
    }
    userActions({
      user: client.user,
      role: client.role,
      group,
      actual: users.get(client.user),
      passwords,
      authEnabled: actual.authEnabled,
      actions,
      unverifiedPasswords,
    });
  }
}
