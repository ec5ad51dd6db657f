import { isRunning } from '../adapters/process/daemon.js';
import { readPatroniPid } from '../node/patroni-process.js';
import { labNodeInstanceLayout } from './lab-settings.js';
import type { LabProcess, LabState } from './lab-state.js';

/**
 * The lab's processes as they are now: those `lab up` recorded, except that
 * a node whose Patroni was restarted since (`etcd tls migrate` restarts
 * daemons) is represented by the live process its pid file names.
 */
export async function currentLabProcesses(state: LabState): Promise<LabProcess[]> {
  return Promise.all(
    state.processes.map(async (recorded) => {
      if (recorded.kind !== 'patroni' || isRunning(recorded)) return recorded;
      const current = await readPatroniPid(labNodeInstanceLayout(state.dir, state.topology, recorded.name));
      return current && isRunning(current) ? { kind: 'patroni' as const, name: recorded.name, ...current } : recorded;
    }),
  );
}
