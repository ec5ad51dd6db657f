import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type V2RequestCounters,
  parseV2RequestCounters,
  singleKeyV2Reads,
} from '../../../src/core/census/v2-request-counters.js';

/** etcd 3.4.23's /metrics lines for its v2 store, as read on the lab. */
function metrics(counters: V2RequestCounters): string {
  return [
    '# HELP etcd_debugging_store_reads_total Total number of reads action by (get/getRecursive), local to this member.',
    '# TYPE etcd_debugging_store_reads_total counter',
    `etcd_debugging_store_reads_total{action="get"} ${counters.gets}`,
    `etcd_debugging_store_reads_total{action="getRecursive"} ${counters.recursiveGets}`,
    `etcd_debugging_store_watch_requests_total ${counters.watchRequests}`,
    'etcd_debugging_store_watchers 2',
    `etcd_debugging_store_writes_total{action="compareAndSwap"} ${Math.floor(counters.writes / 4)}`,
    `etcd_debugging_store_writes_total{action="set"} ${counters.writes - Math.floor(counters.writes / 4)}`,
    'etcd_debugging_mvcc_watcher_total 3',
  ].join('\n');
}

describe('single-key v2 reads from etcd 3.4 store counters', () => {
  it('reads the counters by action, writes summed over their actions', () => {
    assert.deepEqual(parseV2RequestCounters(metrics({ gets: 169, recursiveGets: 65, writes: 98, watchRequests: 9 })), {
      gets: 169,
      recursiveGets: 65,
      writes: 98,
      watchRequests: 9,
    });
  });

  it('is undefined for a member that reports no v2 store reads (v2 not served)', () => {
    assert.equal(parseV2RequestCounters('etcd_debugging_mvcc_watcher_total 3\n'), undefined);
  });

  it('counts 0 for Patroni on etcd: alone (measured: 140 gets = 40 recursive reads + 20 watches + 80 writes in 20 s)', () => {
    const before = { gets: 100, recursiveGets: 30, writes: 60, watchRequests: 10 };
    const after = { gets: 240, recursiveGets: 70, writes: 140, watchRequests: 30 };
    assert.equal(singleKeyV2Reads(before, after), 0);
  });

  it('counts each plain GET of one key (2 gets: the auth check and the read) on top of what Patroni does', () => {
    const before = { gets: 100, recursiveGets: 30, writes: 60, watchRequests: 10 };
    const after = { gets: 240 + 2 * 3, recursiveGets: 70, writes: 140, watchRequests: 30 };
    assert.equal(singleKeyV2Reads(before, after), 3);
  });

  it('never counts below 0 (a member restarted between the readings resets its counters)', () => {
    assert.equal(
      singleKeyV2Reads(
        { gets: 500, recursiveGets: 100, writes: 200, watchRequests: 50 },
        { gets: 10, recursiveGets: 5, writes: 5, watchRequests: 0 },
      ),
      0,
    );
  });
});
