import { parsePatroniKey } from '../../core/census/patroni-key.js';
import {
  type ClusterRecovery,
  type EtcdV3RunState,
  clusterRecovery,
  isTerminalV3Phase,
} from '../../core/migration/etcd-v3-run.js';
import { v2Directory } from '../../core/migration/etcd-v3-keys.js';
import { readRunLock } from '../../adapters/etcd/run-lock.js';
import { V2Keys } from '../../adapters/etcd/v2-keys.js';
import { withAdminClient } from '../../fleet/fleet-connection.js';
import { runLockHolderLive } from '../../fleet/run-state-store.js';
import type { V3MoveFleet } from './v3-move-fleet.js';
import { readEtcdV3RunState } from './v3-run-state.js';

export interface EtcdV3Status {
  v2: { served: boolean; authEnabled: boolean | undefined };
  /** Clusters whose Patroni keys are still in the v2 keyspace (configured namespaces). */
  v2Clusters: Array<{ cluster: string; leader: string | undefined; members: string[] }>;
  /** This host's members still on the `etcd:` section. */
  hostMembersOnV2: string[];
  lastRun: EtcdV3RunState | undefined;
  /** The last run is going on now (its coordinator holds the run lock). */
  running: boolean;
  /** The last run stopped before its end: `etcd v3 rollback` (or `migrate`) finishes it. */
  interrupted: boolean;
  inFlight: Array<{ cluster: string; step: string; recovery: ClusterRecovery['kind'] }>;
}

/** Where the fleet stands on its way off etcd's v2 API, and the last `etcd v3 migrate` run. */
export async function etcdV3Status(fleet: V3MoveFleet): Promise<EtcdV3Status> {
  const v2 = new V2Keys({ endpoints: fleet.endpoints, tls: fleet.tls });
  try {
    return await withAdminClient(fleet, async (admin) => {
      const served = await v2.served().catch(() => ({ served: false, authEnabled: undefined }));
      const keys = served.served
        ? (
            await Promise.all([...new Set(fleet.namespaces)].map((namespace) => v2.readTree(v2Directory(namespace))))
          ).flat()
        : [];
      const clusters = new Map<string, { cluster: string; leader: string | undefined; members: string[] }>();
      for (const entry of keys) {
        const shape = parsePatroniKey(entry.key);
        if (!shape || shape.citusGroup !== undefined) continue;
        const cluster = `${shape.namespace}${shape.scope}`;
        const known = clusters.get(cluster) ?? { cluster, leader: undefined, members: [] };
        if (shape.kind === 'leader') known.leader = entry.value;
        if (shape.kind === 'members' && shape.member) known.members.push(shape.member);
        clusters.set(cluster, known);
      }
      const lastRun = await readEtcdV3RunState(admin).catch(() => undefined);
      const lock = await readRunLock(admin).catch(() => undefined);
      // A holder killed on this host (or one that stopped renewing) keeps its lease for a few seconds: not running.
      const running = lastRun !== undefined && lock?.holder?.runId === lastRun.id && runLockHolderLive(lock);
      const inFlight = (lastRun?.clusters ?? [])
        .map((record) => ({ cluster: record.cluster, step: record.step, recovery: clusterRecovery(record).kind }))
        .filter((entry) => entry.recovery !== 'none');
      return {
        v2: served,
        v2Clusters: [...clusters.values()].sort((a, b) => a.cluster.localeCompare(b.cluster)),
        hostMembersOnV2: fleet.hostMembers
          .filter((member) => member.instance.config.etcd !== undefined && member.instance.config.etcd3 === undefined)
          .map((member) => `${member.instance.namespace}${member.instance.scope}/${member.instance.node}`)
          .sort(),
        lastRun,
        running,
        interrupted: lastRun !== undefined && !isTerminalV3Phase(lastRun.phase) && !running,
        inFlight,
      };
    });
  } finally {
    await v2.close();
  }
}
