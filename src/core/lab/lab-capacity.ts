import { PgfleetError } from '../errors.js';
import type { LabTopology } from './lab-topology.js';

/**
 * What a lab costs this machine, measured on the lab's own lean settings
 * (lab-template.ts): 6 clusters × 2 nodes and 3 etcd members held 562 MB
 * (proportional set size), about 40 MB a node (Patroni 3.0.2 alone ~30 MB,
 * PostgreSQL 15 with its background processes and walsender/walreceiver the
 * rest) and 35 MB an etcd member. Doubled, for the growth of a running lab
 * (Patroni's heap, etcd's keys), so the check refuses before the kernel has to.
 */
export const LAB_MEMORY_PER_NODE_BYTES = 80 * 1024 * 1024;
export const LAB_MEMORY_PER_ETCD_MEMBER_BYTES = 150 * 1024 * 1024;

/**
 * Clusters started at once: each start is an initdb, a Python Patroni and a
 * base backup, mostly CPU. A handful in flight keeps a 2-core machine
 * answering (etcd heartbeats, the Patroni loops already running) while the
 * lab grows.
 */
export function labStartConcurrency(cores: number): number {
  return Math.max(2, Math.min(8, cores * 2));
}

export function labMemoryNeedBytes(topology: Pick<LabTopology, 'etcd' | 'clusters'>): number {
  const nodes = topology.clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0);
  return nodes * LAB_MEMORY_PER_NODE_BYTES + topology.etcd.length * LAB_MEMORY_PER_ETCD_MEMBER_BYTES;
}

/** Refuses, before anything starts, a lab that would not fit in the memory this machine has available now. */
export function checkLabMemory(topology: Pick<LabTopology, 'etcd' | 'clusters'>, availableBytes: number): void {
  const need = labMemoryNeedBytes(topology);
  if (need <= availableBytes) return;
  const perNode = LAB_MEMORY_PER_NODE_BYTES;
  const fitting = Math.max(
    0,
    Math.floor(
      (availableBytes - topology.etcd.length * LAB_MEMORY_PER_ETCD_MEMBER_BYTES) /
        (perNode * (topology.clusters[0]?.nodes.length ?? 1)),
    ),
  );
  throw new PgfleetError(
    'LAB_NOT_ENOUGH_MEMORY',
    `a lab of ${topology.clusters.length} cluster(s) needs about ${formatMegabytes(need)} and this machine has ${formatMegabytes(availableBytes)} available`,
    {
      hint:
        fitting > 0
          ? `at most ${fitting} cluster(s) of that size fit now: use --clusters ${fitting} (or stop other labs)`
          : 'stop other labs or services first',
    },
  );
}

export function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** The given processes and all their descendants, from a process table (`pid → ppid`); pids not in the table are left out. */
export function processTree(processes: ReadonlyMap<number, { ppid: number }>, roots: Iterable<number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const seen = new Set<number>();
  const pending = [...roots];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (seen.has(pid) || !processes.has(pid)) continue;
    seen.add(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return [...seen].sort((a, b) => a - b);
}

/** `lab up`'s default time limit: 3 minutes, and 4 s per node beyond 45 nodes (a paced start of 100 nodes takes minutes on 2 cores). */
export function labStartTimeoutMs(topology: Pick<LabTopology, 'clusters'>): number {
  const nodes = topology.clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0);
  return 180_000 + Math.max(0, nodes - 45) * 4_000;
}
