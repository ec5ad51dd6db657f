import { type KeyRange, rangeContains } from '../etcd/key-range.js';
import type { EtcdFacts } from './fleet-snapshot.js';
import type { KnownCluster } from './fleet-view.js';

/**
 * Who may write where, from etcd's users and roles: which clusters each
 * role's grants cover and which users are tenants of which clusters. Only
 * meaningful when the audit could read users and roles (`--live`).
 */
export type RolePermission = NonNullable<EtcdFacts['roles']>[number]['permissions'][number];

export const ROOT_ROLE = 'root';

/** The clusters whose whole prefix the permissions let a holder both read and write. */
export function clustersWritableWith(
  permissions: readonly RolePermission[],
  clusters: readonly KnownCluster[],
): KnownCluster[] {
  const reads = permissions.filter((permission) => permission.permType !== 'WRITE');
  const writes = permissions.filter((permission) => permission.permType !== 'READ');
  const covered = (list: readonly RolePermission[], range: KeyRange) =>
    list.some((permission) => rangeContains(permission, range));
  return clusters.filter((cluster) => covered(reads, cluster.range) && covered(writes, cluster.range));
}

export interface TenancyView {
  /** Users holding the root role: not tenants, whatever else they hold. */
  rootUsers: Set<string>;
  /** For each non-root user, the clusters it can read and write, and through which roles. */
  userClusters: Map<string, { clusters: KnownCluster[]; roles: string[] }>;
  /** For each non-root role, the clusters it covers on its own. */
  roleClusters: Map<string, KnownCluster[]>;
}

export function tenancyView(
  etcd: Pick<EtcdFacts, 'users' | 'roles'>,
  clusters: readonly KnownCluster[],
): TenancyView | undefined {
  if (!etcd.users || !etcd.roles) return undefined;
  const roles = new Map(etcd.roles.map((role) => [role.name, role]));
  const rootUsers = new Set(etcd.users.filter((user) => user.roles.includes(ROOT_ROLE)).map((user) => user.name));
  const roleClusters = new Map<string, KnownCluster[]>();
  for (const role of etcd.roles)
    if (role.name !== ROOT_ROLE) roleClusters.set(role.name, clustersWritableWith(role.permissions, clusters));
  const userClusters = new Map<string, { clusters: KnownCluster[]; roles: string[] }>();
  for (const user of etcd.users) {
    if (rootUsers.has(user.name)) continue;
    const held = user.roles.filter((name) => roles.has(name));
    const permissions = held.flatMap((name) => roles.get(name)!.permissions);
    userClusters.set(user.name, { clusters: clustersWritableWith(permissions, clusters), roles: held });
  }
  return { rootUsers, userClusters, roleClusters };
}
