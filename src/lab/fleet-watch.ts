import { setTimeout as sleep } from 'node:timers/promises';
import { type LabNode, type LabTopology, labAddressOf } from '../core/lab/lab-topology.js';
import { COORDINATOR_HOST, processesOnHost } from '../core/lab/multihost-topology.js';
import type { RoleSample } from '../core/lab/role-samples.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { thisHostName } from '../adapters/process/host-name.js';
import { withSqlConnection } from '../adapters/postgres/sql-connection.js';
import { type WriterTally, currentLeader, startFleetWriters } from './fleet-writers.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { loadLabState } from './lab-state.js';

export interface AcknowledgedWritesCheck {
  scope: string;
  /** The member that says it is the primary now; undefined when none does. */
  primary: string | undefined;
  acknowledged: number;
  /** Acknowledged rows found on that primary. */
  readable: number;
}

export interface FleetWatchReport {
  view: string;
  samples: RoleSample[];
  writers: Array<Omit<WriterTally, 'acknowledged'>>;
  acknowledgedWrites: AcknowledgedWritesCheck[];
}

/**
 * A lab agent's watch over a multi-host fleet, until stopped: every
 * `intervalMs`, each member of the view says its role (the coordinator's
 * view: every member; a host's own: the members it runs, reached over its
 * own address, which a partition does not cut). With writers (the
 * coordinator's view), an application inserts into every primary every
 * 50 ms; at the end, every acknowledged row is looked for on the cluster's
 * primary as it is then.
 */
export async function watchFleet(
  request: { dir: string; view: 'coordinator' | 'own'; writers: boolean; intervalMs: number },
  stop: AbortSignal,
  ready: () => void,
): Promise<FleetWatchReport> {
  const state = await loadLabState(request.dir);
  const topology = state.topology;
  const view = request.view === 'coordinator' ? COORDINATOR_HOST : thisHostName();
  const nodes =
    request.view === 'coordinator'
      ? topology.clusters.flatMap((cluster) => cluster.nodes)
      : processesOnHost(topology, view).nodes;
  const clients = new Map(
    nodes.map((node) => [
      node.name,
      new PatroniRestClient(`http://${labAddressOf(topology, node)}:${node.restPort}`, {}, 1_000),
    ]),
  );
  const samples: RoleSample[] = [];
  const sampleOnce = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (node) => {
        const at = Date.now();
        const role = await clients
          .get(node.name)!
          .nodeStatus()
          .then(
            (status) => status.role,
            () => undefined,
          );
        if (role !== undefined) samples.push({ at, view, scope: node.scope, node: node.name, role });
      }),
    );
  };
  const writers = request.writers
    ? startFleetWriters(request.dir, topology, new Map(), 50, { keepAcknowledged: true })
    : undefined;
  try {
    await sampleOnce();
    ready();
    while (!stop.aborted) {
      await sleep(request.intervalMs, undefined, { signal: stop }).catch(() => undefined);
      if (!stop.aborted) await sampleOnce();
    }
    const tallies = writers ? await writers.stop() : [];
    return {
      view,
      samples,
      writers: tallies.map(({ acknowledged: _acknowledged, ...tally }) => tally),
      acknowledgedWrites: await Promise.all(
        tallies.map((tally) => checkAcknowledgedWrites(request.dir, topology, tally)),
      ),
    };
  } finally {
    await writers?.stop();
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
}

/** Every acknowledged row of a writer looked for on its cluster's primary as it is now. */
export async function checkAcknowledgedWrites(
  labDir: string,
  topology: LabTopology,
  tally: WriterTally,
): Promise<AcknowledgedWritesCheck> {
  const cluster = topology.clusters.find((candidate) => candidate.scope === tally.scope)!;
  const acknowledged = tally.acknowledged ?? [];
  let primary: string | undefined;
  for (let attempt = 0; attempt < 20 && primary === undefined; attempt += 1) {
    primary = await currentLeader(topology, cluster);
    if (primary === undefined) await sleep(500);
  }
  const node: LabNode | undefined = cluster.nodes.find((candidate) => candidate.name === primary);
  if (!node) return { scope: tally.scope, primary, acknowledged: acknowledged.length, readable: 0 };
  const roles = await ensureClusterRoles(labDir, cluster.scope);
  const readable = await withSqlConnection(
    {
      host: labAddressOf(topology, node),
      port: node.pgPort,
      user: roles.superuser.username,
      password: roles.superuser.password,
    },
    async (client) => {
      if (acknowledged.length === 0) return 0;
      const result = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM pgfleet_writer WHERE id = ANY($1::bigint[])',
        [acknowledged],
      );
      return Number(result.rows[0]!.n);
    },
  );
  return { scope: tally.scope, primary, acknowledged: acknowledged.length, readable };
}
