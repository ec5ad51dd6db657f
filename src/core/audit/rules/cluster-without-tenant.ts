import { type AuditRule, findingOf } from '../audit-rule.js';
import { tenancyView } from '../etcd-tenancy-view.js';
import { knownClusters } from '../fleet-view.js';

/**
 * A cluster (found in the DCS or a local YAML) for which no etcd user other
 * than root can read and write its prefix: before auth is on, enabling it
 * would cut that cluster off (the outage of seed 000); after, it runs on
 * root's or someone else's credentials.
 */
export const clusterWithoutTenantRule: AuditRule = {
  id: 'dcs.cluster-without-tenant',
  category: 'dcs',
  title: 'a cluster has no etcd tenant',
  severity: 'high',
  why: 'A cluster without its own etcd user and role either loses the DCS when auth is enabled (the outage of the seed report) or runs with credentials that reach beyond its own prefix.',
  fix: 'create its tenant with `pgfleet etcd tenants apply` (or `pgfleet etcd auth migrate` while etcd auth is still off)',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd) return [];
    const clusters = knownClusters(snapshot);
    const view = tenancyView(etcd, clusters);
    if (!view) return [];
    const served = new Set(
      [...view.userClusters.values()].flatMap((access) => access.clusters.map((cluster) => cluster.id)),
    );
    const discovered = new Set(etcd.clusters.map((cluster) => `${cluster.namespace}${cluster.scope}`));
    return clusters
      .filter((cluster) => !served.has(cluster.id))
      .map((cluster) =>
        findingOf(this, {
          severity: etcd.authEnabled ? 'high' : 'warning',
          object: { kind: 'cluster', name: cluster.id },
          evidence: `cluster ${cluster.id} (${discovered.has(cluster.id) ? 'registered in the DCS' : 'from a local Patroni YAML'}) has no etcd user, other than root, that can read and write ${cluster.id}/${etcd.authEnabled ? '' : '; enabling etcd auth now would cut it off'}`,
        }),
      );
  },
};
