import type { LabTopology } from '../../src/core/lab/lab-topology.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { isPrimaryRole } from '../../src/fleet/member-role.js';
import { keepWriting, type WriterTally } from '../../src/lab/fleet-writers.js';
import type { DebianFleet, DebianFleetMember } from './debian-fleet.js';

/**
 * test/support/fleet-writers.ts for a fleet built from Debian's template:
 * one writer per cluster inserting into its primary every 50 ms as the
 * cluster's superuser, finding the leader again (REST API) after a failed
 * write; every failed attempt counts. The lab's role watch takes the fleet
 * as a topology (debianTopology).
 */
export function startDebianFleetWriters(fleet: DebianFleet, intervalMs = 50): { stop(): Promise<WriterTally[]> } {
  let running = true;
  const scopes = [...new Set(fleet.members.map((member) => member.scope))];
  const loops = scopes.map((scope) =>
    writeUntilStopped(
      fleet.members.filter((member) => member.scope === scope),
      intervalMs,
      () => running,
    ),
  );
  return {
    async stop() {
      running = false;
      return Promise.all(loops);
    },
  };
}

/** The fleet as the lab's role watch (startRoleWatch) reads it: clusters, members, ports on 127.0.0.1. */
export function debianTopology(fleet: DebianFleet): LabTopology {
  const scopes = [...new Set(fleet.members.map((member) => member.scope))];
  return {
    host: '127.0.0.1',
    basePort: 0,
    etcd: [],
    clusters: scopes.map((scope) => ({
      scope,
      nodes: fleet.members
        .filter((member) => member.scope === scope)
        .map((member) => ({ scope, name: member.name, pgPort: member.pgPort, restPort: member.apiPort })),
    })),
    ports: [],
  };
}

async function writeUntilStopped(
  members: DebianFleetMember[],
  intervalMs: number,
  running: () => boolean,
): Promise<WriterTally> {
  return keepWriting({
    scope: members[0]!.scope,
    intervalMs,
    running,
    connect: async () => {
      const leader = await currentLeader(members);
      if (!leader) throw new Error(`no leader in ${members[0]!.scope}`);
      return { host: '127.0.0.1', port: leader.pgPort, user: 'postgres', password: leader.superuserPassword };
    },
  });
}

async function currentLeader(members: DebianFleetMember[]): Promise<DebianFleetMember | undefined> {
  for (const member of members) {
    const rest = new PatroniRestClient(member.restUrl, {}, 1_000);
    try {
      if (isPrimaryRole((await rest.nodeStatus()).role)) return member;
    } catch {
      // Down or busy: ask the next one.
    } finally {
      await rest.close();
    }
  }
  return undefined;
}
