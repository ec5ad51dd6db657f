import type { EtcdClientProcess } from './client-process/etcd-client-process.js';
import type { KeyspaceSummary } from './keyspace-tally.js';
import type { MemberClientMetrics } from './member-metrics.js';

/**
 * Everything in and around one etcd cluster, as an admin sees it: its
 * keyspaces (v3, and v2 when served) counted per prefix and per Patroni
 * cluster, its leases, each member's client counters at the start and the end
 * of an observation window, and the etcd clients running on this host.
 * Values are never read (keys-only ranges), so no secret is in it.
 */
export interface EtcdCensus {
  takenAt: string;
  durationMs: number;
  /** The host the process scan ran on. */
  host: string;
  /** The revision when the census started, and when it ended. */
  startRevision: number;
  endRevision: number;
  /** How long the census watched: the members' counters (v2 reads) and the writes to the keyspace. */
  observedMs: number;
  /** The census's own watch of the keyspace's writes, open while the counters were read the second time. */
  writeWatch: WriteWatchOutcome;
  members: EtcdMemberObservation[];
  keyspace: KeyspaceSummary;
  leases: LeaseCensus;
  v2: V2Census;
  processes: ProcessCensus;
}

export interface WriteWatchOutcome {
  watched: boolean;
  /** Puts and deletes seen. */
  events: number;
  /** v3 watchers (and streams) of the census's own among the counters read: subtracted from what clients hold. */
  ownWatchers: number;
  /** Why the watch stopped early or did not start: writes are then known only by their revisions. */
  error: string | undefined;
}

export interface EtcdMemberObservation {
  name: string;
  clientUrls: string[];
  /** The URL whose /metrics was read. */
  metricsUrl: string | undefined;
  before: MemberClientMetrics | undefined;
  after: MemberClientMetrics | undefined;
  /** Why its counters could not be read. */
  error: string | undefined;
}

export interface LeaseFootprint {
  /** As etcd prints it: decimal. */
  id: string;
  ttlSeconds: number;
  grantedTtlSeconds: number;
  /** Its keys, up to a cap; `keyCount` counts them all. */
  keys: string[];
  keyCount: number;
}

export interface LeaseCensus {
  leases: LeaseFootprint[];
  /** Leases beyond the cap: counted, not looked at. */
  notListed: number;
  /** Leases that expired between the list and the look at their keys. */
  expiredMeanwhile: number;
}

export interface V2Census {
  /** False when etcd runs without --enable-v2 (its /v2/keys answers 404). */
  served: boolean;
  /** v2 has its own auth, separate from v3's. */
  authEnabled: boolean | undefined;
  /** False when the v2 keys could not be listed (v2 auth on, say). */
  readable: boolean;
  keyspace: KeyspaceSummary | undefined;
  /** Directories not listed because the census lists at most so many nodes. */
  nodesNotVisited: number;
  error: string | undefined;
}

export interface ProcessCensus {
  scanned: boolean;
  clients: EtcdClientProcess[];
  /** Processes of known clients whose command line or environment could not be read. */
  unreadable: number;
}

/**
 * v3 watchers and watch streams clients hold on the members whose counters
 * were read at the end (the census's own watch left out). A client that
 * watches holds its watch through the observation window, so only what both
 * readings count is held: a stream whose client went away (a Patroni just
 * restarted: etcd's gateway drops the old stream at the next event on its
 * prefix) or one opened during the window is not counted. The first reading
 * is taken before the census opens its own watch.
 */
export function watcherTotals(census: Pick<EtcdCensus, 'members' | 'writeWatch'>): {
  watchers: number;
  watchStreams: number;
  measuredMembers: number;
} {
  let watchers = 0;
  let watchStreams = 0;
  let measuredMembers = 0;
  const before = { watchers: 0, watchStreams: 0, complete: true };
  for (const member of census.members) {
    const metrics = member.after ?? member.before;
    if (metrics?.watchers === undefined) continue;
    measuredMembers += 1;
    watchers += metrics.watchers;
    watchStreams += metrics.watchStreams ?? 0;
    if (member.before?.watchers === undefined || member.after?.watchers === undefined) before.complete = false;
    else {
      before.watchers += member.before.watchers;
      before.watchStreams += member.before.watchStreams ?? 0;
    }
  }
  if (measuredMembers > 0) {
    watchers = Math.max(0, watchers - census.writeWatch.ownWatchers);
    watchStreams = Math.max(0, watchStreams - census.writeWatch.ownWatchers);
  }
  if (measuredMembers > 0 && before.complete) {
    watchers = Math.min(watchers, before.watchers);
    watchStreams = Math.min(watchStreams, before.watchStreams);
  }
  return { watchers, watchStreams, measuredMembers };
}

/** v2 reads the members served during the observation window (the census's own v2 reads come after it). */
export function v2ReadsObserved(census: Pick<EtcdCensus, 'members'>): { reads: number; measuredMembers: number } {
  let reads = 0;
  let measuredMembers = 0;
  for (const member of census.members) {
    const before = member.before?.v2Reads;
    const after = member.after?.v2Reads;
    if (before === undefined || after === undefined) continue;
    measuredMembers += 1;
    reads += Math.max(0, after - before);
  }
  return { reads, measuredMembers };
}
