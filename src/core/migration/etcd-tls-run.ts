import type { FleetMember } from './fleet-member.js';
import type { RunEnvelope } from './run-envelope.js';
import { PGFLEET_PREFIX } from './readiness-record.js';

/**
 * The state of an `etcd tls migrate` run, kept in etcd so an interrupted run
 * can be seen (`etcd tls status`) and finished by the next run: the member
 * in flight gets its previous YAML back, the cluster paused is resumed.
 */
export type EtcdTlsRunPhase = 'gates' | 'migrating' | 'migrated' | 'stopped';

/** Where one member stands while it is moved. */
export type EtcdTlsMemberStep = 'backed-up' | 'written' | 'restarting' | 'restoring';

export type EtcdTlsMemberOutcome =
  /** YAML rewritten, Patroni restarted, back and writing to the DCS over https. */
  | 'migrated'
  /** Its YAML already said what the settings say. */
  | 'already-on-https'
  /** It did not come back on https: previous YAML restored, Patroni restarted, writing again. */
  | 'restored'
  /** Restoring failed too: needs an operator now. */
  | 'restore-failed'
  /** The run stopped before reaching it. */
  | 'not-touched'
  /** Managed on another host: run the migration there. */
  | 'other-host';

export interface EtcdTlsMemberResult {
  member: string;
  outcome: EtcdTlsMemberOutcome;
  detail: string;
  /** From stopping Patroni to the member writing again. */
  elapsedMs?: number | undefined;
  /** The postmaster that ran before the restart still runs (same pid and start time). */
  postmasterKept?: boolean | undefined;
}

export interface EtcdTlsInFlight {
  member: string;
  configFile: string;
  backupFile: string;
  step: EtcdTlsMemberStep;
}

export interface EtcdTlsRunState extends RunEnvelope<EtcdTlsRunPhase> {
  inFlight?: EtcdTlsInFlight | undefined;
  members: EtcdTlsMemberResult[];
}

export const ETCD_TLS_MIGRATION_KEY = `${PGFLEET_PREFIX}migrations/etcd-tls`;
export const ETCD_TLS_READINESS_PREFIX = `${PGFLEET_PREFIX}readiness/etcd-tls/`;

/** Written once a member writes to the DCS over https; no secret, only where it connects. */
export interface EtcdTlsReadinessRecord {
  namespace: string;
  scope: string;
  member: string;
  hosts: string[];
  configSha256: string;
  host: string;
  migratedAt: string;
}

export function etcdTlsReadinessKey(member: Pick<FleetMember, 'namespace' | 'scope' | 'name'>): string {
  return `${PGFLEET_PREFIX}readiness/etcd-tls${member.namespace}${member.scope}/${member.name}`;
}

export function isTerminalTlsPhase(phase: EtcdTlsRunPhase): boolean {
  return phase === 'migrated' || phase === 'stopped';
}

export function interruptedTlsRun(state: EtcdTlsRunState | undefined): EtcdTlsRunState | undefined {
  return state && !isTerminalTlsPhase(state.phase) ? state : undefined;
}

export type EtcdTlsRecoveryStep =
  | { kind: 'restore-member'; member: string; configFile: string; backupFile: string }
  | { kind: 'drop-backup'; member: string; backupFile: string }
  | { kind: 'resume'; clusters: string[] };

/**
 * What finishing an interrupted run takes: a member whose YAML may have
 * changed gets its backup back (and a restart); one only backed up loses
 * the backup; then the clusters the run paused are resumed.
 */
export function tlsRecoverySteps(state: EtcdTlsRunState): EtcdTlsRecoveryStep[] {
  const steps: EtcdTlsRecoveryStep[] = [];
  const flight = state.inFlight;
  if (flight) {
    if (flight.step === 'backed-up')
      steps.push({ kind: 'drop-backup', member: flight.member, backupFile: flight.backupFile });
    else
      steps.push({
        kind: 'restore-member',
        member: flight.member,
        configFile: flight.configFile,
        backupFile: flight.backupFile,
      });
  }
  if (state.pausedByUs.length > 0) steps.push({ kind: 'resume', clusters: [...state.pausedByUs] });
  return steps;
}

function isLeaderRole(role: string | undefined): boolean {
  return role === 'master' || role === 'primary' || role === 'leader' || role === 'standby_leader';
}

/**
 * The order members of one cluster are moved in: replicas first (a problem
 * shows on a replica before the leader is touched), the leader last.
 */
export function tlsMemberOrder(members: FleetMember[]): FleetMember[] {
  return [...members].sort(
    (a, b) => Number(isLeaderRole(a.role)) - Number(isLeaderRole(b.role)) || a.name.localeCompare(b.name),
  );
}

/** One line per outcome kind: "3 migrated, 1 restored". */
export function summarizeTlsOutcomes(results: EtcdTlsMemberResult[]): string {
  const counts = new Map<EtcdTlsMemberOutcome, number>();
  for (const result of results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  return [...counts.entries()].map(([outcome, count]) => `${count} ${outcome}`).join(', ') || 'no member';
}
