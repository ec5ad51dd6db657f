import { getPath } from '../../patroni-config/config-path.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { clusterOfDocument, flag, memberLabel } from '../patroni-document.js';

/**
 * A cluster whose members run without use_pg_rewind: the local YAML's
 * postgresql.use_pg_rewind wins over the dynamic configuration, which
 * is read when the YAML does not set it (default off). One finding a cluster.
 */
export const pgRewindOffRule: AuditRule = {
  id: 'operations.pg-rewind-off',
  category: 'operations',
  title: 'use_pg_rewind off',
  severity: 'low',
  why: 'Without pg_rewind a former primary that diverged after a failover cannot rejoin as a replica and needs a full reinitialization, which leaves the cluster without a replica for a long time.',
  fix: 'set patroni.postgresql.use_pg_rewind: true in the settings (PostgreSQL needs data checksums or wal_log_hints) and regenerate the instance configuration',
  needs: 'static-or-live',
  check(snapshot) {
    const liveConfig = new Map(
      (snapshot.live?.etcd.clusters ?? []).map((cluster) => [`${cluster.namespace}${cluster.scope}`, cluster.config]),
    );
    const byCluster = new Map<string, string[]>();
    for (const file of snapshot.patroniFiles) {
      const document = file.document;
      if (!document) continue;
      const cluster = clusterOfDocument(document);
      const local = flag(getPath(document, ['postgresql', 'use_pg_rewind']));
      const dynamic = cluster ? liveConfig.get(cluster.id)?.usePgRewind : undefined;
      if ((local ?? dynamic ?? false) === true) continue;
      const key = cluster?.id ?? file.path;
      byCluster.set(key, [
        ...(byCluster.get(key) ?? []),
        `${memberLabel(file)} (${local === false ? `postgresql.use_pg_rewind: false in ${file.path}` : dynamic === false ? 'use_pg_rewind false in the DCS configuration' : 'not set anywhere'})`,
      ]);
    }
    return [...byCluster].map(([cluster, members]) =>
      findingOf(this, {
        object: { kind: 'cluster', name: cluster },
        evidence: `pg_rewind is off for ${members.join(', ')}`,
      }),
    );
  },
};
