import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type LabCluster, type LabTopology, labAddressOf } from '../core/lab/lab-topology.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { ensureClusterRoles } from './lab-secrets.js';

export interface WriterTally {
  scope: string;
  ok: number;
  failed: number;
  /** Longest run of consecutive failed writes, in ms (0 when none failed). */
  longestOutageMs: number;
  /** Ids of the rows whose INSERT was acknowledged (kept when asked: checkAcknowledgedWrites reads them back). */
  acknowledged?: number[];
}

export interface FleetWriters {
  stop(): Promise<WriterTally[]>;
}

/**
 * One writer per cluster inserting into its primary every 50 ms, as an
 * application behind a Patroni-aware proxy would: when a write fails it
 * finds the current leader again (REST API) and reconnects. Every failed
 * attempt counts.
 */
export function startFleetWriters(
  labDir: string,
  topology: LabTopology,
  leaders: Map<string, string>,
  intervalMs = 50,
  options: { keepAcknowledged?: boolean } = {},
): FleetWriters {
  let running = true;
  const loops = topology.clusters.map((cluster) =>
    writeUntilStopped(
      labDir,
      topology,
      cluster,
      leaders.get(cluster.scope),
      intervalMs,
      () => running,
      options.keepAcknowledged ?? false,
    ),
  );
  return {
    async stop() {
      running = false;
      return Promise.all(loops);
    },
  };
}

async function writeUntilStopped(
  labDir: string,
  topology: LabTopology,
  cluster: LabCluster,
  firstLeader: string | undefined,
  intervalMs: number,
  running: () => boolean,
  keepAcknowledged: boolean,
): Promise<WriterTally> {
  const roles = await ensureClusterRoles(labDir, cluster.scope);
  let leader = firstLeader;
  return keepWriting({
    scope: cluster.scope,
    intervalMs,
    running,
    keepAcknowledged,
    afterFailure: () => {
      leader = undefined;
    },
    connect: async () => {
      leader ??= await currentLeader(topology, cluster);
      const node = cluster.nodes.find((candidate) => candidate.name === leader);
      if (!node) throw new Error(`no leader in ${cluster.scope}`);
      return {
        host: labAddressOf(topology, node),
        port: node.pgPort,
        user: roles.superuser.username,
        password: roles.superuser.password.reveal(),
      };
    },
  });
}

/** Where a writer connects: its cluster's primary, found again after each failed write. */
export interface WriterTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * One writer's loop: an INSERT into its cluster's primary every `intervalMs`
 * until stopped, reconnecting (through `connect`, which finds the primary)
 * after a failed write. Every failed attempt counts.
 */
export async function keepWriting(options: {
  scope: string;
  connect: () => Promise<WriterTarget>;
  intervalMs: number;
  running: () => boolean;
  afterFailure?: () => void;
  /** Keep the ids of acknowledged rows, to read them back afterwards. */
  keepAcknowledged?: boolean;
}): Promise<WriterTally> {
  const tally: WriterTally = {
    scope: options.scope,
    ok: 0,
    failed: 0,
    longestOutageMs: 0,
    ...(options.keepAcknowledged ? { acknowledged: [] } : {}),
  };
  let client: pg.Client | undefined;
  let failingSince: number | undefined;
  const connect = async (): Promise<pg.Client> => {
    const target = await options.connect();
    const fresh = new pg.Client({
      ...target,
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
      query_timeout: 2_000,
      application_name: 'pgfleet-writer',
    });
    fresh.on('error', () => undefined);
    await fresh.connect();
    await fresh.query(
      'CREATE TABLE IF NOT EXISTS pgfleet_writer (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())',
    );
    return fresh;
  };
  try {
    while (options.running()) {
      try {
        client ??= await connect();
        const inserted = await client.query<{ id: string }>('INSERT INTO pgfleet_writer DEFAULT VALUES RETURNING id');
        tally.ok += 1;
        tally.acknowledged?.push(Number(inserted.rows[0]!.id));
        if (failingSince !== undefined)
          tally.longestOutageMs = Math.max(tally.longestOutageMs, Date.now() - failingSince);
        failingSince = undefined;
      } catch {
        tally.failed += 1;
        failingSince ??= Date.now();
        await client?.end().catch(() => undefined);
        client = undefined;
        options.afterFailure?.();
      }
      await sleep(options.intervalMs);
    }
    if (failingSince !== undefined) tally.longestOutageMs = Math.max(tally.longestOutageMs, Date.now() - failingSince);
  } finally {
    await client?.end().catch(() => undefined);
  }
  return tally;
}

/** The node that says it is the primary (GET /patroni), if any. */
export async function currentLeader(topology: LabTopology, cluster: LabCluster): Promise<string | undefined> {
  for (const node of cluster.nodes) {
    const rest = new PatroniRestClient(`http://${labAddressOf(topology, node)}:${node.restPort}`, {}, 1_000);
    try {
      const status = await rest.nodeStatus();
      if (status.role === 'master' || status.role === 'primary') return node.name;
    } catch {
      // Down or busy: ask the next one.
    } finally {
      await rest.close();
    }
  }
  return undefined;
}
