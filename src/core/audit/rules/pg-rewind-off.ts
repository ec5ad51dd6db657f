import { getPath } from '../../patroni-config/config-path.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import type { FleetSnapshot, PatroniYamlFile } from '../fleet-snapshot.js';
import { clusterOfDocument, flag, memberLabel } from '../patroni-document.js';

const GENERATED_FIX =
  'set patroni.postgresql.use_pg_rewind: true in the settings (PostgreSQL needs data checksums or wal_log_hints) and regenerate the instance configuration';

/**
 * A cluster whose members run without use_pg_rewind. Patroni takes it from
 * the member's YAML (postgresql.use_pg_rewind) when set there, else from the
 * cluster's dynamic configuration in the DCS, which `bootstrap.dcs` only
 * seeds when the cluster is created. So the DCS configuration read live
 * decides; without it (no --live, or the cluster not in the DCS) the YAML's
 * bootstrap.dcs is the best evidence, and a value set nowhere in the YAML is
 * not judged. One finding a cluster.
 */
export const pgRewindOffRule: AuditRule = {
  id: 'operations.pg-rewind-off',
  category: 'operations',
  title: 'use_pg_rewind off',
  severity: 'low',
  why: 'Without pg_rewind a former primary that diverged after a failover cannot rejoin as a replica and needs a full reinitialization, which leaves the cluster without a replica for a long time.',
  fix: GENERATED_FIX,
  needs: 'static-or-live',
  check(snapshot) {
    const liveConfig = new Map(
      (snapshot.live?.etcd.clusters ?? []).map((cluster) => [`${cluster.namespace}${cluster.scope}`, cluster.config]),
    );
    const byCluster = new Map<string, { reasons: string[]; files: PatroniYamlFile[] }>();
    for (const file of snapshot.patroniFiles) {
      const reason = pgRewindOffReason(file, liveConfig);
      if (reason === undefined) continue;
      const key = (file.document && clusterOfDocument(file.document)?.id) ?? file.path;
      const entry = byCluster.get(key) ?? { reasons: [], files: [] };
      entry.reasons.push(`${memberLabel(file)} (${reason})`);
      entry.files.push(file);
      byCluster.set(key, entry);
    }
    return [...byCluster].map(([cluster, { reasons, files }]) =>
      findingOf(this, {
        object: { kind: 'cluster', name: cluster },
        evidence: `pg_rewind is off for ${reasons.join(', ')}`,
        ...(files.every((file) => file.generated === false) ? { fix: foreignFix(files) } : {}),
      }),
    );
  },
};

/** Why pg_rewind is off for the member of this file, or undefined when it is on or cannot be judged. */
function pgRewindOffReason(
  file: PatroniYamlFile,
  liveConfig: ReadonlyMap<string, NonNullable<FleetSnapshot['live']>['etcd']['clusters'][number]['config']>,
): string | undefined {
  const document = file.document;
  if (!document) return undefined;
  const local = flag(getPath(document, ['postgresql', 'use_pg_rewind']));
  if (local !== undefined) return local ? undefined : `postgresql.use_pg_rewind: false in ${file.path}`;
  const cluster = clusterOfDocument(document);
  const live = cluster ? liveConfig.get(cluster.id) : undefined;
  if (live !== undefined) {
    if (live.usePgRewind === true) return undefined;
    return live.usePgRewind === false
      ? 'use_pg_rewind false in the DCS configuration'
      : `not set in ${file.path} nor in the DCS configuration`;
  }
  const bootstrap = flag(getPath(document, ['bootstrap', 'dcs', 'postgresql', 'use_pg_rewind']));
  // Unset in the YAML and the DCS configuration unread: it may well be on there.
  if (bootstrap !== false) return undefined;
  return `bootstrap.dcs.postgresql.use_pg_rewind: false in ${file.path}; the DCS configuration was not read (audit --live reads it)`;
}

/** For files pgfleet did not generate: the keys to change, and where. */
function foreignFix(files: readonly PatroniYamlFile[]): string {
  const localOff = files.filter(
    (file) => file.document && flag(getPath(file.document, ['postgresql', 'use_pg_rewind'])) === false,
  );
  const dcs =
    'set postgresql.use_pg_rewind: true in the DCS configuration (`patronictl -c <file> edit-config`, or PATCH /config {"postgresql": {"use_pg_rewind": true}})';
  return `${localOff.length > 0 ? `remove postgresql.use_pg_rewind: false from ${localOff.map((file) => file.path).join(', ')} (then reload each), and ` : ''}${dcs}; PostgreSQL needs data checksums or wal_log_hints`;
}
