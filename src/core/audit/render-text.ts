import type { AuditReport } from './audit-report.js';
import { SEVERITIES } from './severity.js';

/** The text `pgfleet audit` prints: one block a finding, most severe first, then a summary line. */
export function renderAuditText(report: AuditReport): string {
  const lines: string[] = [];
  for (const finding of report.findings) {
    lines.push(
      `${finding.severity.toUpperCase().padEnd(8)} ${finding.ruleId}  ${finding.object.kind} ${finding.object.name}`,
    );
    lines.push(`  evidence: ${finding.evidence}`);
    if (finding.location)
      lines.push(
        `  at:       ${finding.location.file}${finding.location.line ? `:${finding.location.line}` : ''}${finding.location.key ? ` (${finding.location.key})` : ''}`,
      );
    lines.push(`  why:      ${finding.why}`);
    lines.push(`  fix:      ${finding.fix}`);
    lines.push('');
  }
  const total = SEVERITIES.reduce((sum, severity) => sum + report.summary.bySeverity[severity], 0);
  const counts = [...SEVERITIES]
    .reverse()
    .filter((severity) => report.summary.bySeverity[severity] > 0)
    .map((severity) => `${report.summary.bySeverity[severity]} ${severity}`);
  const hidden = total - report.summary.listed;
  lines.push(
    report.summary.listed === 0
      ? `no finding at or above ${report.minSeverity}${hidden > 0 ? ` (${hidden} below it: ${counts.join(', ')}; --min-severity info lists them)` : ''}`
      : `${report.summary.listed} finding(s) at or above ${report.minSeverity}${counts.length ? ` (all findings: ${counts.join(', ')})` : ''}`,
  );
  if (!report.live)
    lines.push('static audit only: etcd (auth, users, roles) and the REST APIs were not probed; add --live');
  return lines.join('\n');
}
