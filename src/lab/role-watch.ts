import { setTimeout as sleep } from 'node:timers/promises';
import { type LabNode, type LabTopology, labAddressOf } from '../core/lab/lab-topology.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { isPrimaryRole as isPrimary } from '../fleet/member-role.js';
import { labNodeRestClient } from './lab-rest-client.js';

export interface LeaderAndTimeline {
  leader: string;
  timeline: number;
}

export interface RoleWatchReport {
  /** Samples taken of every node. */
  samples: number;
  /** A node seen as primary, then seen with another role. */
  demotions: Array<{ node: string; from: string; to: string; atMs: number }>;
  /** A cluster seen with one leader, then another. */
  leaderChanges: Array<{ scope: string; from: string; to: string; atMs: number }>;
}

/**
 * Leader and timeline of each cluster, from the members' REST APIs. With the
 * lab directory, each node is reached with the credentials of its YAML (a lab
 * whose REST API is protected); without it, over plain http.
 */
export async function leadersAndTimelines(
  topology: LabTopology,
  labDir?: string,
): Promise<Map<string, LeaderAndTimeline>> {
  const result = new Map<string, LeaderAndTimeline>();
  await Promise.all(
    topology.clusters.flatMap((cluster) =>
      cluster.nodes.map(async (node) => {
        const client = await nodeClient(topology, node, labDir, 5_000);
        try {
          const status = await client.nodeStatus();
          if (isPrimary(status.role)) result.set(cluster.scope, { leader: node.name, timeline: status.timeline ?? 0 });
        } finally {
          await client.close();
        }
      }),
    ),
  );
  return new Map([...result].sort(([a], [b]) => a.localeCompare(b)));
}

async function nodeClient(
  topology: LabTopology,
  node: LabNode,
  labDir: string | undefined,
  timeoutMs: number,
): Promise<PatroniRestClient> {
  if (labDir) return (await labNodeRestClient(labDir, topology, node, timeoutMs)).client;
  return patroniRestClientFor({ apiUrl: `http://${labAddressOf(topology, node)}:${node.restPort}` }, { timeoutMs });
}

/**
 * Samples every node's role (GET /patroni) every `intervalMs` until stopped:
 * catches a demotion or a leader change that a before/after comparison could
 * miss (a demoted primary that was promoted again). A node that does not
 * answer a sample is skipped, not counted as demoted.
 */
export function startRoleWatch(
  topology: LabTopology,
  intervalMs = 250,
  labDir?: string,
): { stop(): Promise<RoleWatchReport> } {
  let running = true;
  const started = Date.now();
  const clients = new Map<string, Promise<PatroniRestClient>>(
    topology.clusters.flatMap((cluster) =>
      cluster.nodes.map((node) => [node.name, nodeClient(topology, node, labDir, 2_000)] as const),
    ),
  );
  const lastRole = new Map<string, string>();
  const lastLeader = new Map<string, string>();
  const report: RoleWatchReport = { samples: 0, demotions: [], leaderChanges: [] };
  const loop = (async () => {
    while (running) {
      await Promise.all(
        topology.clusters.map(async (cluster) => {
          for (const node of cluster.nodes) {
            const role = await (await clients.get(node.name)!).nodeStatus().then(
              (status) => status.role,
              () => undefined,
            );
            if (role === undefined) continue;
            const previous = lastRole.get(node.name);
            if (isPrimary(previous) && !isPrimary(role))
              report.demotions.push({ node: node.name, from: previous!, to: role, atMs: Date.now() - started });
            lastRole.set(node.name, role);
            if (isPrimary(role)) {
              const leader = lastLeader.get(cluster.scope);
              if (leader !== undefined && leader !== node.name)
                report.leaderChanges.push({
                  scope: cluster.scope,
                  from: leader,
                  to: node.name,
                  atMs: Date.now() - started,
                });
              lastLeader.set(cluster.scope, node.name);
            }
          }
        }),
      );
      report.samples += 1;
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all([...clients.values()].map(async (client) => (await client).close()));
      return report;
    },
  };
}
