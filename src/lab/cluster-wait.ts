import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import type { LabNode, LabTopology } from '../core/lab/lab-topology.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { labNodeRestClient } from './lab-rest-client.js';
import { type ClusterReadiness, clusterReadiness } from './fleet-readiness.js';

/**
 * Waits until the given clusters of a lab each have a running leader and
 * every replica streams (what `lab up` waits for), or until `until` says so
 * of their readiness. Returns the last readiness seen.
 */
export async function waitForClusters(
  labDir: string,
  topology: LabTopology,
  scopes: string[],
  options: {
    timeoutMs: number;
    until?: (readiness: ClusterReadiness[]) => boolean;
    onPoll?: (readiness: ClusterReadiness[]) => void;
  },
): Promise<ClusterReadiness[]> {
  const clusters = topology.clusters.filter((cluster) => scopes.includes(cluster.scope));
  const clients = new Map<string, Promise<PatroniRestClient>>();
  // Each node is reached as its YAML says (https, client certificate, basic auth once the REST API is protected).
  const clientFor = (node: LabNode): Promise<PatroniRestClient> => {
    let client = clients.get(node.name);
    if (!client)
      clients.set(node.name, (client = labNodeRestClient(labDir, topology, node, 2_000).then((found) => found.client)));
    return client;
  };
  const until = options.until ?? ((readiness) => readiness.every((cluster) => cluster.ready));
  const deadline = Date.now() + options.timeoutMs;
  try {
    for (;;) {
      const readiness = await Promise.all(clusters.map((cluster) => clusterReadiness(cluster, clientFor)));
      options.onPoll?.(readiness);
      if (until(readiness)) return readiness;
      if (Date.now() > deadline) {
        throw new PgfleetError(
          'LAB_WAIT_TIMEOUT',
          `clusters ${scopes.join(', ')} not back after ${Math.round(options.timeoutMs / 1000)} s: ${readiness.map((r) => `${r.scope} leader ${r.leader ?? 'none'}, streaming ${r.streaming.join(', ') || 'none'}`).join('; ')}`,
          {
            hint: '`pgfleet lab status` shows each node; their logs are in the lab directory',
            exitCode: 4,
          },
        );
      }
      await sleep(250);
    }
  } finally {
    await Promise.all([...clients.values()].map(async (client) => (await client).close()));
  }
}
