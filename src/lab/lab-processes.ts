import { instanceLayout } from '../core/instance/instance-layout.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { isRunning } from '../adapters/process/daemon.js';
import { isRoot } from '../adapters/process/os-user.js';
import { readPatroniPid } from '../node/patroni-process.js';
import { labStateSettings } from './lab-settings.js';
import type { LabProcess, LabState } from './lab-state.js';

/**
 * The lab's processes as they are now: those `lab up` recorded, except that
 * a node whose Patroni was restarted since (`etcd tls migrate` restarts
 * daemons) is represented by the live process its pid file names.
 */
export async function currentLabProcesses(state: LabState): Promise<LabProcess[]> {
  const paths = resolveSitePaths(labStateSettings(state), { isRoot: isRoot(), home: '/', env: {} });
  return Promise.all(
    state.processes.map(async (recorded) => {
      if (recorded.kind !== 'patroni' || isRunning(recorded)) return recorded;
      const current = await readPatroniPid(instanceLayout(paths, recorded.name));
      return current && isRunning(current) ? { kind: 'patroni' as const, name: recorded.name, ...current } : recorded;
    }),
  );
}
