import type { LabCluster, LabNode } from '../core/lab/lab-topology.js';
import type { PatroniNodeStatus, PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { isPrimaryRole } from '../fleet/member-role.js';

export interface ClusterReadiness {
  scope: string;
  leader: string | undefined;
  /** Replicas the leader reports as streaming in pg_stat_replication (GET /patroni on the leader). */
  streaming: string[];
  expectedReplicas: number;
  ready: boolean;
  /** Per node: what its REST API said, or why it could not be asked. */
  nodes: Array<{ name: string; role?: string; state?: string; timeline?: number; error?: string }>;
}

/** One look at a cluster: every member's GET /patroni; the leader's carries pg_stat_replication. */
export async function clusterReadiness(
  cluster: LabCluster,
  clientFor: (node: LabNode) => Promise<PatroniRestClient>,
): Promise<ClusterReadiness> {
  const statuses = await Promise.all(
    cluster.nodes.map(async (node) => {
      try {
        const client = await clientFor(node);
        return { name: node.name, status: await client.nodeStatus() };
      } catch (error) {
        return { name: node.name, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const leaderEntry = statuses.find(
    (entry) =>
      'status' in entry && entry.status && isPrimaryRole(entry.status.role) && entry.status.state === 'running',
  );
  const leaderStatus = leaderEntry && 'status' in leaderEntry ? (leaderEntry.status as PatroniNodeStatus) : undefined;
  const streaming = (leaderStatus?.replication ?? [])
    .filter((row) => row.state === 'streaming')
    .map((row) => row.application_name);
  const expectedReplicas = cluster.nodes.length - 1;
  return {
    scope: cluster.scope,
    leader: leaderEntry?.name,
    streaming,
    expectedReplicas,
    // A replica may already stream while its Patroni still says "starting": wait for both.
    ready:
      leaderEntry !== undefined &&
      cluster.nodes.every((node) => node.name === leaderEntry.name || streaming.includes(node.name)) &&
      statuses.every((entry) => 'status' in entry && entry.status?.state === 'running'),
    nodes: statuses.map((entry) =>
      'status' in entry && entry.status
        ? {
            name: entry.name,
            role: entry.status.role,
            state: entry.status.state,
            ...(entry.status.timeline === undefined ? {} : { timeline: entry.status.timeline }),
          }
        : { name: entry.name, error: 'error' in entry ? entry.error : 'no answer' },
    ),
  };
}

/** A node that holds a cluster back from being ready: the one whose log to show. */
export function laggingNode(readiness: ClusterReadiness): string | undefined {
  if (!readiness.leader) return readiness.nodes[0]?.name;
  return readiness.nodes.find((node) => node.name !== readiness.leader && !readiness.streaming.includes(node.name))
    ?.name;
}
