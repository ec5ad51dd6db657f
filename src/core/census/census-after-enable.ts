import type { EtcdCensus } from './etcd-census.js';

/** Something that worked before auth went on and has stopped since. */
export interface AfterEnableFinding {
  kind: 'stopped-writer' | 'expired-lease';
  /** The prefix, or the lease id. */
  subject: string;
  message: string;
}

export interface AfterEnableReport {
  /** The revision auth was enabled at: writes after it were made with credentials. */
  enabledRevision: number;
  takenAt: string;
  durationMs: number;
  findings: AfterEnableFinding[];
  /** What the second census could not measure. */
  incomplete: string[];
}

/**
 * The census taken again once auth is on, set against the one taken at the
 * gates: a prefix (or Patroni cluster) that was being written then and has
 * not been written since auth went on lost its writer; a lease that held
 * keys then and is gone now expired (or was revoked) with nothing holding
 * its keys again. pgfleet's own keys and leases are left out.
 */
export function compareAfterEnable(
  before: Pick<EtcdCensus, 'keyspace' | 'leases'>,
  after: Pick<EtcdCensus, 'keyspace' | 'leases' | 'takenAt' | 'durationMs'>,
  options: { enabledRevision: number; pgfleetPrefix: string; incomplete?: readonly string[] },
): AfterEnableReport {
  const findings: AfterEnableFinding[] = [];
  const written = (footprint: { writtenKeys: number; writesObserved: number }): boolean =>
    footprint.writtenKeys > 0 || footprint.writesObserved > 0;
  const writtenAfter = new Map<string, boolean>([
    ...after.keyspace.prefixes.map((prefix) => [prefix.prefix, written(prefix)] as const),
    ...after.keyspace.patroniClusters.map((cluster) => [cluster.base, written(cluster)] as const),
  ]);
  const writersBefore = [
    ...before.keyspace.prefixes.filter(written).map((prefix) => prefix.prefix),
    ...before.keyspace.patroniClusters.filter(written).map((cluster) => cluster.base),
  ].filter((prefix) => !prefix.startsWith(options.pgfleetPrefix));
  for (const prefix of writersBefore) {
    if (writtenAfter.get(prefix) === true) continue;
    findings.push({
      kind: 'stopped-writer',
      subject: prefix,
      message: `${prefix} was being written before auth went on and has not been written since (revision ${options.enabledRevision}): its writer is refused or gone`,
    });
  }
  const leasesAfter = new Set(after.leases.leases.map((lease) => lease.id));
  const heldAfter = new Set(after.leases.leases.flatMap((lease) => lease.keys));
  for (const lease of before.leases.leases) {
    if (lease.keyCount === 0 || leasesAfter.has(lease.id)) continue;
    if (lease.keys.every((key) => key.startsWith(options.pgfleetPrefix))) continue;
    // A holder that re-created its keys on a new lease is alive.
    if (lease.keys.length === lease.keyCount && lease.keys.every((key) => heldAfter.has(key))) continue;
    findings.push({
      kind: 'expired-lease',
      subject: lease.id,
      message: `lease ${lease.id} (holding ${lease.keys.slice(0, 3).join(', ')}${lease.keyCount > 3 ? ', …' : ''}) expired or was revoked since auth went on, and nothing holds its keys again`,
    });
  }
  return {
    enabledRevision: options.enabledRevision,
    takenAt: after.takenAt,
    durationMs: after.durationMs,
    findings,
    incomplete: [...(options.incomplete ?? [])],
  };
}
