import {
  PROBE_CLIENTS,
  PROBE_ENDPOINTS,
  PROBE_REQUESTS,
  type ExpectedOutcome,
  type MatrixCell,
  type MatrixMismatch,
  type ObservedCell,
  type RestApiProtection,
} from './probe-matrix.js';
import { describeProtection } from './restapi-protection.js';

/** One member's probes, as `restapi probe` shows them. */
export interface ProbeReportView {
  scope: string;
  node: string;
  report: {
    url: string;
    protection: RestApiProtection;
    expected: Array<MatrixCell<ExpectedOutcome>>;
    observed: ObservedCell[];
    mismatches: MatrixMismatch[];
  };
}

/** A small table per member: one row per client, one column per endpoint; a cell that differs shows what was expected. */
export function renderProbeReports(views: readonly ProbeReportView[]): string {
  if (views.length === 0) return 'no Patroni member is managed on this host';
  const blocks: string[] = [];
  for (const view of views) {
    const { report } = view;
    const header = [
      'client',
      ...PROBE_ENDPOINTS.map((endpoint) => `${PROBE_REQUESTS[endpoint].method} ${PROBE_REQUESTS[endpoint].path}`),
    ];
    const rows = PROBE_CLIENTS.map((client) => [
      client,
      ...PROBE_ENDPOINTS.map((endpoint) => {
        const observed = report.observed.find((cell) => cell.client === client && cell.endpoint === endpoint);
        const mismatch = report.mismatches.find((cell) => cell.client === client && cell.endpoint === endpoint);
        const text = observed ? `${observed.outcome}${observed.status ? ` ${observed.status}` : ''}` : '-';
        return mismatch ? `${text} (expected ${mismatch.expected})` : text;
      }),
    ]);
    const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
    const line = (row: string[]) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd();
    blocks.push(
      [
        `${view.scope}/${view.node} ${report.url}: ${describeProtection(report.protection)} — ${report.mismatches.length === 0 ? 'as expected' : `${report.mismatches.length} cell(s) differ`}`,
        line(header),
        ...rows.map(line),
      ].join('\n'),
    );
  }
  return blocks.join('\n\n');
}
