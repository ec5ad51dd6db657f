import type { AuthSnapshot, EtcdRole, EtcdUser } from '../../../src/core/etcd/auth-model.js';
import { ROOT_ROLE } from '../../../src/core/etcd/auth-model.js';
import type { TenantNaming } from '../../../src/core/tenancy/desired-tenants.js';
import type { TenancyAction } from '../../../src/core/tenancy/tenancy-plan.js';
import type { ClusterRef } from '../../../src/core/tenancy/tenant.js';

export const naming: TenantNaming = {
  userFormat: 'patroni-{scope}',
  roleFormat: 'patroni-{scope}',
  defaultNamespace: '/service/',
  adminUser: 'root',
};

/** `count` clusters found in the DCS: c0000, c0001, ... (names that are prefixes of each other: c0001 / c00010 cannot happen, c1 / c10 can). */
export function discoveredClusters(
  count: number,
  name: (index: number) => string = (index) => `c${index}`,
): ClusterRef[] {
  return Array.from({ length: count }, (_, index) => ({
    namespace: '/service/',
    scope: name(index),
    origin: `/service/${name(index)}/members/n1`,
  }));
}

/** What etcd would hold after the actions: a model of its auth store, for checking that a plan converges. */
export function applyToSnapshot(snapshot: AuthSnapshot, actions: readonly TenancyAction[]): AuthSnapshot {
  const users = new Map<string, EtcdUser>(
    snapshot.users.map((user) => [user.name, { name: user.name, roles: [...user.roles] }]),
  );
  const roles = new Map<string, EtcdRole>(
    snapshot.roles.map((role) => [role.name, { name: role.name, permissions: [...role.permissions] }]),
  );
  for (const action of actions) {
    switch (action.kind) {
      case 'create-user':
        users.set(action.user, { name: action.user, roles: [] });
        break;
      case 'grant-role':
        users.get(action.user)!.roles.push(action.role);
        break;
      case 'revoke-role':
        users.get(action.user)!.roles = users.get(action.user)!.roles.filter((role) => role !== action.role);
        break;
      case 'create-role':
        roles.set(action.role, { name: action.role, permissions: [] });
        break;
      case 'grant-permission': {
        const role = roles.get(action.role)!;
        role.permissions = [
          ...role.permissions.filter(
            (p) => !(p.key.equals(action.permission.key) && p.rangeEnd.equals(action.permission.rangeEnd)),
          ),
          action.permission,
        ];
        break;
      }
      case 'revoke-permission': {
        const role = roles.get(action.role)!;
        role.permissions = role.permissions.filter(
          (p) => !(p.key.equals(action.permission.key) && p.rangeEnd.equals(action.permission.rangeEnd)),
        );
        break;
      }
      case 'delete-user':
        users.delete(action.user);
        break;
      case 'delete-role':
        roles.delete(action.role);
        for (const user of users.values()) user.roles = user.roles.filter((role) => role !== action.role);
        break;
      case 'set-password':
        break;
    }
  }
  // etcd does not list its built-in root role.
  roles.delete(ROOT_ROLE);
  return { authEnabled: snapshot.authEnabled, users: [...users.values()], roles: [...roles.values()] };
}

export const emptySnapshot: AuthSnapshot = { authEnabled: false, users: [], roles: [] };
