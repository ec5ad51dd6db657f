import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labPortCount, planLabTopology } from '../../src/core/lab/lab-topology.js';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { stopProcess } from '../../src/adapters/process/daemon.js';
import { type StartedEtcdMember, startEtcdMembers, waitForEtcdHealthy } from '../../src/lab/etcd-cluster.js';
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
 * SIGINT/SIGTERM or exit.
 */
export async function startTestEtcd(options: { members?: number; authToken?: string } = {}): Promise<TestEtcd> {
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
    await startEtcdMembers(
      {
        members: topology.etcd,
        host: topology.host,
        dir,
        clusterToken: `test-${randomBytes(4).toString('hex')}`,
        authToken: options.authToken,
      },
      (member) => {
        members.push(member);
      },
    );
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
