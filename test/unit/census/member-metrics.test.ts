import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMemberClientMetrics } from '../../../src/core/census/member-metrics.js';

// Lines as etcd 3.4.23 prints them, with a Patroni member and two v2 GETs.
const SAMPLE = `# HELP etcd_debugging_mvcc_watch_stream_total Total number of watch streams.
# TYPE etcd_debugging_mvcc_watch_stream_total gauge
etcd_debugging_mvcc_watch_stream_total 1
# HELP etcd_debugging_mvcc_watcher_total Total number of watchers.
etcd_debugging_mvcc_watcher_total 2
etcd_debugging_store_expires_total 0
etcd_debugging_store_reads_total{action="get"} 7
etcd_debugging_store_reads_total{action="getRecursive"} 3
etcd_debugging_store_watch_requests_total 0
etcd_debugging_store_watchers 0
grpc_server_started_total{grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"} 1
`;

describe("an etcd member's client counters", () => {
  it('are its v3 watchers and streams, its v2 reads summed over actions, and its v2 watchers', () => {
    assert.deepEqual(parseMemberClientMetrics(SAMPLE), { watchers: 2, watchStreams: 1, v2Reads: 10, v2Watchers: 0 });
  });

  it('stay unknown when the member does not report them', () => {
    assert.deepEqual(parseMemberClientMetrics('etcd_server_has_leader 1\n'), {
      watchers: undefined,
      watchStreams: undefined,
      v2Reads: undefined,
      v2Watchers: undefined,
    });
  });
});
