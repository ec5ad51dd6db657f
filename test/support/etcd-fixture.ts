import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labPortCount, planLabTopology } from '../../src/core/lab/lab-topology.js';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { startDaemon, stopProcess } from '../../src/adapters/process/daemon.js';
import { ensureDirectory } from '../../src/adapters/fs/atomic-file.js';
import {
  type EtcdClusterSpec,
  type StartedEtcdMember,
  etcdClientUrls,
  etcdMemberArgs,
  startEtcdMembers,
  waitForEtcdHealthy,
} from '../../src/lab/etcd-cluster.js';
import { registerTeardown } from './process-cleanup.js';

export interface TestEtcd {
  endpoints: string[];
  members: StartedEtcdMember[];
  dir: string;
  /** Stops one member (for quorum tests); the others keep running. */
  stopMember(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real etcd cluster of its own (free ports, temporary directory) for one
 * test file. Always stopped: call stop() in `after`, and it is also stopped on
 * SIGINT/SIGTERM or exit. `extraArgs` are appended to each member's flags
 * (`--enable-v2`).
 */
export async function startTestEtcd(
  options: { members?: number; authToken?: string; extraArgs?: string[] } = {},
): Promise<TestEtcd> {
  const memberCount = options.members ?? 1;
  const basePort = await findFreePortRange(labPortCount({ clusters: 1, nodes: 1, etcdMembers: memberCount }));
  const topology = planLabTopology({ clusters: 1, nodes: 1, etcdMembers: memberCount, basePort });
  const dir = await mkdtemp(join(tmpdir(), 'pgfleet-etcd-'));
  const members: StartedEtcdMember[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map((member) => stopProcess(member.process, { graceMs: 5_000 })));
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = registerTeardown(stop);
  try {
    const spec: EtcdClusterSpec = {
      members: topology.etcd,
      host: topology.host,
      dir,
      clusterToken: `test-${randomBytes(4).toString('hex')}`,
      authToken: options.authToken,
    };
    if (options.extraArgs) {
      // Flags the lab never sets (--enable-v2): the members are started here with them appended.
      for (const member of topology.etcd) {
        await ensureDirectory(join(dir, member.name), 0o700);
        const logFile = join(dir, member.name, 'etcd.log');
        const handle = startDaemon({
          command: '/usr/bin/etcd',
          args: [...etcdMemberArgs(spec, member), ...options.extraArgs],
          logFile,
        });
        members.push({ name: member.name, process: handle, clientUrl: etcdClientUrls(spec, member).at(-1)!, logFile });
      }
    } else {
      await startEtcdMembers(spec, (member) => {
        members.push(member);
      });
    }
    await waitForEtcdHealthy(members, 30_000);
  } catch (error) {
    await stop();
    unregister();
    throw error;
  }
  return {
    endpoints: members.map((member) => member.clientUrl),
    members,
    dir,
    async stopMember(name) {
      const member = members.find((m) => m.name === name);
      if (member) await stopProcess(member.process, { graceMs: 5_000 });
    },
    async stop() {
      await stop();
      unregister();
    },
  };
}
