import { ExitCode } from '../../core/errors.js';
import type { V3MoveGateFailure } from '../../core/migration/etcd-v3-gates.js';
import { hostsToAct } from '../../core/migration/etcd-v3-host-steps.js';
import type { ClusterMoveRecord } from '../../core/migration/etcd-v3-run.js';
import type { V3MovePlan } from './v3-move-facts.js';

/** What `etcd v3 migrate` and `rollback` report, cluster by cluster. */
export type ClusterOutcome = 'moved' | 'rolled-back' | 'rollback-failed' | 'refused' | 'not-started';

export interface ClusterMoveResult {
  cluster: string;
  outcome: ClusterOutcome;
  detail: string;
  gateFailures?: V3MoveGateFailure[] | undefined;
  record?: ClusterMoveRecord | undefined;
}

export interface V3MoveReport {
  outcome: 'moved' | 'nothing-to-do' | 'declined' | 'partial';
  run?: string | undefined;
  /** The id of an interrupted run this one finished first. */
  finishedInterruptedRun?: string | undefined;
  clusters: ClusterMoveResult[];
  plan: PlanSummary;
}

export type PlanSummary = ReturnType<typeof summarizePlan>;

export interface V3RollbackReport {
  run: string | undefined;
  clusters: ClusterMoveResult[];
}

/** The exit code of a finished run: 0 all moved, 1 some refused at the gates, 3 some rolled back, 4 a rollback failed. */
export function exitCodeOf(report: V3MoveReport): number {
  const outcomes = new Set(report.clusters.map((cluster) => cluster.outcome));
  if (outcomes.has('rollback-failed')) return ExitCode.failed;
  if (outcomes.has('rolled-back')) return ExitCode.rolledBack;
  if (outcomes.has('refused') || outcomes.has('not-started') || report.outcome === 'declined') return ExitCode.findings;
  return ExitCode.ok;
}

export function resultOf(record: ClusterMoveRecord): ClusterMoveResult {
  const outcome: ClusterOutcome =
    record.step === 'moved' ? 'moved' : record.step === 'rollback-failed' ? 'rollback-failed' : 'rolled-back';
  return {
    cluster: record.cluster,
    outcome,
    detail:
      outcome === 'moved'
        ? `on etcd3 with the same leader (${record.leader}), its v2 keys removed`
        : (record.detail ?? record.step),
    record,
  };
}

export function summarizePlan(plan: V3MovePlan) {
  return {
    clusters: plan.clusters.map((cluster) => ({
      cluster: cluster.facts.cluster,
      leader: cluster.facts.leader,
      members: cluster.facts.members.map((member) => ({
        name: member.name,
        role: member.status?.role,
        timeline: member.status?.timeline,
        configFile: member.local?.configFile,
        adopted: member.local?.adopted,
      })),
      /** Members on other hosts: each moved by `pgfleet etcd v3 migrate --host-only` there, in this order. */
      hostSteps: cluster.facts.leader
        ? hostsToAct(
            cluster.facts.cluster,
            cluster.facts.members.map((member) => ({
              name: member.name,
              apiUrl: member.apiUrl,
              local: member.local !== undefined,
            })),
            cluster.facts.leader,
          )
        : [],
      copy: cluster.facts.keys.copy.map((entry) => entry.key),
      leftToPatroni: cluster.facts.keys.leftToPatroni,
      gateFailures: cluster.gateFailures,
    })),
    movable: plan.clusters.filter((cluster) => cluster.gateFailures.length === 0).length,
    blocked: plan.clusters.filter((cluster) => cluster.gateFailures.length > 0).length,
  };
}
