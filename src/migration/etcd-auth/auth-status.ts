import type { TokenType } from '../../core/migration/enforce-gates.js';
import { type EnforceState, isTerminal } from '../../core/migration/enforce-state.js';
import { memberId } from '../../core/migration/fleet-member.js';
import {
  type MigrationStanding,
  migrationStanding,
  recordVersusFleet,
} from '../../core/migration/migration-standing.js';
import type { RunLockView } from '../../core/migration/run-lock-record.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { coordinatorProcess, readRunLockView } from '../../fleet/run-state-store.js';
import { ROTATION_KEY, type RotationState } from '../../core/migration/rotation-run.js';
import { RunStateStore } from '../../fleet/run-state-store.js';
import { readEnforceState } from './enforce-state-store.js';
import { type EtcdEndpointFacts, collectFleetFacts } from './fleet-facts.js';
import { clusterKey } from '../../fleet/fleet-rest.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';

export interface MemberAuthStatus {
  member: string;
  cluster: string;
  where: 'this host' | 'another host';
  role: string | undefined;
  state: string | undefined;
  patroniVersion: string | undefined;
  /** What its REST API says now (GET /patroni); undefined when it did not answer. */
  paused: boolean | undefined;
  /** Why its REST API did not answer. */
  unreachable: string | undefined;
  tenantUser: string | undefined;
  /** What `apply` recorded for it (never a password). */
  readiness: { username: string; host: string; appliedAt: string } | null;
  /** Applied with its cluster's tenant. */
  applied: boolean;
  /** Applied AND answering now: what enforce needs of every member. */
  ready: boolean;
  /** Its DCS write probe in the last enforce run. */
  lastProbe: { ok: boolean; detail: string } | null;
}

export interface EtcdAuthStatus {
  authEnabled: boolean;
  tokenType: TokenType;
  etcdVersion: string | undefined;
  etcd: EtcdEndpointFacts[];
  members: MemberAuthStatus[];
  /** Clusters at least one member reports paused, read from the members at the time of the call. */
  pausedClusters: string[];
  /** The run lock read at the time of the call: null when no run holds it. */
  runLock: RunLockView | null;
  standing: MigrationStanding;
  /** Where the last run's record and the fleet read now disagree. */
  disagreements: string[];
  /** The last enforce run's record, as that run wrote it. */
  lastRun: EnforceState | null;
  /** The last tenant password rotation (`etcd tenants rotate`), whatever its phase. */
  rotation: RotationState | null;
}

/**
 * `etcd auth status`: is auth on, token type, etcd version(s), each member's
 * Patroni version, pause state and readiness read from the members now, the
 * run lock, and where the migration stands (including a run interrupted on
 * any host). The last run's record is shown as the record; where it and the
 * fleet disagree, status says so. Reads only.
 */
export async function etcdAuthStatus(connection: FleetConnection): Promise<EtcdAuthStatus> {
  return withFleetClients(connection, async ({ admin, rest }) => {
    // The record and the lock first, the fleet after: a run that moves on meanwhile shows as fleet ahead of record.
    const lastRun = await readEnforceState(admin);
    const runLock = await readRunLockView(admin);
    const facts = await collectFleetFacts(connection, admin, rest);
    const probes = new Map((lastRun?.probes ?? []).map((probe) => [probe.member, probe]));
    const members = facts.members.map((member): MemberAuthStatus => {
      const id = memberId(member);
      const live = facts.live.get(id);
      const record = facts.readiness.get(id);
      const tenantUser = facts.tenantUsers.get(clusterKey(member));
      const probe = probes.get(id);
      const applied = record !== undefined && record.username === tenantUser;
      return {
        member: id,
        cluster: clusterKey(member),
        where: member.managedHere ? 'this host' : 'another host',
        role: live?.role ?? member.role,
        state: live?.state,
        patroniVersion: live?.patroniVersion,
        paused: live?.paused,
        unreachable: facts.unreachable.get(id),
        tenantUser,
        readiness: record ? { username: record.username, host: record.host, appliedAt: record.appliedAt } : null,
        applied,
        ready: applied && !facts.unreachable.has(id),
        lastProbe: probe ? { ok: probe.ok, detail: probe.detail } : null,
      };
    });
    const pausedClusters = [...new Set(members.filter((m) => m.paused === true).map((m) => m.cluster))].sort();
    const clustersRead = [...new Set(members.map((m) => m.cluster))].filter((cluster) =>
      members.every((m) => m.cluster !== cluster || m.paused !== undefined),
    );
    const standing = migrationStanding({
      authEnabled: facts.authEnabled,
      readyMembers: members.filter((member) => member.ready).length,
      totalMembers: members.length,
      unreachableMembers: members.filter((m) => m.applied && m.unreachable !== undefined).map((m) => m.member),
      lastRun,
      lock: runLock,
      coordinatorProcess: lastRun && !isTerminal(lastRun.phase) ? coordinatorProcess(lastRun.coordinator) : undefined,
      pausedNow: pausedClusters,
    });
    return {
      authEnabled: facts.authEnabled,
      tokenType: facts.tokenType,
      etcdVersion: facts.etcdVersions[0],
      etcd: facts.etcd,
      members,
      pausedClusters,
      runLock: runLock ?? null,
      standing,
      // A run going on writes its record as it goes: the record lags behind the fleet by design then.
      disagreements:
        standing.stage === 'enforce-running' || standing.stage === 'run-in-progress'
          ? []
          : recordVersusFleet({ authEnabled: facts.authEnabled, lastRun, pausedNow: pausedClusters, clustersRead }),
      lastRun: lastRun ?? null,
      rotation: (await new RunStateStore<RotationState>(admin, ROTATION_KEY).read().catch(() => undefined)) ?? null,
    };
  });
}
