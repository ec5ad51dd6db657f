import { setTimeout as sleep } from 'node:timers/promises';
import type { LabTopology } from '../core/lab/lab-topology.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';

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

const isPrimary = (role: string | undefined): boolean => role === 'master' || role === 'primary';

/** Leader and timeline of each cluster, from the members' REST APIs. */
export async function leadersAndTimelines(topology: LabTopology): Promise<Map<string, LeaderAndTimeline>> {
  const result = new Map<string, LeaderAndTimeline>();
  await Promise.all(
    topology.clusters.flatMap((cluster) =>
      cluster.nodes.map(async (node) => {
        const client = new PatroniRestClient(`http://${topology.host}:${node.restPort}`);
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

/**
 * Samples every node's role (GET /patroni) every `intervalMs` until stopped:
 * catches a demotion or a leader change that a before/after comparison could
 * miss (a demoted primary that was promoted again). A node that does not
 * answer a sample is skipped, not counted as demoted.
 */
export function startRoleWatch(topology: LabTopology, intervalMs = 250): { stop(): Promise<RoleWatchReport> } {
  let running = true;
  const started = Date.now();
  const clients = new Map(topology.clusters.flatMap((cluster) => cluster.nodes.map((node) => [node.name, new PatroniRestClient(`http://${topology.host}:${node.restPort}`, {}, 2_000)] as const)));
  const lastRole = new Map<string, string>();
  const lastLeader = new Map<string, string>();
  const report: RoleWatchReport = { samples: 0, demotions: [], leaderChanges: [] };
  const loop = (async () => {
    while (running) {
      await Promise.all(
        topology.clusters.map(async (cluster) => {
          for (const node of cluster.nodes) {
            const role = await clients.get(node.name)!.nodeStatus().then((status) => status.role, () => undefined);
            if (role === undefined) continue;
            const previous = lastRole.get(node.name);
            if (isPrimary(previous) && !isPrimary(role)) report.demotions.push({ node: node.name, from: previous!, to: role, atMs: Date.now() - started });
            lastRole.set(node.name, role);
            if (isPrimary(role)) {
              const leader = lastLeader.get(cluster.scope);
              if (leader !== undefined && leader !== node.name) report.leaderChanges.push({ scope: cluster.scope, from: leader, to: node.name, atMs: Date.now() - started });
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
      await Promise.all([...clients.values()].map((client) => client.close()));
      return report;
    },
  };
}
