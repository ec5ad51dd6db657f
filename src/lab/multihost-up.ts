import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, PgfleetError } from '../core/errors.js';
import {
  COORDINATOR_HOST,
  MULTIHOST_BASE_PORT,
  type MultiHostLabInput,
  planLabNetwork,
  planMultiHostTopology,
} from '../core/lab/multihost-topology.js';
import { ensureDirectory } from '../adapters/fs/atomic-file.js';
import { isRoot, serviceUser } from '../adapters/process/os-user.js';
import type { ClusterReadiness } from './fleet-readiness.js';
import { runLabAgent } from './lab-agent.js';
import { writeLabHostFiles } from './lab-hosts.js';
import { createLabNetwork, removeLabNetwork } from './lab-network.js';
import { ensureClusterRoles, ensureEtcdRootPassword } from './lab-secrets.js';
import { LAB_SETTINGS_FILE, labHostDir } from './lab-settings.js';
import { type LabState, defaultLabDir, loadLabState, newLabState, saveLabState } from './lab-state.js';
import {
  type LabUpOptions,
  type LabUpResult,
  checkBinaries,
  checkLabDirUsable,
  checkReachableBy,
  stopLabProcesses,
} from './lab-up.js';
import { ensureLabHostDirs } from './multihost-fleet-start.js';
import { labResidentMemory } from './lab-memory.js';

export type MultiHostLabUpOptions = Omit<LabUpOptions, 'basePort' | 'hosts'> &
  Partial<Pick<MultiHostLabInput, 'basePort'>> & { hosts: number };

/**
 * Starts a multi-host lab: one network namespace per host (a coordinator
 * running no member, and N member hosts), a bridge in a namespace of its
 * own, one address per host in 10.203.0.0/24, which exists nowhere else.
 * Each host gets its own pgfleet prefix (settings, secrets, instance
 * records, Patroni YAMLs); the fleet is started by a lab agent on the
 * coordinator host. The namespaces are recorded before they are made, so
 * `lab down` removes them whatever stops this: a failure (the directory is
 * kept for its logs, the processes and network are removed), Ctrl-C (all is
 * removed, LAB_UP_INTERRUPTED), or a SIGKILL (a later `lab down` does it).
 */
export async function multiHostLabUp(options: MultiHostLabUpOptions): Promise<LabUpResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 240_000;
  const progress = options.onProgress ?? (() => undefined);
  const signal = options.signal;
  if (options.etcdTls && options.etcdTls !== 'off') {
    throw new PgfleetError('LAB_BAD_INPUT', '--etcd-tls is not available on a multi-host lab yet', {
      hint: 'start it without --etcd-tls, or use the one-host lab (no --hosts) for the TLS drills',
    });
  }
  const topology = planMultiHostTopology({ ...options, basePort: options.basePort ?? MULTIHOST_BASE_PORT });
  const dir = options.dir ?? defaultLabDir();
  if (!isRoot()) {
    throw new PgfleetError('LAB_NEEDS_ROOT', 'a multi-host lab makes network namespaces: run it as root', {
      hint: 'run `pgfleet lab up --hosts N` as root, or the one-host lab without --hosts',
    });
  }
  await checkLabDirUsable(dir);
  await checkBinaries();
  const runAs = serviceUser();
  if (runAs) await checkReachableBy(dir, runAs);
  const interruption = (): PgfleetError =>
    new PgfleetError(
      'LAB_UP_INTERRUPTED',
      `lab up interrupted: every process it had started is stopped, its network namespaces and ${dir} are removed`,
      { hint: 'run `pgfleet lab up --hosts N` again to start a lab', exitCode: ExitCode.interrupted },
    );
  if (signal?.aborted)
    throw new PgfleetError('LAB_UP_INTERRUPTED', 'lab up interrupted before it started anything', {
      exitCode: ExitCode.interrupted,
    });

  const id = randomBytes(4).toString('hex');
  const network = planLabNetwork(id, topology.hosts!);
  await ensureDirectory(dir, 0o755);
  const state: LabState = newLabState({
    id,
    dir,
    topology,
    settingsFile: join(labHostDir(dir, COORDINATOR_HOST), LAB_SETTINGS_FILE),
    etcdTls: 'off',
    ...(options.etcdApi === 'v2' ? { etcdApi: 'v2' as const } : {}),
    network,
  });
  await saveLabState(state);
  try {
    progress(
      `network: bridge in namespace ${network.bridgeNamespace}; ${network.hosts
        .map((host) => `${host.name} ${host.address}`)
        .join(', ')} (each in its own namespace)`,
      false,
    );
    await createLabNetwork(network);
    if (signal?.aborted) throw interruption();

    progress(
      `each host's own pgfleet prefix (settings, secrets, Patroni YAMLs) under ${join(dir, 'hosts')}: ${network.hosts
        .map((host) => host.name)
        .join(', ')}`,
      false,
    );
    await ensureEtcdRootPassword(dir);
    for (const cluster of topology.clusters) await ensureClusterRoles(dir, cluster.scope);
    await ensureLabHostDirs(
      dir,
      network.hosts.map((host) => host.name),
    );
    for (const host of network.hosts) await writeLabHostFiles(dir, topology, host.name);

    const readiness = await runLabAgent<ClusterReadiness[]>(
      state,
      COORDINATOR_HOST,
      { task: 'start-fleet', dir, timeoutMs, etcdAuthToken: options.etcdAuthToken },
      {
        onEvent: (event) => {
          if (event.event === 'progress') progress(event.message, event.transient);
        },
        signal,
        interruption,
      },
    );
    const recorded = await loadLabState(dir);
    recorded.phase = 'ready';
    await saveLabState(recorded);
    const elapsedMs = Date.now() - started;
    return { state: recorded, readiness, elapsedMs, memory: await labResidentMemory(recorded) };
  } catch (error) {
    const recorded = await loadLabState(dir).catch(() => state);
    recorded.phase = 'failed';
    await saveLabState(recorded).catch(() => undefined);
    if (signal?.aborted)
      progress(
        `interrupted: stopping the ${recorded.processes.length} process(es) started so far, removing the network and ${dir}`,
        false,
      );
    await stopLabProcesses(recorded).catch(() => undefined);
    await removeLabNetwork(network).catch(() => undefined);
    if (!signal?.aborted) throw error;
    await rm(dir, { recursive: true, force: true });
    throw interruption();
  }
}
