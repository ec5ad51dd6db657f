import { HOST_STEP_COMMAND, restHostOf } from '../../core/migration/etcd-v3-host-steps.js';
import type { V3HostStepReport } from './host-step-run.js';
import type { V3MovePlan } from './v3-move-facts.js';
import type { V3MoveReport, V3RollbackReport } from './v3-move-report.js';
import type { EtcdV3Status } from './v3-status.js';

/** What `etcd v3 plan` (and `migrate` before its confirmation) says, one cluster after the other. */
export function renderV3Plan(plan: V3MovePlan): string {
  const lines: string[] = [];
  const fleet = plan.fleet;
  lines.push(
    `etcd ${fleet.etcdVersion ?? '(v3 API not answering)'}, v2 API ${fleet.v2.served ? `served (v2 auth ${fleet.v2.authEnabled === undefined ? 'unknown' : fleet.v2.authEnabled ? 'on' : 'off'})` : 'not served'}, v3 auth ${fleet.v3AuthEnabled ? 'on' : 'off'}`,
  );
  if (plan.clusters.length === 0) lines.push('no Patroni cluster left on the v2 API in the configured namespaces');
  for (const cluster of plan.clusters) {
    const facts = cluster.facts;
    const verdict = cluster.gateFailures.length === 0 ? 'will move' : `refused (${cluster.gateFailures.length})`;
    lines.push(`${facts.cluster}: ${verdict}; leader ${facts.leader ?? 'none'}`);
    for (const member of facts.members)
      lines.push(
        `  ${member.name}: ${member.status ? `${member.status.role}, timeline ${member.status.timeline ?? '?'}` : 'no answer'}; ${member.local ? `${member.local.configFile}${member.local.adopted ? ' (adopted)' : ''}` : `on another host (REST ${restHostOf(member.apiUrl) ?? '?'}): moved there by \`${HOST_STEP_COMMAND}\``}`,
      );
    lines.push(
      `  keys copied to v3: ${facts.keys.copy.map((entry) => entry.key.slice(facts.base.length)).join(', ') || 'none'}; left to Patroni: ${facts.keys.leftToPatroni.length}`,
    );
    for (const failure of cluster.gateFailures) lines.push(`  ✗ ${failure.message}\n    → ${failure.hint}`);
  }
  for (const client of plan.v2ClientsSeen) lines.push(`v2 client on this host: ${client.subject}: ${client.detail}`);
  return lines.join('\n');
}

export function renderV3Report(report: V3MoveReport): string {
  if (report.outcome === 'nothing-to-do') return 'nothing to do: no Patroni cluster left on the v2 API';
  if (report.outcome === 'declined') return 'nothing was changed';
  const lines = report.clusters.map((result) => `${result.cluster}: ${result.outcome}: ${result.detail}`);
  if (report.finishedInterruptedRun)
    lines.unshift(`finished the interrupted run ${report.finishedInterruptedRun} first`);
  return lines.join('\n');
}

export function renderV3Rollback(report: V3RollbackReport): string {
  if (!report.run) return 'nothing to roll back: no interrupted etcd v3 migrate run';
  return [
    `run ${report.run} finished:`,
    ...report.clusters.map((result) => `  ${result.cluster}: ${result.outcome}: ${result.detail}`),
  ].join('\n');
}

export function renderV3Status(status: EtcdV3Status): string {
  const lines = [
    `v2 API: ${status.v2.served ? `served (v2 auth ${status.v2.authEnabled ? 'on' : status.v2.authEnabled === false ? 'off' : 'unknown'})` : 'not served'}`,
    status.v2Clusters.length === 0
      ? 'no Patroni cluster left on the v2 API'
      : `clusters on the v2 API: ${status.v2Clusters.map((cluster) => `${cluster.cluster} (leader ${cluster.leader ?? 'none'}, ${cluster.members.length} member(s))`).join(', ')}`,
    status.hostMembersOnV2.length === 0
      ? 'no member of this host on the etcd: section'
      : `members of this host on the etcd: section: ${status.hostMembersOnV2.join(', ')}`,
  ];
  if (status.leftAlone.length > 0)
    lines.push(
      `left alone on this host (not this fleet's, not counted): ${status.leftAlone.map((file) => `${file.configFile} (${file.reason})`).join('; ')}`,
    );
  if (status.nextStep) lines.push(`next: ${status.nextStep}`);
  const run = status.lastRun;
  if (!run) lines.push('no etcd v3 migrate run recorded');
  else {
    lines.push(
      `last run ${run.id} (coordinator ${run.coordinator.host} pid ${run.coordinator.pid}, ${run.updatedAt}): ${status.running ? 'running now' : status.interrupted ? `INTERRUPTED in phase ${run.phase}` : run.phase}`,
    );
    for (const record of run.clusters)
      lines.push(`  ${record.cluster}: ${record.step}${record.detail ? ` (${record.detail})` : ''}`);
    if (status.interrupted)
      lines.push(
        `  → \`pgfleet etcd v3 rollback\` finishes it (${status.inFlight.map((entry) => `${entry.cluster}: ${entry.recovery === 'finish' ? 'finish on v3' : 'back to v2'}`).join(', ') || 'nothing in flight'}); \`pgfleet etcd v3 migrate\` does the same, then moves again`,
      );
  }
  return lines.join('\n');
}

export function renderV3HostSteps(report: V3HostStepReport): string {
  if (report.outcome === 'no-run') return `${report.host}: no etcd v3 migrate run asked for this host's members`;
  const lines = report.steps.map(
    (step) => `${step.cluster}/${step.member}: ${step.action}: ${step.ok ? 'done' : 'FAILED'}: ${step.detail}`,
  );
  return [`${report.host}: ${report.steps.length} step(s) for run ${report.runs.join(', ') || '?'}`, ...lines].join(
    '\n',
  );
}
