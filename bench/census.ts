/**
 * bench/census: what the census of a large etcd costs.
 * On a lab-shaped etcd (3 members on loopback, as `lab up` starts them),
 * 500 prefixes are filled with 20 keys each (10,000), then with 200 each
 * (100,000); each time the census runs twice: without an observation window
 * (the keyspace, leases, counters and /proc: what the size changes) and with
 * the default window. Printed: wall time, range requests, and memory: the
 * peak of the heap above what it was before the census (sampled every 10 ms),
 * the peak RSS, and the process's maxRSS. Flat memory means the heap peak
 * does not grow ten-fold with the keyspace.
 * Prints figures; asserts nothing.
 * Usage: node --expose-gc --import tsx bench/census.ts [etcd members] [page size]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labPortCount, planLabTopology } from '../src/core/lab/lab-topology.js';
import { accountForClients } from '../src/core/census/client-accounting.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { takeEtcdCensus } from '../src/adapters/etcd/etcd-census-scan.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { stopProcess } from '../src/adapters/process/daemon.js';
import { type StartedEtcdMember, startEtcdMembers, waitForEtcdHealthy } from '../src/lab/etcd-cluster.js';

const etcdMembers = Number(process.argv[2] ?? 3);
const pageSize = Number(process.argv[3] ?? 2_000);
const PREFIXES = 500;
const b64 = (value: string): string => Buffer.from(value).toString('base64');
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

const basePort = await findFreePortRange(labPortCount({ clusters: 1, nodes: 1, etcdMembers }));
const topology = planLabTopology({ clusters: 1, nodes: 1, etcdMembers, basePort });
const dir = await mkdtemp(join(tmpdir(), 'pgfleet-bench-census-'));
const members: StartedEtcdMember[] = [];
const stop = async (): Promise<void> => {
  await Promise.all(members.map((member) => stopProcess(member.process, { graceMs: 5_000 })));
  await rm(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stop().finally(() => process.exit(130)));

try {
  await startEtcdMembers(
    { members: topology.etcd, host: topology.host, dir, clusterToken: `bench-${randomBytes(4).toString('hex')}` },
    (member) => {
      members.push(member);
    },
  );
  await waitForEtcdHealthy(members, 30_000);
  const admin = new EtcdClient({ endpoints: members.map((member) => member.clientUrl), timeoutMs: 30_000 });
  try {
    console.log(
      `etcd: ${etcdMembers} member(s) on 127.0.0.1, ${PREFIXES} prefixes, page size ${pageSize}${gc ? '' : ' (run with --expose-gc for steadier heap figures)'}`,
    );
    let filled = 0;
    for (const perPrefix of [20, 200]) {
      const buildStarted = performance.now();
      // 128 puts per transaction: etcd's default --max-txn-ops.
      let batch: unknown[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await admin.call('/v3/kv/txn', { success: batch });
        batch = [];
      };
      for (let index = filled; index < perPrefix; index += 1) {
        for (let prefix = 0; prefix < PREFIXES; prefix += 1) {
          const key = `/bench/p${String(prefix).padStart(3, '0')}/k${String(index).padStart(5, '0')}`;
          batch.push({ request_put: { key: b64(key), value: b64(`value-${index}-${'x'.repeat(48)}`) } });
          if (batch.length === 128) await flush();
        }
      }
      await flush();
      filled = perPrefix;
      const keys = perPrefix * PREFIXES;
      console.log(
        `\n${keys.toLocaleString('en')} keys (built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s):`,
      );
      for (const observeMs of [0, undefined]) {
        gc?.();
        const baseline = process.memoryUsage();
        let peakHeap = baseline.heapUsed;
        let peakRss = baseline.rss;
        const sampler = setInterval(() => {
          const usage = process.memoryUsage();
          peakHeap = Math.max(peakHeap, usage.heapUsed);
          peakRss = Math.max(peakRss, usage.rss);
        }, 10);
        const started = performance.now();
        const census = await takeEtcdCensus(admin, { observeMs, pageSize });
        const wall = performance.now() - started;
        clearInterval(sampler);
        const usage = process.memoryUsage();
        peakHeap = Math.max(peakHeap, usage.heapUsed);
        peakRss = Math.max(peakRss, usage.rss);
        const account = accountForClients(census, {
          namespaces: ['/service/'],
          patroniMembers: [],
          tenants: [],
          declaredClients: [],
          pgfleetPrefix: '/pgfleet/',
        });
        console.log(
          `  census, ${observeMs === 0 ? 'no observation window' : `window ${census.observedMs} ms`}: ${(wall / 1000).toFixed(2)} s wall` +
            ` (${census.keyspace.keyCount.toLocaleString('en')} keys, ${census.keyspace.prefixes.length} prefixes, ~${Math.ceil(census.keyspace.keyCount / pageSize)} range requests)` +
            ` · heap peak +${mb(peakHeap - baseline.heapUsed)} over ${mb(baseline.heapUsed)} · rss peak ${mb(peakRss)}` +
            ` · ${account.subjects.length} subjects`,
        );
      }
    }
    console.log(`\nprocess maxRSS (whole run, building included): ${mb(process.resourceUsage().maxRSS * 1024)}`);
  } finally {
    await admin.close();
  }
} finally {
  await stop();
}
