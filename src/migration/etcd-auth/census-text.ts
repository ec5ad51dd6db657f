import type { CensusGateReport } from '../../core/migration/census-gates.js';
import { enforcedLine } from '../../core/migration/enforce-proof.js';
import { textTable } from '../../core/text-table.js';
import type { EnforceReport } from './enforce-report.js';

/** The census part of `etcd auth plan`'s text (its blockers are among the plan's). */
export function renderCensusPlan(census: CensusGateReport | undefined): string[] {
  if (!census) return [];
  const { explained } = census;
  const lines = [
    '',
    `census of the etcd: ${census.subjects.length === 0 ? 'every client accounted for' : `${census.subjects.length} subject(s) the fleet does not account for`} (explained: ${explained.patroniMembers} Patroni member(s), ${explained.leases} lease(s), ${explained.watchers} watcher(s), ${explained.processes} client process(es) here)`,
  ];
  if (census.clients.length > 0) {
    lines.push('declared clients:');
    lines.push(
      ...textTable(
        ['CLIENT', 'KIND', 'USER', 'GRANT', 'API', 'READY', 'STATUS'],
        census.clients.map((client) => [
          client.name,
          client.kind,
          client.user,
          client.grant,
          `${client.api.api ?? '?'}${client.api.version ? ` (${client.api.version})` : ''}`,
          client.ready ? 'yes' : 'no',
          client.status,
        ]),
      )
        .split('\n')
        .map((line) => `  ${line}`),
    );
    for (const client of census.clients)
      for (const action of client.prepare) lines.push(`  ${client.name}: prepare: ${action}`);
  }
  if (census.acknowledged.length > 0) {
    lines.push('ACKNOWLEDGED, NOT PROTECTED (enforce goes on over them; each is refused once auth is on):');
    for (const subject of census.acknowledged)
      lines.push(`  ${subject.id}: ${subject.summary}`, `    reason: "${subject.reason}" (${subject.origin})`);
  }
  for (const warning of census.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

/** The census part of an enforce report's text: acknowledged subjects, and what was lost once auth was on. */
export function renderEnforceCensus(report: EnforceReport): string[] {
  const census = report.census;
  if (!census) return [];
  const lines: string[] = [];
  for (const subject of census.acknowledged)
    lines.push(`ACKNOWLEDGED, NOT PROTECTED: ${subject.id} (reason: "${subject.reason}")`);
  for (const finding of census.afterEnable?.findings ?? []) lines.push(`after enable: ${finding.message}`);
  return lines;
}

/** The first line of an enforced run's report: "all proven" only when every member, tenant and declared client was. */
export function enforcedHeadline(report: EnforceReport): string {
  return enforcedLine({
    members: report.state.probes,
    tenants: report.tenantProbes.filter((probe) => probe.client === undefined),
    clients: report.tenantProbes.filter((probe) => probe.client !== undefined),
    acknowledged: report.census?.acknowledged ?? [],
    afterEnable: report.census?.afterEnable,
    incomplete: report.census?.incomplete ?? [],
    gatesSkipped: report.gateFailures.length,
  });
}
