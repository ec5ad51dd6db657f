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
  /** Members found on this host that belong to another etcd or namespace: not this fleet's, not counted above. */
  leftAlone: Array<{ configFile: string; reason: string }>;
  lastRun: EtcdV3RunState | undefined;
  /** The last run is going on now (its coordinator holds the run lock). */
  running: boolean;
  /** The last run stopped before its end: `etcd v3 rollback` (or `migrate`) finishes it. */
  interrupted: boolean;
  inFlight: Array<{ cluster: string; step: string; recovery: ClusterRecovery['kind'] }>;
  /** What is left to do, if anything. */
  nextStep: string | undefined;
}

/**
 * Once nothing is left on v2: a member still on `etcd:` somewhere (a stopped
 * one no gate saw) would find an empty v2 directory and initialize a cluster
 * of its own; without --enable-v2 it gets 404 and waits on etcd instead.
 */
export const DROP_V2_STEP =
  'no Patroni cluster is left on the v2 API: once every host says so (`pgfleet etcd v3 status` there shows no member on etcd:), restart each etcd member without --enable-v2, one at a time: a member still on etcd: then waits on etcd (404) instead of starting a cluster of its own in an empty v2 keyspace, and etcd 3.6 (which has no v2) can follow';

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
        leftAlone: [...(fleet.leftAlone ?? [])],
        lastRun,
        running,
        interrupted: lastRun !== undefined && !isTerminalV3Phase(lastRun.phase) && !running,
        inFlight,
        nextStep: served.served && clusters.size === 0 && !running ? DROP_V2_STEP : undefined,
      };
    });
  } finally {
    await v2.close();
  }
}
