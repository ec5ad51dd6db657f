import { PGFLEET_PREFIX } from './readiness-record.js';
import type { RunEnvelope } from './run-envelope.js';

/**
 * The state of an `etcd v3 migrate` run, kept in etcd (v3) so that any host
 * can see it (`etcd v3 status`) and finish an interrupted run (`etcd v3
 * rollback`, or the next `migrate`). Clusters move one after the other;
 * each one's record says how far it got, and every step is recorded before
 * it is taken, so a record never claims less than was done.
 */
export type EtcdV3RunPhase = 'gates' | 'moving' | 'finished' | 'stopped';

export type ClusterMoveStep =
  /** Pausing the cluster through its members' REST API (the pause is written to the v2 config). */
  | 'pausing'
  /** Copying its durable keys to v3 (one transaction). */
  | 'copying'
  /** Rewriting members' YAML, `etcd:` → `etcd3:`. */
  | 'rewriting'
  /** Restarting members' Patroni on the v3 section, leader first. */
  | 'restarting'
  /** Waiting for a member's host to move it (`etcd v3 migrate --host-only` there), in the same order. */
  | 'awaiting-hosts'
  /** Every member registered in v3, the same leader holding the leader key, timelines unchanged, each member writing. */
  | 'verifying'
  /** Verified: resuming in v3. From here an interrupted run finishes the move instead of rolling it back. */
  | 'resuming'
  /** Resumed: the cluster's v2 keys are being removed. */
  | 'removing-v2'
  | 'moved'
  | 'rolling-back'
  | 'rolled-back'
  /** The rollback failed too: the cluster stays paused for an operator. */
  | 'rollback-failed';

export interface MemberMoveRecord {
  /** The member's name in its cluster. */
  name: string;
  /** Its YAML on the host that moves it ('' for a member on another host until that host answers). */
  configFile: string;
  /** The REST API it registered: how the coordinator reaches it, and how its host recognises it. */
  apiUrl?: string | undefined;
  /** Its YAML is on another host: that host's `--host-only` step rewrites and restarts it. */
  remote?: boolean | undefined;
  /** Keys the rewrite added under `etcd3:` (credentials where v3 auth is on): a rollback removes them. */
  addedKeys: string[];
  /** Recorded before its YAML is written: the file may say `etcd3:`. */
  rewritten: boolean;
  /** Recorded before its Patroni is restarted: it may run on v3. */
  restarted: boolean;
}

export interface ClusterMoveRecord {
  /** `<namespace><scope>`, as the envelope's pausedByUs lists it. */
  cluster: string;
  namespace: string;
  scope: string;
  step: ClusterMoveStep;
  /** The member that held the leader key before the move; it must hold it after. */
  leader: string;
  /** Each member's timeline before the move. */
  timelines: Record<string, number>;
  /** Whether this run paused the cluster (one an operator paused stays paused). */
  pausedByUs: boolean;
  /** The v3 keys the copy wrote. */
  copiedKeys: string[];
  members: MemberMoveRecord[];
  /** Why it rolled back, or what is left. */
  detail?: string | undefined;
}

export interface EtcdV3RunState extends RunEnvelope<EtcdV3RunPhase> {
  clusters: ClusterMoveRecord[];
}

export const ETCD_V3_MIGRATION_KEY = `${PGFLEET_PREFIX}migrations/etcd-v3`;

export function isTerminalV3Phase(phase: EtcdV3RunPhase): boolean {
  return phase === 'finished' || phase === 'stopped';
}

/** A run whose coordinator stopped before it finished (read while holding the run lock: its holder is gone). */
export function interruptedV3Run(state: EtcdV3RunState | undefined): EtcdV3RunState | undefined {
  return state && !isTerminalV3Phase(state.phase) ? state : undefined;
}

export type ClusterRecovery =
  | { kind: 'none' }
  /** Verified on v3 before the run stopped: resume there (when this run paused it) and remove the v2 keys. */
  | { kind: 'finish'; resume: boolean }
  /** Anything earlier: YAML back to `etcd:`, restarts while paused, resume in v2, v3 copies removed. */
  | { kind: 'roll-back' };

/** What finishing a cluster left mid-move takes. */
export function clusterRecovery(record: Pick<ClusterMoveRecord, 'step' | 'pausedByUs'>): ClusterRecovery {
  switch (record.step) {
    case 'moved':
    case 'rolled-back':
      return { kind: 'none' };
    case 'resuming':
      return { kind: 'finish', resume: record.pausedByUs };
    case 'removing-v2':
      return { kind: 'finish', resume: false };
    default:
      return { kind: 'roll-back' };
  }
}

/** Clusters of a run that are neither moved nor rolled back. */
export function clustersInFlight(state: Pick<EtcdV3RunState, 'clusters'>): ClusterMoveRecord[] {
  return state.clusters.filter((record) => clusterRecovery(record).kind !== 'none');
}

/** The order a cluster's members are restarted in: the leader first, so every replica arriving on v3 finds its leader there. */
export function v3RestartOrder<T extends { name: string }>(members: readonly T[], leader: string): T[] {
  return [...members].sort(
    (a, b) => Number(b.name === leader) - Number(a.name === leader) || a.name.localeCompare(b.name),
  );
}
