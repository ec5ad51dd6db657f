import { describeRotationSteps } from '../../core/migration/rotation-run.js';
import type { HostStepResult } from './host-step.js';
import type { RotationReport } from './rotation-run.js';
import type { RotationStatus } from './rotation-status.js';
import { renderRotationPlan } from './rotation-plan-text.js';

export function renderRotationReport(report: RotationReport): string {
  if (report.outcome === 'planned') return renderRotationPlan(report.plan);
  const lines: string[] = [];
  if (report.recoveredInterruptedRun)
    lines.push(`rolled back the interrupted rotation ${report.recoveredInterruptedRun} first`);
  for (const cluster of report.clusters) {
    if (cluster.outcome === 'awaiting-hosts') {
      lines.push(`${cluster.cluster}: waiting for \`rotate --host-only\` on other hosts (the cluster stays paused)`);
      continue;
    }
    const failedProbes = cluster.memberProbes.filter((probe) => !probe.ok).length;
    lines.push(
      `${cluster.cluster}: ${cluster.user} rotated; old password ${flag(cluster.oldPasswordRefused, 'refused', 'STILL ACCEPTED')}, new one ${flag(cluster.newPasswordAccepted, 'accepted', 'REFUSED')}; ${cluster.memberProbes.length - failedProbes}/${cluster.memberProbes.length} member(s) write to the DCS; tenant ${cluster.tenantProbe === 'not-checked' ? 'not probed (auth off)' : cluster.tenantProbe.ok ? `probed (${cluster.tenantProbe.detail})` : `FAILED: ${cluster.tenantProbe.detail}`}`,
    );
  }
  if (report.outcome === 'awaiting-hosts')
    lines.push('then run the same `pgfleet etcd tenants rotate` here again (or `--rollback` to give up)');
  return lines.join('\n');
}

function flag(value: boolean | 'not-checked', yes: string, no: string): string {
  return value === 'not-checked' ? 'not checked (auth off)' : value ? yes : no;
}

export function renderRotationStatus(status: RotationStatus): string {
  const run = status.run;
  if (!run) return 'no rotation recorded';
  const lines = [
    `rotation ${run.id}: phase ${run.phase} (${describeRotationSteps(run)})`,
    `  coordinator ${run.coordinator.host} pid ${run.coordinator.pid}${status.coordinatorAlive === false ? ' (no longer running)' : status.coordinatorAlive ? ' (running)' : ''}; started ${run.startedAt}, updated ${run.updatedAt}`,
  ];
  if (run.pausedByUs.length > 0) lines.push(`  paused by the rotation: ${run.pausedByUs.join(', ')}`);
  for (const failure of run.failures) lines.push(`  ${failure}`);
  if (!['rotated', 'rolled-back'].includes(run.phase))
    lines.push(
      run.phase === 'awaiting-hosts'
        ? 'next: `rotate --host-only` on the other hosts, then the same `rotate` here; or `pgfleet etcd tenants rotate --rollback`'
        : 'next: `pgfleet etcd tenants rotate --rollback` (or a new rotate) finishes it from any host holding the password files',
    );
  return lines.join('\n');
}

export function renderHostStep(results: HostStepResult[]): string {
  return (
    results.map((result) => `${result.member}: ${result.outcome} (${result.detail})`).join('\n') || 'no local member'
  );
}
