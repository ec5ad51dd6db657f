/**
 * What one etcd member's `/metrics` says about its clients (etcd 3.4.23,
 * checked: an idle member's counters stay still, one `etcdctl watch` adds 1
 * watcher and 1 watch stream, one v2 GET adds 2 store reads: the auth check
 * and the read).
 */
export interface MemberClientMetrics {
  /** etcd_debugging_mvcc_watcher_total: v3 watchers open on this member. */
  watchers: number | undefined;
  /** etcd_debugging_mvcc_watch_stream_total: v3 watch streams (gRPC Watch calls) open on this member. */
  watchStreams: number | undefined;
  /** Sum of etcd_debugging_store_reads_total over its actions: v2 reads served so far. */
  v2Reads: number | undefined;
  /** etcd_debugging_store_watchers: v2 watchers (long polls) open now. */
  v2Watchers: number | undefined;
}

const WANTED: Record<string, keyof MemberClientMetrics> = {
  etcd_debugging_mvcc_watcher_total: 'watchers',
  etcd_debugging_mvcc_watch_stream_total: 'watchStreams',
  etcd_debugging_store_reads_total: 'v2Reads',
  etcd_debugging_store_watchers: 'v2Watchers',
};

/** Reads the Prometheus text format; a metric the member does not report stays undefined. */
export function parseMemberClientMetrics(text: string): MemberClientMetrics {
  const found: MemberClientMetrics = {
    watchers: undefined,
    watchStreams: undefined,
    v2Reads: undefined,
    v2Watchers: undefined,
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const field = WANTED[match[1]!];
    const value = Number(match[2]);
    if (field === undefined || !Number.isFinite(value)) continue;
    // Labelled series (store reads per action) add up.
    found[field] = (found[field] ?? 0) + value;
  }
  return found;
}
