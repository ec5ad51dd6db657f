import { describeRunLock } from '../../core/migration/run-lock-record.js';
import type { EtcdTlsMigrationReport } from './tls-migrate-run.js';
import type { EtcdTlsStatus } from './tls-status.js';

/** `etcd tls status` as text: each endpoint, each member's protocol, what keeps the http listener, the last run. */
export function renderEtcdTlsStatus(status: EtcdTlsStatus): string {
  return [
    ...status.endpoints.map((endpoint) => `${endpoint.ok ? 'ok  ' : 'FAIL'} ${endpoint.endpoint}: ${endpoint.detail}`),
    ...status.members.map(
      (member) =>
        `  ${member.member}: ${member.onHttps === true ? 'https' : member.onHttps === false ? 'http' : 'unknown (another host, no record)'}${member.connection ? ` (${member.connection})` : ''}${member.migratedAt ? `, migrated ${member.migratedAt}` : ''}`,
    ),
    status.pending.length
      ? `pending: ${status.pending.join(', ')} — keep etcd's http listener`
      : "every member is on https: etcd's http listener may go",
    status.lastRun
      ? `last migrate run ${status.lastRun.id}: ${status.lastRun.phase} (started ${status.lastRun.startedAt})`
      : 'no migrate run recorded',
    `run lock: ${describeRunLock(status.runLock ?? undefined, new Date())}`,
  ].join('\n');
}

/** `etcd tls migrate` as text: the gates and the order (dry run), else each member's outcome and what comes next. */
export function renderEtcdTlsMigration(report: EtcdTlsMigrationReport): string {
  if (report.outcome === 'planned') {
    return [
      ...(report.gateFailures.length
        ? ['gates: REFUSED', ...report.gateFailures.map((failure) => `  - ${failure.message}`)]
        : ['gates: passed']),
      ...report.plan.clusters.flatMap((cluster) => [
        `${cluster.cluster}:`,
        ...cluster.members.map((member) => `  ${member.member} (${member.role ?? '?'}): ${member.action}`),
      ]),
    ].join('\n');
  }
  return [
    ...report.members.map((member) => `  ${member.member}: ${member.outcome} (${member.detail})`),
    `next: ${report.nextStep}`,
  ].join('\n');
}
