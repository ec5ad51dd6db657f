import { type KeyRange, coversWholeKeyspace, formatRange, isOpenEnded, prefixRangeEnd, rangeContains, rangesOverlap } from '../../etcd/key-range.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { ROOT_ROLE, type RolePermission } from '../etcd-tenancy-view.js';
import type { Finding } from '../finding.js';
import { knownClusters } from '../fleet-view.js';
import type { Severity } from '../severity.js';

/**
 * A role (other than root) whose grant is wider than one cluster: the whole
 * keyspace, every key from some point on, a cluster prefix without its
 * trailing slash (`/service/alpha` also covers `/service/alpha2/`), a range
 * holding several clusters or a namespace, or one overlapping another
 * tenant's range.
 */
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
    const namespaces = [...new Set([snapshot.settings.patroni?.etcd.namespace ?? '/service/', ...snapshot.settings.tenancy.namespaces, ...clusters.map((cluster) => cluster.namespace)])];
    const grants = etcd.roles.filter((role) => role.name !== ROOT_ROLE).flatMap((role) => role.permissions.map((permission) => ({ role: role.name, permission })));
    const findings: Finding[] = [];
    for (const { role, permission } of grants) {
      const problem = widthProblem(permission, clusters, namespaces) ?? overlapProblem(role, permission, grants, clusters);
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

function widthProblem(permission: KeyRange, clusters: readonly { id: string; range: KeyRange }[], namespaces: readonly string[]): Problem | undefined {
  if (coversWholeKeyspace(permission)) return { severity: 'critical', evidence: 'the whole keyspace, every cluster of the fleet included' };
  if (isOpenEnded(permission)) {
    const reached = clusters.filter((cluster) => rangesOverlap(permission, cluster.range));
    return { severity: 'high', evidence: `every key from ${permission.key.toString('utf8')} to the end of the keyspace${reached.length ? ` (clusters ${names(reached)})` : ''}` };
  }
  const key = permission.key.toString('utf8');
  const isPrefixGrant = permission.rangeEnd.length > 0 && permission.rangeEnd.equals(prefixRangeEnd(permission.key));
  const held = clusters.filter((cluster) => rangeContains(permission, cluster.range) && !sameRange(permission, cluster.range));
  if (isPrefixGrant && !key.endsWith('/') && namespaces.some((namespace) => key.startsWith(namespace) && key.length > namespace.length)) {
    return { severity: 'high', evidence: `a prefix without its trailing slash: it also covers ${key}2/ and every other cluster whose scope starts with "${key.slice(key.lastIndexOf('/') + 1)}"${held.length > 1 ? ` (here ${names(held)})` : ''}` };
  }
  if (held.length >= 2) return { severity: 'high', evidence: `it holds ${held.length} clusters: ${names(held)}` };
  const namespace = namespaces.find((candidate) => rangeContains(permission, { key: Buffer.from(candidate), rangeEnd: prefixRangeEnd(candidate) }));
  if (namespace) return { severity: 'high', evidence: `it covers the whole namespace ${namespace}, so every cluster created there later too` };
  return undefined;
}

function overlapProblem(role: string, permission: KeyRange, grants: ReadonlyArray<{ role: string; permission: RolePermission }>, clusters: readonly { id: string; range: KeyRange }[]): Problem | undefined {
  const home = clusters.find((cluster) => rangeContains(cluster.range, permission));
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

function names(clusters: readonly { id: string }[]): string {
  const shown = clusters.slice(0, 5).map((cluster) => `${cluster.id}/`);
  return clusters.length > 5 ? `${shown.join(', ')} and ${clusters.length - 5} more` : shown.join(', ');
}
