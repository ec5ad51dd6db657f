import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { type LabCluster, type LabNode, type LabTopology, labAddressOf } from '../core/lab/lab-topology.js';
import { withSqlConnection } from '../adapters/postgres/sql-connection.js';
import type { ClusterRoles } from './lab-secrets.js';

export interface ReplicationCheck {
  scope: string;
  primary: string;
  replica: string;
  marker: string;
  /** Time until the row written on the primary was visible on the replica. */
  visibleAfterMs: number;
}

/** Writes a row on the cluster's primary and reads it back from a replica. */
export async function checkWriteReplicates(
  topology: LabTopology,
  cluster: LabCluster,
  leader: string,
  roles: ClusterRoles,
  timeoutMs = 15_000,
): Promise<ReplicationCheck> {
  const primary = cluster.nodes.find((node) => node.name === leader);
  const replica = cluster.nodes.find((node) => node.name !== leader);
  if (!primary || !replica) {
    throw new PgfleetError('LAB_NO_REPLICA', `cluster ${cluster.scope} has no replica to read from`, {
      hint: 'start the lab with --nodes 2 or more',
    });
  }
  const target = (node: LabNode) => ({
    host: labAddressOf(topology, node),
    port: node.pgPort,
    user: roles.superuser.username,
    password: roles.superuser.password,
  });
  const marker = `pgfleet-${randomBytes(6).toString('hex')}`;
  await withSqlConnection(target(primary), async (client) => {
    await client.query(
      'CREATE TABLE IF NOT EXISTS pgfleet_lab_check (id bigserial PRIMARY KEY, marker text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())',
    );
    await client.query('INSERT INTO pgfleet_lab_check (marker) VALUES ($1)', [marker]);
  });
  const written = Date.now();
  const found = await withSqlConnection(target(replica), async (client) => {
    while (Date.now() - written < timeoutMs) {
      const inRecovery = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
      if (!inRecovery.rows[0]?.r)
        throw new PgfleetError('LAB_REPLICA_NOT_STANDBY', `${replica.name} is not in recovery: it is not a replica`);
      const table = await client.query<{ t: string | null }>(
        "SELECT to_regclass('public.pgfleet_lab_check')::text AS t",
      );
      if (table.rows[0]?.t) {
        const result = await client.query('SELECT 1 FROM pgfleet_lab_check WHERE marker = $1', [marker]);
        if (result.rowCount === 1) return true;
      }
      await sleep(100);
    }
    return false;
  });
  if (!found) {
    throw new PgfleetError(
      'LAB_NOT_REPLICATED',
      `row written on ${primary.name} not visible on ${replica.name} after ${timeoutMs / 1000} s`,
      { hint: 'check replication with `pgfleet lab status`', exitCode: 4 },
    );
  }
  return {
    scope: cluster.scope,
    primary: primary.name,
    replica: replica.name,
    marker,
    visibleAfterMs: Date.now() - written,
  };
}
