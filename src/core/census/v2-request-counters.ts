/**
 * etcd 3.4's v2 store counters, split by what the request was (checked on
 * etcd 3.4.23 with --enable-v2): every v2 request first checks v2 auth, which
 * counts as one `get` store read; a plain GET of one key counts one more
 * `get`; a recursive GET one `getRecursive`; a write one write (set,
 * compareAndSwap, create, update, delete...); a long poll one watch request.
 *
 * Patroni 3.0.2 on the `etcd:` section makes only recursive GETs of its
 * cluster, writes and leader-key watches (measured on 4 members for 20 s:
 * 140 `get` = 40 getRecursive + 20 watch requests + 80 writes), so it adds
 * exactly one `get` per request. A client that reads single keys (Debian's
 * vip-manager 1.0.2 polls the leader key every second) adds two `get` per
 * read: what is left once each request's auth check is taken away.
 */
export interface V2RequestCounters {
  gets: number;
  recursiveGets: number;
  writes: number;
  watchRequests: number;
}

const STORE_READS = 'etcd_debugging_store_reads_total';
const STORE_WRITES = 'etcd_debugging_store_writes_total';
const WATCH_REQUESTS = 'etcd_debugging_store_watch_requests_total';

/** The counters from a member's /metrics text; undefined when the member reports no v2 store reads (v2 not served). */
export function parseV2RequestCounters(text: string): V2RequestCounters | undefined {
  const counters: V2RequestCounters = { gets: 0, recursiveGets: 0, writes: 0, watchRequests: 0 };
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === STORE_READS) {
      seen = true;
      const action = /action="([^"]*)"/.exec(labels)?.[1];
      if (action === 'get') counters.gets += value;
      else if (action === 'getRecursive') counters.recursiveGets += value;
    } else if (name === STORE_WRITES) counters.writes += value;
    else if (name === WATCH_REQUESTS) counters.watchRequests += value;
  }
  return seen ? counters : undefined;
}

/**
 * Single-key v2 reads between two readings of one member's counters: the
 * `get`s beyond one auth check per request, halved. Patroni's own requests
 * leave 0; anything above it is a client reading single v2 keys.
 */
export function singleKeyV2Reads(before: V2RequestCounters, after: V2RequestCounters): number {
  const delta = (field: keyof V2RequestCounters): number => Math.max(0, after[field] - before[field]);
  const authChecks = delta('recursiveGets') + delta('writes') + delta('watchRequests');
  return Math.max(0, Math.floor((delta('gets') - authChecks) / 2));
}
