import { ExitCode, PgfleetError } from '../../core/errors.js';
import {
  type ClusterMoveResult,
  type V3MoveReport,
  type V3RollbackReport,
  resultOf,
  summarizePlan,
} from './v3-move-report.js';
import type { Confirmation } from '../../core/operation-outcome.js';
import {
  type ClusterMoveRecord,
  ETCD_V3_MIGRATION_KEY,
  type EtcdV3RunState,
  clusterRecovery,
  clustersInFlight,
  interruptedV3Run,
} from '../../core/migration/etcd-v3-run.js';
import { openRunEnvelope } from '../../core/migration/run-envelope.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import type { RunLock } from '../../adapters/etcd/run-lock.js';
import { V2Keys } from '../../adapters/etcd/v2-keys.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { type RunIdentity, RunStateStore, asGuardedRun } from '../../fleet/run-state-store.js';
import {
  type ClusterMoveContext,
  type MoveMilestone,
  finishMovedCluster,
  moveCluster,
  rollBackCluster,
} from './cluster-move.js';
import { type V3MovePlanOptions, planV3Move } from './v3-move-facts.js';
import { renderV3Plan } from './v3-text.js';
import { type V3MoveFleet, reachingHostMembers } from './v3-move-fleet.js';

export interface MigrateToV3Options extends V3MovePlanOptions {
  confirm: Confirmation;
  progress: (message: string) => void;
  /** How long a restarted member has to come back and write (default 60 s). */
  memberTimeoutMs?: number | undefined;
  /** How long the coordinator waits for a member's host to carry out its step (`--host-only` there; default 300 s). */
  hostTimeoutMs?: number | undefined;
  /** Called after each milestone of a cluster's move (tests kill their coordinator there). */
  afterMilestone?: ((cluster: string, milestone: MoveMilestone) => Promise<void>) | undefined;
}

/** How long a coordinator waits for a member's host, unless told (`--host-timeout`). */
const DEFAULT_HOST_TIMEOUT_MS = 300_000;

/**
 * `etcd v3 migrate`: the fleet's one guarded run. An interrupted earlier run
 * is finished first (after the confirmation). Then the plan: each cluster
 * still on v2 with its gates. The clusters that pass move one after the
 * other, in name order; one that fails is rolled back and the next one still
 * moves (clusters share nothing but etcd); a rollback that fails stops the
 * run there, that cluster left paused.
 */
export async function migrateToEtcdV3(fleet: V3MoveFleet, options: MigrateToV3Options): Promise<V3MoveReport> {
  return withFleetClients(reachingHostMembers(fleet), ({ admin, rest }) =>
    asGuardedRun(admin, 'etcd-v3-migrate', undefined, async (lock, identity) => {
      const store = new RunStateStore<EtcdV3RunState>(admin, ETCD_V3_MIGRATION_KEY, lock);
      const unfinished = interruptedV3Run(await store.read().catch(() => undefined));
      if (unfinished) {
        options.progress(describeInterrupted(unfinished));
        if (
          !(await options.confirm(
            'finish the interrupted run (roll its clusters in flight back), then plan and move again?',
          ))
        )
          return { outcome: 'declined', clusters: [], plan: { clusters: [], blocked: 0, movable: 0 } };
        await finishInterruptedRun(unfinished, fleet, admin, rest, lock, options.progress, options.hostTimeoutMs);
      }
      const plan = await planV3Move(fleet, admin, rest, options);
      const summary = summarizePlan(plan);
      options.progress(renderV3Plan(plan));
      const movable = plan.clusters.filter((cluster) => cluster.gateFailures.length === 0);
      const refused = plan.clusters
        .filter((cluster) => cluster.gateFailures.length > 0)
        .map((cluster): ClusterMoveResult => ({
          cluster: cluster.facts.cluster,
          outcome: 'refused',
          detail: cluster.gateFailures.map((failure) => failure.message).join('; '),
          gateFailures: cluster.gateFailures,
        }));
      const base = unfinished ? { finishedInterruptedRun: unfinished.id } : {};
      if (plan.clusters.length === 0) return { ...base, outcome: 'nothing-to-do', clusters: [], plan: summary };
      if (movable.length === 0)
        throw new PgfleetError(
          'V3_MIGRATE_BLOCKED',
          `every cluster still on etcd v2 is refused at the gates (see above): nothing was changed`,
          {
            hint: 'fix what each gate names, then run again; `pgfleet etcd v3 plan` shows it again',
            exitCode: ExitCode.findings,
            details: { clusters: refused },
          },
        );
      if (
        !unfinished &&
        !(await options.confirm(
          `move ${movable.map((cluster) => cluster.facts.cluster).join(', ')} to etcd v3 (pause, copy keys, rewrite YAML, restart Patroni, resume)?`,
        ))
      )
        return { ...base, outcome: 'declined', clusters: refused, plan: summary };

      const v2 = new V2Keys({ endpoints: fleet.endpoints, tls: fleet.tls });
      const run = runRecorder(store, identity);
      try {
        await run.open();
        const ctx: ClusterMoveContext = {
          fleet,
          admin,
          rest,
          v2,
          progress: options.progress,
          save: (record) => run.saveCluster(record),
          afterMilestone: options.afterMilestone,
          memberTimeoutMs: options.memberTimeoutMs ?? 60_000,
          hostSteps: {
            run: identity.id,
            writer: identity.id,
            timeoutMs: options.hostTimeoutMs ?? DEFAULT_HOST_TIMEOUT_MS,
          },
        };
        const results: ClusterMoveResult[] = [...refused];
        let stopped: ClusterMoveRecord | undefined;
        for (const cluster of movable) {
          if (stopped) {
            results.push({
              cluster: cluster.facts.cluster,
              outcome: 'not-started',
              detail: `the run stopped at ${stopped.cluster}`,
            });
            continue;
          }
          const record = await moveCluster(cluster, ctx);
          results.push(resultOf(record));
          if (record.step === 'rollback-failed') stopped = record;
        }
        await run.close(stopped ? 'stopped' : 'finished');
        return {
          ...base,
          outcome: results.every((result) => result.outcome === 'moved') ? 'moved' : 'partial',
          run: identity.id,
          clusters: results.sort((a, b) => a.cluster.localeCompare(b.cluster)),
          plan: summary,
        };
      } finally {
        await v2.close();
      }
    }),
  );
}

/**
 * `etcd v3 rollback`: finishes an interrupted run. Each cluster caught
 * before its verification on v3 goes back to v2 (YAML, restarts while
 * paused, resume in v2, v3 copies removed); one already verified on v3 is
 * finished there (resume, v2 keys removed). Clusters the run had moved stay
 * on v3.
 */
export async function rollBackEtcdV3(
  fleet: V3MoveFleet,
  progress: (message: string) => void,
  hostTimeoutMs?: number | undefined,
): Promise<V3RollbackReport> {
  return withFleetClients(reachingHostMembers(fleet), ({ admin, rest }) =>
    asGuardedRun(admin, 'etcd-v3-rollback', undefined, async (lock) => {
      const store = new RunStateStore<EtcdV3RunState>(admin, ETCD_V3_MIGRATION_KEY, lock);
      const unfinished = interruptedV3Run(await store.read().catch(() => undefined));
      if (!unfinished) return { run: undefined, clusters: [] };
      progress(describeInterrupted(unfinished));
      const records = await finishInterruptedRun(unfinished, fleet, admin, rest, lock, progress, hostTimeoutMs);
      return { run: unfinished.id, clusters: records.map(resultOf) };
    }),
  );
}

/** Each cluster in flight rolled back (or finished on v3 when it was verified there); the run recorded as stopped. */
async function finishInterruptedRun(
  state: EtcdV3RunState,
  fleet: V3MoveFleet,
  admin: EtcdClient,
  rest: FleetRestClients,
  lock: RunLock,
  progress: (message: string) => void,
  hostTimeoutMs: number | undefined,
): Promise<ClusterMoveRecord[]> {
  const store = new RunStateStore<EtcdV3RunState>(admin, ETCD_V3_MIGRATION_KEY, lock);
  let current: EtcdV3RunState = { ...state };
  const v2 = new V2Keys({ endpoints: fleet.endpoints, tls: fleet.tls });
  const finished: ClusterMoveRecord[] = [];
  try {
    const ctx: ClusterMoveContext = {
      fleet,
      admin,
      rest,
      v2,
      progress,
      save: async (record) => {
        current = withCluster(current, record);
        await store.save(current);
      },
      memberTimeoutMs: 60_000,
      // Members on other hosts are put back (or finished) by their hosts' `--host-only`, asked under the run's id.
      hostSteps: { run: state.id, writer: lock.holder.runId, timeoutMs: hostTimeoutMs ?? DEFAULT_HOST_TIMEOUT_MS },
    };
    let failed = false;
    for (const record of clustersInFlight(state)) {
      const recovery = clusterRecovery(record);
      progress(
        recovery.kind === 'finish'
          ? `${record.cluster}: was verified on v3 (${record.step}): finishing the move`
          : `${record.cluster}: was interrupted at ${record.step}: rolling it back to v2`,
      );
      const done =
        recovery.kind === 'finish'
          ? await finishMovedCluster(record, ctx)
          : await rollBackCluster(
              { ...record, detail: `${record.detail ? `${record.detail}; ` : ''}interrupted at ${record.step}` },
              ctx,
            );
      finished.push(done);
      if (done.step === 'rollback-failed') failed = true;
    }
    current = {
      ...current,
      phase: 'stopped',
      updatedAt: new Date().toISOString(),
      failures: [...current.failures, `interrupted; finished by a later run${failed ? ', a rollback failed' : ''}`],
    };
    await store.save(current);
  } finally {
    await v2.close();
  }
  return finished;
}

function runRecorder(store: RunStateStore<EtcdV3RunState>, identity: RunIdentity) {
  let state: EtcdV3RunState = { ...openRunEnvelope<EtcdV3RunState['phase']>('moving', identity), clusters: [] };
  return {
    open: async (): Promise<void> => {
      state = await store.save(state);
    },
    saveCluster: async (record: ClusterMoveRecord): Promise<void> => {
      state = await store.save(withCluster(state, record));
    },
    close: async (phase: 'finished' | 'stopped'): Promise<void> => {
      state = await store.save({ ...state, phase, updatedAt: new Date().toISOString() });
    },
  };
}

/** The state with one cluster's record replaced (or added), its pause bookkeeping in the envelope. */
function withCluster(state: EtcdV3RunState, record: ClusterMoveRecord): EtcdV3RunState {
  const clusters = [...state.clusters.filter((entry) => entry.cluster !== record.cluster), record];
  const pausedByUs = clusters
    .filter((entry) => entry.pausedByUs && !['moved', 'rolled-back', 'removing-v2'].includes(entry.step))
    .map((entry) => entry.cluster)
    .sort();
  const failures = clusters
    .filter((entry) => entry.step === 'rolled-back' || entry.step === 'rollback-failed')
    .map((entry) => `${entry.cluster}: ${entry.detail ?? entry.step}`);
  return { ...state, clusters, pausedByUs, failures, updatedAt: new Date().toISOString() };
}

function describeInterrupted(state: EtcdV3RunState): string {
  const inFlight = clustersInFlight(state);
  return `an etcd v3 migrate run (${state.id}, coordinator ${state.coordinator.host} pid ${state.coordinator.pid}) was interrupted: ${inFlight.map((record) => `${record.cluster} at ${record.step}`).join(', ') || 'no cluster in flight'}`;
}
