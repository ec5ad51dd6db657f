import { type AuditRule, findingOf } from '../audit-rule.js';
import { tenancyView } from '../etcd-tenancy-view.js';
import type { Finding } from '../finding.js';
import { knownClusters, memberEtcdUsers } from '../fleet-view.js';

/**
 * One etcd user serves two clusters: members of both authenticate with it
 * (their YAMLs, readiness records), or its roles give it both prefixes.
 */
export const etcdUserSharedRule: AuditRule = {
  id: 'dcs.etcd-user-shared',
  category: 'dcs',
  title: 'one etcd user shared by several clusters',
  severity: 'high',
  why: "Clusters sharing an etcd user can overwrite each other's leader and configuration keys, so a mistake or a compromise in one cluster reaches the other.",
  fix: 'give every cluster its own user and role (`pgfleet etcd tenants apply`), then write them into its members (`pgfleet etcd auth apply`)',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    const reported = new Set<string>();
    const byUser = new Map<string, Map<string, string[]>>();
    for (const entry of memberEtcdUsers(snapshot)) {
      const clusters = byUser.get(entry.username) ?? new Map<string, string[]>();
      clusters.set(entry.cluster, [...(clusters.get(entry.cluster) ?? []), entry.member]);
      byUser.set(entry.username, clusters);
    }
    for (const [username, clusters] of byUser) {
      if (clusters.size < 2) continue;
      reported.add(username);
      findings.push(
        findingOf(this, {
          object: { kind: 'etcd-user', name: username },
          evidence: `members of ${clusters.size} clusters authenticate as "${username}": ${[...clusters].map(([cluster, members]) => `${cluster} (${members.join(', ')})`).join('; ')}`,
        }),
      );
    }
    const etcd = snapshot.live?.etcd;
    const view = etcd && tenancyView(etcd, knownClusters(snapshot));
    for (const [username, access] of view?.userClusters ?? []) {
      if (reported.has(username) || access.clusters.length < 2) continue;
      // A single role spanning clusters is the range rule's finding; here each role is fine and the user gathers them.
      if (access.roles.some((role) => (view!.roleClusters.get(role)?.length ?? 0) >= 2)) continue;
      findings.push(
        findingOf(this, {
          object: { kind: 'etcd-user', name: username },
          evidence: `etcd user "${username}" holds roles ${access.roles.join(', ')} that give it read and write on ${access.clusters.map((cluster) => `${cluster.id}/`).join(', ')}`,
        }),
      );
    }
    return findings;
  },
};
