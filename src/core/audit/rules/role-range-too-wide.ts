import { type KeyRange, formatRange, prefixRangeEnd, rangeContains, rangesOverlap } from '../../etcd/key-range.js';
import { nameList } from '../../name-list.js';
import { grantShape } from '../../tenancy/grant-shape.js';
import { TenantPrefixIndex } from '../../tenancy/tenant-prefix-index.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { ROOT_ROLE, type RolePermission } from '../etcd-tenancy-view.js';
import type { Finding } from '../finding.js';
import { type KnownCluster, knownClusters } from '../fleet-view.js';
import type { Severity } from '../severity.js';

/**
 * A role (other than root) whose grant is wider than one cluster: the whole
 * keyspace, every key from some point on, a cluster prefix without its
 * trailing slash (`/service/alpha` also covers `/service/alpha2/`), a range
 * holding several clusters or a namespace, or one overlapping another
 * tenant's range. The shape of a grant and the clusters it reaches come from
 * the tenancy isolation check's pure functions (grantShape,
 * TenantPrefixIndex).
 */
// Not checkIsolation itself, on purpose: that judges each tenant's user against its own prefix; this judges every non-root role, tenant's or not (an `ops` role), with no owner to compare it to.
export const roleRangeTooWideRule: AuditRule = {
  id: 'dcs.role-range-too-wide',
  category: 'dcs',
  title: "an etcd role's range is wider than its cluster",
  severity: 'critical',
  why: "A tenant role that reaches beyond its own `/<namespace>/<scope>/` prefix lets that cluster's credentials read and rewrite another cluster's keys, which breaks the isolation tenancy exists for.",
  fix: 'run `pgfleet etcd tenants apply`: it revokes wrong or too-wide ranges and grants each role its cluster prefix with the trailing slash',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd?.roles) return [];
    const clusters = knownClusters(snapshot);
    const fleet = new ClusterReach(clusters);
    const namespaces = [
      ...new Set([
        snapshot.settings.patroni?.etcd.namespace ?? '/service/',
        ...snapshot.settings.tenancy.namespaces,
        ...clusters.map((cluster) => cluster.namespace),
      ]),
    ];
    const grants = etcd.roles
      .filter((role) => role.name !== ROOT_ROLE)
      .flatMap((role) => role.permissions.map((permission) => ({ role: role.name, permission })));
    const findings: Finding[] = [];
    for (const { role, permission } of grants) {
      const reached = fleet.reachedBy(permission);
      const problem =
        widthProblem(permission, reached, namespaces) ?? overlapProblem(role, permission, reached, grants);
      if (!problem) continue;
      findings.push(
        findingOf(this, {
          severity: problem.severity,
          object: { kind: 'etcd-role', name: role },
          evidence: `role "${role}" has ${permission.permType} on ${formatRange(permission)}: ${problem.evidence}`,
        }),
      );
    }
    return findings;
  },
};

interface Problem {
  severity: Severity;
  evidence: string;
}

/** The known clusters a range reaches, in the fleet's order (by id), found through the tenancy prefix index. */
class ClusterReach {
  readonly #index: TenantPrefixIndex<KnownCluster>;
  readonly #order: Map<KnownCluster, number>;

  constructor(clusters: readonly KnownCluster[]) {
    this.#index = new TenantPrefixIndex(clusters);
    this.#order = new Map(clusters.map((cluster, position) => [cluster, position]));
  }

  reachedBy(range: KeyRange): KnownCluster[] {
    return this.#index.reachedBy(range).sort((a, b) => this.#order.get(a)! - this.#order.get(b)!);
  }
}

function widthProblem(
  permission: KeyRange,
  reached: readonly KnownCluster[],
  namespaces: readonly string[],
): Problem | undefined {
  const shape = grantShape(permission);
  if (shape === 'whole-keyspace')
    return { severity: 'critical', evidence: 'the whole keyspace, every cluster of the fleet included' };
  if (shape === 'open-ended')
    return {
      severity: 'high',
      evidence: `every key from ${permission.key.toString('utf8')} to the end of the keyspace${reached.length ? ` (clusters ${names(reached)})` : ''}`,
    };
  const key = permission.key.toString('utf8');
  const held = reached.filter(
    (cluster) => rangeContains(permission, cluster.range) && !sameRange(permission, cluster.range),
  );
  // A prefix without its slash outside every namespace (e.g. pgfleet's own keys) is no cluster's prefix, so not wider than one.
  if (
    shape === 'prefix-without-slash' &&
    namespaces.some((namespace) => key.startsWith(namespace) && key.length > namespace.length)
  ) {
    return {
      severity: 'high',
      evidence: `a prefix without its trailing slash: it also covers ${key}2/ and every other cluster whose scope starts with "${key.slice(key.lastIndexOf('/') + 1)}"${held.length > 1 ? ` (here ${names(held)})` : ''}`,
    };
  }
  if (held.length >= 2) return { severity: 'high', evidence: `it holds ${held.length} clusters: ${names(held)}` };
  const namespace = namespaces.find((candidate) =>
    rangeContains(permission, { key: Buffer.from(candidate), rangeEnd: prefixRangeEnd(candidate) }),
  );
  if (namespace)
    return {
      severity: 'high',
      evidence: `it covers the whole namespace ${namespace}, so every cluster created there later too`,
    };
  return undefined;
}

function overlapProblem(
  role: string,
  permission: KeyRange,
  reached: readonly KnownCluster[],
  grants: ReadonlyArray<{ role: string; permission: RolePermission }>,
): Problem | undefined {
  const home = reached.find((cluster) => rangeContains(cluster.range, permission));
  for (const other of grants) {
    if (other.role === role || !rangesOverlap(permission, other.permission)) continue;
    // Two roles inside the same cluster's prefix share one tenant's keys, not two tenants'.
    if (home && rangeContains(home.range, other.permission)) continue;
    return { severity: 'high', evidence: `it overlaps role "${other.role}" (${formatRange(other.permission)})` };
  }
  return undefined;
}

function sameRange(a: KeyRange, b: KeyRange): boolean {
  return a.key.equals(b.key) && a.rangeEnd.equals(b.rangeEnd);
}

function names(clusters: readonly KnownCluster[]): string {
  return nameList(clusters.map((cluster) => cluster.prefix));
}
