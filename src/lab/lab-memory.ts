import { processTree } from '../core/lab/lab-capacity.js';
import { proportionalSetBytes, readProcessTable } from '../adapters/process/process-table.js';
import { postmasterHandle } from '../node/patroni-process.js';
import { currentLabProcesses } from './lab-processes.js';
import { labNodeInstanceLayout } from './lab-settings.js';
import type { LabState } from './lab-state.js';

/**
 * Memory (proportional set size) of everything the lab runs: its etcd members, its Patroni
 * daemons, and each node's postmaster with its backends (found through
 * postmaster.pid under its host's prefix: Patroni starts it detached).
 */
export async function labResidentMemory(state: LabState): Promise<{ bytes: number; processes: number }> {
  const postmasters = await Promise.all(
    state.topology.clusters.flatMap((cluster) =>
      cluster.nodes.map((node) =>
        postmasterHandle(labNodeInstanceLayout(state.dir, state.topology, node.name).dataDir),
      ),
    ),
  );
  const roots = [
    ...(await currentLabProcesses(state)).map((process) => process.pid),
    ...postmasters.flatMap((handle) => (handle ? [handle.pid] : [])),
  ];
  const tree = processTree(await readProcessTable(), roots);
  return { bytes: await proportionalSetBytes(tree), processes: tree.length };
}
