import type { AuthPlan } from '../../core/migration/auth-plan.js';
import { formatDuration, formatPhaseTimings } from '../../core/migration/phase-timings.js';
import { summarizePauseWindows } from '../../core/migration/pause-window.js';
import { describeRunLock } from '../../core/migration/run-lock-record.js';
import { describeRotationSteps } from '../../core/migration/rotation-run.js';
import { textTable } from '../../core/text-table.js';
import type { EtcdAuthStatus } from './auth-status.js';
import type { EnforceReport } from './enforce-report.js';
import { enforcedHeadline, renderCensusPlan, renderEnforceCensus } from './census-text.js';

/** Text of `etcd auth status`. */
export function renderAuthStatus(status: EtcdAuthStatus): string {
  const lines: string[] = [];
  const versions = [...new Set(status.etcd.flatMap((e) => (e.version ? [e.version] : [])))].join(', ') || 'unknown';
  lines.push(`etcd ${versions}: auth ${status.authEnabled ? 'ON' : 'off'}, ${status.tokenType} tokens`);
  for (const endpoint of status.etcd.filter((e) => e.down))
    lines.push(`  endpoint ${endpoint.endpoint} is down: ${endpoint.down}`);
  lines.push(`run lock: ${describeRunLock(status.runLock ?? undefined, new Date())}`);
  lines.push(
    `paused now (as the members report): ${status.pausedClusters.length > 0 ? status.pausedClusters.join(', ') : 'no cluster'}`,
  );
  lines.push(`migration: ${status.standing.stage} — ${status.standing.summary}`);
  if (status.standing.next) lines.push(`next: ${status.standing.next}`);
  if (status.lastRun) {
    const run = status.lastRun;
    lines.push(
      `record of the last enforce run ${run.id} (as that run wrote it): phase ${run.phase}, coordinator pid ${run.coordinator.pid} on ${run.coordinator.host}, updated ${run.updatedAt}${run.pausedByUs.length > 0 ? `, paused by it: ${run.pausedByUs.join(', ')}` : ''}`,
    );
    for (const failure of run.failures) lines.push(`  ${failure}`);
    for (const warning of run.warnings ?? []) lines.push(`  warning: ${warning}`);
  }
  for (const disagreement of status.disagreements) lines.push(`record and fleet disagree: ${disagreement}`);
  const rotation = status.rotation;
  if (rotation && rotation.phase !== 'rotated' && rotation.phase !== 'rolled-back')
    lines.push(
      `rotation under way: ${rotation.id} in phase ${rotation.phase} (${describeRotationSteps(rotation)}), coordinator ${rotation.coordinator.host} pid ${rotation.coordinator.pid}; \`pgfleet etcd tenants rotate --status\``,
    );
  lines.push('');
  lines.push(
    textTable(
      ['MEMBER', 'HOST', 'ROLE', 'PATRONI', 'PAUSED', 'TENANT', 'READY', 'LAST PROBE'],
      status.members.map((m) => [
        m.member,
        m.where === 'this host' ? 'here' : 'other',
        m.unreachable ? 'unreachable' : (m.role ?? '?'),
        m.patroniVersion ?? '?',
        m.paused === undefined ? '?' : m.paused ? 'yes' : 'no',
        m.tenantUser ?? '-',
        m.ready
          ? `yes (${m.readiness!.appliedAt})`
          : m.applied
            ? 'no: unreachable'
            : m.readiness
              ? `no: applied as ${m.readiness.username}`
              : 'no',
        m.lastProbe ? (m.lastProbe.ok ? 'wrote' : `FAILED: ${m.lastProbe.detail}`) : '-',
      ]),
    ),
  );
  return lines.join('\n');
}

/** Text of `etcd auth plan`. */
export function renderAuthPlan(plan: AuthPlan): string {
  const lines: string[] = [];
  for (const note of plan.notes) lines.push(`note: ${note}`);
  if (plan.clusters.length > 0) {
    lines.push(
      textTable(
        ['CLUSTER', 'MEMBERS', 'TENANT USER', 'ROLE'],
        plan.clusters.map((c) => [c.cluster, String(c.members), c.tenantUser ?? '-', c.tenantRole ?? '-']),
      ),
    );
    lines.push('');
  }
  lines.push(
    textTable(
      ['MEMBER', 'HOST', 'ROLE', 'PATRONI', 'STATUS'],
      plan.members.map((m) => [
        m.member,
        m.where === 'this host' ? 'here' : 'other',
        m.role ?? '?',
        m.patroniVersion ?? '?',
        m.status,
      ]),
    ),
  );
  const prepare = plan.clusters.flatMap((c) => c.actions);
  if (prepare.length > 0 || plan.actions.length > 0) {
    lines.push('', 'what will be done:');
    for (const action of plan.actions.filter((a) => a.startsWith('prepare'))) lines.push(`  ${action}`);
    for (const cluster of plan.clusters) for (const action of cluster.actions) lines.push(`  ${action}`);
    for (const member of plan.members)
      for (const action of member.actions.filter((a) => a.startsWith('apply') || a.startsWith('(')))
        lines.push(`  ${member.member}: ${action}`);
    for (const action of plan.actions.filter((a) => !a.startsWith('prepare'))) lines.push(`  ${action}`);
  }
  lines.push(...renderCensusPlan(plan.census));
  const memberBlockers = plan.members.flatMap((m) => m.blockers.map((b) => ({ ...b, subject: m.member })));
  if (plan.blocked) {
    lines.push('', 'BLOCKED: enforce would refuse; fix these first:');
    for (const blocker of [...plan.blockers, ...memberBlockers])
      lines.push(`  - ${blocker.subject}: ${blocker.message}`, `    → ${blocker.hint}`);
  } else if (!plan.authEnabled) {
    lines.push('', 'nothing blocks: `pgfleet etcd auth migrate` runs it (or prepare, apply, enforce one by one)');
  }
  return lines.join('\n');
}

/** Text of an `etcd auth enforce` report, enforced or rolled back. */
export function renderEnforceReport(report: EnforceReport): string {
  const { state } = report;
  const lines =
    report.outcome === 'enforced'
      ? [enforcedHeadline(report), ...renderEnforceCensus(report)]
      : [
          `rolled back: etcd auth was switched on, a probe failed, and it was switched off again after ${state.exposureWindowMs} ms`,
          ...state.failures.map((failure) => `  ${failure}`),
        ];
  if (report.carriedForward)
    lines[0] = `enforced: etcd auth is on; the interrupted run ${state.id} had passed every probe, and was carried forward (its clusters resumed)`;
  lines.push(`run ${state.id} on ${state.coordinator.host}, started ${state.startedAt}, finished ${state.updatedAt}`);
  if (report.timings && report.timings.length > 0) lines.push(`wall-clock time: ${formatPhaseTimings(report.timings)}`);
  if (report.pauseWindows && report.pauseWindows.length > 0) {
    const { maxMs, medianMs } = summarizePauseWindows(report.pauseWindows);
    lines.push(
      `clusters paused: ${report.pauseWindows.length}, each for ${formatDuration(medianMs)} (median), ${formatDuration(maxMs)} at most`,
    );
  }
  const down = state.endpointsDown;
  if (down.length > 0)
    lines.push(
      `${down.length === 1 ? 'one etcd endpoint was' : `${down.length} etcd endpoints were`} down during the run: ${down.join(', ')} (the others kept quorum)`,
    );
  for (const warning of state.warnings ?? []) lines.push(`warning: ${warning}`);
  if (report.recoveredInterruptedRun && !report.carriedForward)
    lines.push(`the interrupted run ${report.recoveredInterruptedRun} was rolled back first`);
  if (report.gateFailures.length > 0)
    lines.push(`gates skipped (--skip-gates): ${report.gateFailures.map((f) => f.message).join('; ')}`);
  for (const probe of state.probes) lines.push(`  ${probe.member}: ${probe.ok ? '' : 'FAILED: '}${probe.detail}`);
  for (const probe of report.tenantProbes)
    lines.push(
      probe.client
        ? `  ${probe.ok ? '' : 'FAILED: '}${probe.detail}`
        : `  tenant ${probe.user} (${probe.cluster}/): ${probe.ok ? '' : 'FAILED: '}${probe.detail}`,
    );
  return lines.join('\n');
}
