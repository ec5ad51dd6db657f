import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { LabTopology } from '../../src/core/lab/lab-topology.js';
import { ensureClusterRoles } from '../../src/lab/lab-secrets.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { labNodeRestClient } from '../../src/lab/lab-rest-client.js';

export interface WriterTally {
  scope: string;
  ok: number;
  failed: number;
}

/**
 * One writer per cluster inserting into its primary every 50 ms, as an
 * application would, until stopped. Counts failed writes.
 */
export function startFleetWriters(labDir: string, topology: LabTopology, leaders: Map<string, string>): { stop(): Promise<WriterTally[]> } {
  let running = true;
  const loops = topology.clusters.map(async (cluster): Promise<WriterTally> => {
    const tally = { scope: cluster.scope, ok: 0, failed: 0 };
    const roles = await ensureClusterRoles(labDir, cluster.scope);
    const primary = cluster.nodes.find((node) => node.name === leaders.get(cluster.scope))!;
    const client = new pg.Client({ host: topology.host, port: primary.pgPort, user: roles.superuser.username, password: roles.superuser.password.reveal(), database: 'postgres' });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS pgfleet_writer (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
    try {
      while (running) {
        try {
          await client.query('INSERT INTO pgfleet_writer DEFAULT VALUES');
          tally.ok += 1;
        } catch {
          tally.failed += 1;
        }
        await sleep(50);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    return tally;
  });
  return {
    async stop() {
      running = false;
      return Promise.all(loops);
    },
  };
}

/**
 * Leader and timeline of each cluster, from the members' REST APIs. With the
 * lab directory, each node is reached with the credentials of its YAML (for a
 * lab whose REST API is protected); without it, over plain http.
 */
export async function leadersAndTimelines(topology: LabTopology, labDir?: string): Promise<Map<string, { leader: string; timeline: number }>> {
  const result = new Map<string, { leader: string; timeline: number }>();
  for (const cluster of topology.clusters) {
    for (const node of cluster.nodes) {
      const client = labDir ? (await labNodeRestClient(labDir, topology, node, 5_000)).client : new PatroniRestClient(`http://${topology.host}:${node.restPort}`);
      try {
        const status = await client.nodeStatus();
        if (status.role === 'master' || status.role === 'primary') result.set(cluster.scope, { leader: node.name, timeline: status.timeline ?? 0 });
      } finally {
        await client.close();
      }
    }
  }
  return result;
}
