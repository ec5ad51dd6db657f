import { setTimeout as sleep } from 'node:timers/promises';
import type { EtcdCensus, EtcdMemberObservation, LeaseCensus, ProcessCensus } from '../../core/census/etcd-census.js';
import { KeyBucketing } from '../../core/census/key-bucket.js';
import { KeyspaceTally } from '../../core/census/keyspace-tally.js';
import type { MemberClientMetrics } from '../../core/census/member-metrics.js';
import { describeError } from '../../core/errors.js';
import { type ProcessScanOptions, scanEtcdClientProcesses } from '../process/etcd-client-processes.js';
import type { EtcdClient } from './etcd-client.js';
import { currentRevision, scanKeyspace } from './keyspace-scan.js';
import { type KeyspaceWriteWatch, watchKeyspaceWrites } from './keyspace-write-watch.js';
import { type LeaseScanOptions, scanLeases } from './lease-scan.js';
import { readMemberClientMetrics } from './member-metrics-reader.js';
import { type V2ScanOptions, scanV2Keyspace } from './v2-keyspace-scan.js';
import { thisHostName } from '../process/host-name.js';

export interface EtcdCensusOptions {
  /** Keys modified after this revision count as written now (default: the revision at the census's start; pass an earlier census's `endRevision` to cover the time since). */
  writtenSince?: number | undefined;
  /** How long the census watches the keyspace's writes and the members' counters (v2 reads); the keyspace is read meanwhile. Default 2,500 ms: vip-manager 1.x polls every second. 0: no watch, writes known by their revisions only. */
  observeMs?: number | undefined;
  /** Prefixes keys are counted under when deeper than `prefixDepth` (each tenant's prefix, pgfleet's): see KeyBucketing. */
  bucketPrefixes?: readonly string[] | undefined;
  prefixDepth?: number | undefined;
  /** Keys per range request. */
  pageSize?: number | undefined;
  /** Prefixes listed at most; deeper ones are folded into their parent past it. */
  maxPrefixes?: number | undefined;
  leases?: LeaseScanOptions | undefined;
  v2?: V2ScanOptions | undefined;
  /** The /proc scan of this host; false to skip it (a census of a remote etcd from a host that runs no client). */
  processes?: ProcessScanOptions | false | undefined;
}

const DEFAULT_OBSERVE_MS = 2_500;

/**
 * Takes a census of the etcd `admin` reaches (it must be allowed to read the
 * whole keyspace, watch it and list leases: root once auth is on).
 * Read-only and bounded: keys-only ranges page by page, a bounded number of
 * lease requests at a time, one v2 directory per request, and one watch.
 *
 * In order: the revision and each member's counters; then, during the
 * observation window, a watch of every write since that revision (who
 * writes now, whatever order the keyspace is read in), the keyspace, the
 * leases and this host's etcd clients; the counters again once the window
 * is over (the census's own watch is subtracted from them); the v2 keyspace
 * last, since its own v2 reads must not count as a v2 reader's.
 */
export async function takeEtcdCensus(admin: EtcdClient, options: EtcdCensusOptions = {}): Promise<EtcdCensus> {
  const started = Date.now();
  const observeMs = options.observeMs ?? DEFAULT_OBSERVE_MS;
  const members = await etcdMembers(admin);
  const startRevision = await currentRevision(admin);
  const bucketing = new KeyBucketing({ depth: options.prefixDepth, hints: options.bucketPrefixes });
  const tally = new KeyspaceTally({
    bucketing,
    writtenSince: options.writtenSince ?? startRevision,
    maxPrefixes: options.maxPrefixes,
  });
  const before = await readAllCounters(admin, members);
  const observeFrom = Date.now();
  let watch: KeyspaceWriteWatch | undefined;
  let watchError: string | undefined;
  if (observeMs > 0) {
    try {
      watch = await watchKeyspaceWrites(admin, startRevision, (key) => tally.noteWrite(key));
    } catch (error) {
      watchError = describeError(error);
    }
  }
  let watchOutcome: { events: number; error: string | undefined } = { events: 0, error: watchError };
  let after: Awaited<ReturnType<typeof readAllCounters>>;
  let leases: LeaseCensus;
  let processes: ProcessCensus;
  try {
    [leases, processes] = await Promise.all([
      scanLeases(admin, options.leases),
      options.processes === false
        ? Promise.resolve({ scanned: false, clients: [], unreadable: 0 })
        : scanEtcdClientProcesses(options.processes),
      scanKeyspace(admin, tally, { pageSize: options.pageSize }),
    ]);
    const remaining = observeMs - (Date.now() - observeFrom);
    if (remaining > 0) await sleep(remaining);
    after = await readAllCounters(admin, members);
  } finally {
    if (watch) watchOutcome = await watch.stop();
  }
  const observedMs = Date.now() - observeFrom;

  const v2Tally = new KeyspaceTally({ bucketing, maxPrefixes: options.maxPrefixes });
  const v2 = await scanV2Keyspace(admin, admin.endpoints, v2Tally, options.v2);
  const endRevision = await currentRevision(admin);

  const observations: EtcdMemberObservation[] = members.map((member, index) => ({
    name: member.name,
    clientUrls: member.clientUrls,
    metricsUrl: member.metricsUrl,
    before: before[index]!.metrics,
    after: after[index]!.metrics,
    error: before[index]!.error ?? after[index]!.error,
  }));
  return {
    takenAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    host: thisHostName(),
    startRevision,
    endRevision,
    observedMs,
    // The watch was open (created) while the counters were read the second time, unless it failed.
    writeWatch: {
      watched: watch !== undefined,
      events: watchOutcome.events,
      ownWatchers: watch !== undefined && watchOutcome.error === undefined ? 1 : 0,
      error: watchOutcome.error,
    },
    members: observations,
    keyspace: tally.summary(),
    leases,
    v2: { ...v2, keyspace: v2.served && v2.readable ? v2Tally.summary() : undefined },
    processes,
  };
}

interface CensusMember {
  name: string;
  clientUrls: string[];
  metricsUrl: string | undefined;
}

/** Every member of the cluster (not only the endpoints pgfleet was given): a watcher on any of them counts. */
async function etcdMembers(admin: EtcdClient): Promise<CensusMember[]> {
  const scheme = /^([a-z]+):/i.exec(admin.endpoints[0] ?? '')?.[1] ?? 'http';
  try {
    const listed = await admin.memberList();
    return listed.map((member) => ({
      name: member.name || member.id,
      clientUrls: member.clientUrls,
      // With http and https listeners both, the one pgfleet itself uses.
      metricsUrl: member.clientUrls.find((url) => url.startsWith(`${scheme}:`)) ?? member.clientUrls[0],
    }));
  } catch {
    return admin.endpoints.map((endpoint) => ({ name: endpoint, clientUrls: [endpoint], metricsUrl: endpoint }));
  }
}

async function readAllCounters(
  admin: EtcdClient,
  members: readonly CensusMember[],
): Promise<Array<{ metrics: MemberClientMetrics | undefined; error: string | undefined }>> {
  return Promise.all(
    members.map(async (member) => {
      if (!member.metricsUrl) return { metrics: undefined, error: 'the member advertises no client URL' };
      try {
        return { metrics: await readMemberClientMetrics(admin, member.metricsUrl), error: undefined };
      } catch (error) {
        return { metrics: undefined, error: describeError(error) };
      }
    }),
  );
}
