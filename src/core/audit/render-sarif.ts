import { pathToFileURL } from 'node:url';
import type { AuditRule } from './audit-rule.js';
import type { AuditFinding, AuditReport } from './audit-report.js';
import { AUDIT_RULES } from './rule-catalog.js';
import type { Severity } from './severity.js';

/**
 * The report as a SARIF 2.1.0 log (for code-scanning dashboards): one run,
 * every rule in tool.driver.rules, one result a listed finding. Findings
 * about a file point at it (and its line); others carry a logical location
 * (the member, role or cluster).
 */
export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const LEVEL: Record<Severity, 'note' | 'warning' | 'error'> = {
  info: 'note',
  low: 'note',
  warning: 'warning',
  high: 'error',
  critical: 'error',
};
/** GitHub code scanning reads a CVSS-like score from properties["security-severity"]. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  info: '0.0',
  low: '3.0',
  warning: '5.0',
  high: '8.0',
  critical: '9.5',
};

export function renderAuditSarif(
  report: AuditReport,
  rules: readonly AuditRule[] = AUDIT_RULES,
): Record<string, unknown> {
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pgfleet',
            version: report.tool.version,
            informationUri: 'https://www.patroni.org/',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: pascalCase(rule.id),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.why },
              help: { text: `Fix: ${rule.fix}` },
              defaultConfiguration: { level: LEVEL[rule.severity] },
              properties: {
                category: rule.category,
                severity: rule.severity,
                needs: rule.needs,
                tags: ['security', rule.category],
                'security-severity': SECURITY_SEVERITY[rule.severity],
              },
            })),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            endTimeUtc: report.generatedAt,
            properties: { live: report.live, minSeverity: report.minSeverity },
          },
        ],
        results: report.findings.map((finding) => result(finding, ruleIndex.get(finding.ruleId))),
      },
    ],
  };
}

function result(finding: AuditFinding, index: number | undefined): Record<string, unknown> {
  const location = finding.location
    ? {
        physicalLocation: {
          artifactLocation: { uri: fileUri(finding.location.file) },
          ...(finding.location.line ? { region: { startLine: finding.location.line } } : {}),
        },
        logicalLocations: [{ name: finding.object.name, kind: finding.object.kind }],
      }
    : { logicalLocations: [{ name: finding.object.name, kind: finding.object.kind }] };
  return {
    ruleId: finding.ruleId,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: LEVEL[finding.severity],
    message: { text: `${finding.evidence}. ${finding.why} Fix: ${finding.fix}` },
    locations: [location],
    partialFingerprints: { objectName: `${finding.ruleId}:${finding.object.kind}:${finding.object.name}` },
    properties: {
      severity: finding.severity,
      object: finding.object,
      fix: finding.fix,
      'security-severity': SECURITY_SEVERITY[finding.severity],
    },
  };
}

function fileUri(path: string): string {
  return path.startsWith('/') ? pathToFileURL(path).href : encodeURI(path);
}

function pascalCase(id: string): string {
  return id
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
