/**
 * bench/lab-up: wall time of `lab up` for 2 clusters × 2 nodes with 3 etcd
 * members (target: ≤ 45 s on a 2-core machine). Prints figures; asserts nothing.
 * Usage: node --import tsx bench/lab-up.ts [runs]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labPortCount } from '../src/core/lab/lab-topology.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { labDown } from '../src/lab/lab-down.js';
import { labUp } from '../src/lab/lab-up.js';

const runs = Number(process.argv[2] ?? 3);
const shape = { clusters: 2, nodes: 2, etcdMembers: 3 };
const upTimes: number[] = [];
const downTimes: number[] = [];

for (let run = 1; run <= runs; run += 1) {
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-'));
  await chmod(parent, 0o755);
  const dir = join(parent, 'lab');
  try {
    const basePort = await findFreePortRange(labPortCount(shape));
    const started = performance.now();
    await labUp({ ...shape, basePort, dir });
    upTimes.push(performance.now() - started);
    const downStarted = performance.now();
    await labDown(dir);
    downTimes.push(performance.now() - downStarted);
    console.log(
      `run ${run}: lab up ${(upTimes.at(-1)! / 1000).toFixed(2)} s, lab down ${(downTimes.at(-1)! / 1000).toFixed(2)} s`,
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
console.log(
  `lab up (3 etcd, 2 clusters × 2 nodes), ${runs} runs: median ${(median(upTimes) / 1000).toFixed(2)} s, max ${(Math.max(...upTimes) / 1000).toFixed(2)} s (target ≤ 45 s)`,
);
console.log(`lab down: median ${(median(downTimes) / 1000).toFixed(2)} s`);
