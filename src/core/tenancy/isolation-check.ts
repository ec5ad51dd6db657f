import { type AuthSnapshot, type EtcdRole, type EtcdUser, ROOT_ROLE } from '../etcd/auth-model.js';
import { type KeyRange, formatRange, prefixRange, rangeContains } from '../etcd/key-range.js';
import { nameList } from '../name-list.js';
import { tenantId } from './desired-tenants.js';
import { grantShape } from './grant-shape.js';
import type { Tenant } from './tenant.js';
import { TenantPrefixIndex } from './tenant-prefix-index.js';

export type IsolationFindingKind =
  'not-ready' | 'holds-root' | 'whole-keyspace' | 'no-trailing-slash' | 'outside-prefix' | 'nested-prefixes';

/** One way a tenant is not isolated (or cannot work), found in the role ranges alone. */
export interface IsolationFinding {
  kind: IsolationFindingKind;
  /** The tenant's cluster, `/service/alpha`. */
  tenant: string;
  user: string;
  role?: string | undefined;
  /** The offending range, decoded: `[/service/alpha, /service/alphb)`. */
  range?: string | undefined;
  /** Other tenants whose keys the range reaches. */
  reaches: string[];
  message: string;
}

/**
 * The static isolation check: pure, over the users' roles and the roles'
 * ranges (it needs no tenant credentials, and works with auth off). For
 * each tenant: its user, role and grant exist; its user does not hold root;
 * every range its user holds stays inside its own prefix, else the range is
 * named (whole keyspace, prefix without its trailing slash, elsewhere) with
 * the other tenants it reaches. Also flags tenants whose prefixes nest
 * (possible across namespaces such as /service/ and /service/a/).
 */
export function checkIsolation(
  tenants: readonly Tenant[],
  snapshot: Pick<AuthSnapshot, 'users' | 'roles'>,
): IsolationFinding[] {
  const users = new Map<string, EtcdUser>(snapshot.users.map((user) => [user.name, user]));
  const roles = new Map<string, EtcdRole>(snapshot.roles.map((role) => [role.name, role]));
  const index = new TenantPrefixIndex(tenants);
  const findings: IsolationFinding[] = [];
  for (const tenant of tenants) {
    const id = tenantId(tenant);
    const own = prefixRange(tenant.prefix);
    const others = (range: KeyRange): string[] =>
      index
        .reachedBy(range)
        .filter((other) => other !== tenant)
        .map(tenantId);

    const nested = index
      .reachedBy(own)
      .filter((other) => other !== tenant && other.prefix.length > tenant.prefix.length);
    if (nested.length > 0) {
      findings.push({
        kind: 'nested-prefixes',
        tenant: id,
        user: tenant.user,
        range: formatRange(own),
        reaches: nested.map(tenantId),
        message: `${id}: its prefix ${tenant.prefix} contains the prefix of ${nameList(nested.map(tenantId))}: namespaces nest, the clusters cannot be isolated`,
      });
    }

    const user = users.get(tenant.user);
    const role = roles.get(tenant.role);
    const missing: string[] = [];
    if (!user) missing.push(`user ${tenant.user} does not exist`);
    else if (!user.roles.includes(tenant.role)) missing.push(`user ${tenant.user} does not hold role ${tenant.role}`);
    if (!role) missing.push(`role ${tenant.role} does not exist`);
    else if (
      !role.permissions.some(
        (p) => p.permType === 'READWRITE' && p.key.equals(own.key) && p.rangeEnd.equals(own.rangeEnd),
      )
    )
      missing.push(`role ${tenant.role} lacks readwrite on ${formatRange(own)}`);
    if (missing.length > 0)
      findings.push({
        kind: 'not-ready',
        tenant: id,
        user: tenant.user,
        role: tenant.role,
        reaches: [],
        message: `${id}: ${missing.join('; ')}`,
      });
    if (!user) continue;

    if (user.roles.includes(ROOT_ROLE)) {
      findings.push({
        kind: 'holds-root',
        tenant: id,
        user: tenant.user,
        role: ROOT_ROLE,
        reaches: tenants.filter((other) => other !== tenant).map(tenantId),
        message: `${id}: user ${tenant.user} holds the root role: it can read and write every cluster`,
      });
    }
    for (const held of user.roles) {
      if (held === ROOT_ROLE) continue;
      for (const permission of roles.get(held)?.permissions ?? []) {
        if (rangeContains(own, permission)) continue;
        const range = formatRange(permission);
        const reaches = others(permission);
        const via = `role ${held} grants ${permission.permType.toLowerCase()} on ${range}`;
        const reachText = reaches.length > 0 ? `, reaching ${nameList(reaches)}` : ', outside every tenant prefix';
        const shape = grantShape(permission);
        if (shape === 'whole-keyspace') {
          findings.push({
            kind: 'whole-keyspace',
            tenant: id,
            user: tenant.user,
            role: held,
            range,
            reaches,
            message: `${id}: ${via}: the whole keyspace${reachText}`,
          });
        } else if (shape === 'prefix-without-slash') {
          findings.push({
            kind: 'no-trailing-slash',
            tenant: id,
            user: tenant.user,
            role: held,
            range,
            reaches,
            message: `${id}: ${via}: a prefix without its trailing slash${reachText}`,
          });
        } else {
          findings.push({
            kind: 'outside-prefix',
            tenant: id,
            user: tenant.user,
            role: held,
            range,
            reaches,
            message: `${id}: ${via}, outside ${tenant.prefix}${reachText}`,
          });
        }
      }
    }
  }
  return findings;
}
