import type { FleetMember } from './fleet-member.js';
import { PGFLEET_PREFIX } from './readiness-record.js';
import type { RunEnvelope } from './run-envelope.js';

/**
 * The state of an `etcd tenants rotate` run, kept in etcd so that `status`
 * shows a rotation under way from any host and `--rollback` (or the next
 * run) finishes one whose coordinator died.
 *
 * The password changes in place (`changepw`), never through a second user:
 * measured on etcd 3.4.23 with simple tokens (bench/rotation-token-window.ts),
 * both schemes cost each member exactly one "invalid auth token" that
 * Patroni 3.0.2 answers by authenticating again, with no refused DCS write;
 * the second-user scheme makes three auth-store changes instead of one (each
 * can fail writes in flight of every tenant with "revision of auth store is
 * old") and breaks the one-user-per-cluster naming.
 */
export type RotationPhase = 'gates' | 'rotating' | 'awaiting-hosts' | 'rolling-back' | 'rotated' | 'rolled-back';

/**
 * Where one cluster stands. Each step is recorded before it is carried out,
 * so a coordinator killed in a step leaves a state that says what may have
 * changed.
 */
export type RotationClusterStep =
  | 'pending'
  /** Pausing the cluster (so no member demotes on a DCS error). */
  | 'pausing'
  /** The new password goes into the tenant's file; the old one into `<file>.previous`. */
  | 'staging'
  /** The new password goes into the YAML of each member of this host. */
  | 'writing'
  /** Each member of this host reloads; the reload is proven from its log. */
  | 'reloading'
  /** Members on other hosts need `rotate --host-only` there (the cluster stays paused). */
  | 'awaiting-hosts'
  /** `changepw` in etcd: from here on etcd may hold the new password. */
  | 'changing'
  /** Old password refused, new one accepted, every member writes to the DCS, the tenant probed. */
  | 'verifying'
  | 'resuming'
  | 'rotated'
  /** Rolling back: the old password back in the YAMLs, in etcd and in the file. */
  | 'restoring'
  | 'rolled-back';

export interface RotationClusterState {
  /** `<namespace><scope>` */
  cluster: string;
  user: string;
  step: RotationClusterStep;
  /** The tenant's 0600 password file on the coordinator's host, and where the old password is kept. */
  passwordFile: string;
  previousFile: string;
  /** Members whose YAML this host writes, and members managed elsewhere (ids). */
  localMembers: string[];
  otherMembers: string[];
  /** The member and file a failure is about, and what happened, once something failed. */
  failure?: string | undefined;
}

export interface RotationState extends RunEnvelope<RotationPhase> {
  clusters: RotationClusterState[];
}

export const ROTATION_KEY = `${PGFLEET_PREFIX}migrations/rotation`;
export const ROTATION_READINESS_PREFIX = `${PGFLEET_PREFIX}readiness/rotation/`;

/**
 * What a host records once its members hold a tenant's new password and
 * reloaded it (`rotate --host-only`, or the coordinator for its own members).
 * No password: a SHA-256 of user and password, which the coordinator
 * compares with the file it generated.
 */
export interface RotationReadinessRecord {
  namespace: string;
  scope: string;
  member: string;
  username: string;
  passwordSha256: string;
  configSha256: string;
  host: string;
  recordedAt: string;
}

export function rotationReadinessKey(member: Pick<FleetMember, 'namespace' | 'scope' | 'name'>): string {
  return `${PGFLEET_PREFIX}readiness/rotation${member.namespace}${member.scope}/${member.name}`;
}

const TERMINAL: readonly RotationPhase[] = ['rotated', 'rolled-back'];

/** A run that stopped in the middle: its coordinator died, or it failed to roll back. */
export function interruptedRotation(state: RotationState | undefined): RotationState | undefined {
  return state && !TERMINAL.includes(state.phase) && state.phase !== 'awaiting-hosts' ? state : undefined;
}

/** A run waiting for `rotate --host-only` on other hosts: the next `rotate` of the same clusters goes on with it. */
export function awaitingRotation(state: RotationState | undefined): RotationState | undefined {
  return state?.phase === 'awaiting-hosts' ? state : undefined;
}

const ORDER: readonly RotationClusterStep[] = [
  'pending',
  'pausing',
  'staging',
  'writing',
  'reloading',
  'awaiting-hosts',
  'changing',
  'verifying',
  'resuming',
  'rotated',
];

/** Whether a cluster got as far as `step` (a rollback under way counts as past every step it may have left). */
export function reached(cluster: Pick<RotationClusterState, 'step'>, step: RotationClusterStep): boolean {
  if (cluster.step === 'restoring') return true;
  return ORDER.indexOf(cluster.step) >= ORDER.indexOf(step);
}

/** What finishing (rolling back) one cluster of an interrupted or failed run takes. */
export interface ClusterRestore {
  cluster: string;
  /** The old password goes back into the local YAMLs (each one that does not hold it). */
  yamls: boolean;
  /** etcd may hold the new password: `changepw` back to the old one (after the YAMLs). */
  etcd: boolean;
  /** The tenant's file gets the old password back from `<file>.previous`. */
  file: boolean;
  /** The cluster was paused by the run: resume it once restored. */
  resume: boolean;
}

/**
 * For a run that must be rolled back: per cluster not finished either way,
 * what to undo. A rotated cluster stays rotated (etcd, file and YAMLs agree
 * on the new password); a pending one was never touched.
 */
export function restoreSteps(state: Pick<RotationState, 'clusters' | 'pausedByUs'>): ClusterRestore[] {
  return state.clusters
    .filter((cluster) => cluster.step !== 'pending' && cluster.step !== 'rotated' && cluster.step !== 'rolled-back')
    .map((cluster) => ({
      cluster: cluster.cluster,
      yamls: reached(cluster, 'writing'),
      etcd: reached(cluster, 'changing'),
      file: reached(cluster, 'staging'),
      resume: state.pausedByUs.includes(cluster.cluster),
    }));
}

/** One line per cluster: "/service/alpha: changing". */
export function describeRotationSteps(state: Pick<RotationState, 'clusters'>): string {
  return state.clusters.map((cluster) => `${cluster.cluster}: ${cluster.step}`).join(', ') || 'no cluster';
}
