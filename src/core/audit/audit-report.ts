import { z } from 'zod';
import type { AuditRule } from './audit-rule.js';
import { type Finding, sortFindings } from './finding.js';
import type { FleetSnapshot } from './fleet-snapshot.js';
import { AUDIT_RULES } from './rule-catalog.js';
import { SEVERITIES, type Severity, isAtLeast } from './severity.js';

/**
 * The audit's result as `pgfleet audit --output json` prints it. The shape
 * is a contract with scripts: docs/audit-output.schema.json is generated from
 * this schema (a unit test keeps it in step), and a change that breaks a
 * reader bumps schemaVersion.
 */
const SeveritySchema = z.enum(SEVERITIES).describe('info < low < warning < high < critical');

export const AuditFindingSchema = z
  .strictObject({
    ruleId: z
      .string()
      .regex(/^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$/)
      .describe('stable rule id, e.g. dcs.etcd-auth-off: scripts and suppressions match on it'),
    category: z.enum(['dcs', 'restapi', 'files', 'operations', 'audit']).describe('the area of the rule'),
    title: z.string().min(1).describe("the rule's title"),
    severity: SeveritySchema,
    object: z
      .strictObject({
        kind: z.enum(['etcd', 'etcd-user', 'etcd-role', 'cluster', 'member', 'file', 'process', 'settings', 'audit']),
        name: z
          .string()
          .min(1)
          .describe('a path, a member id (/service/alpha/alpha-1), a user or role name, an etcd endpoint'),
      })
      .describe('what the finding is about'),
    evidence: z.string().min(1).describe('what was observed; never a secret value'),
    why: z.string().min(1).describe('why it matters, one sentence'),
    fix: z.string().min(1).describe('how to fix it, with the pgfleet command where one exists'),
    location: z
      .strictObject({
        file: z.string().min(1),
        key: z.string().min(1).optional().describe('dotted key inside the YAML document'),
        line: z.number().int().min(1).optional().describe('1-based line of that key'),
      })
      .optional()
      .describe('where in a file, when the finding is about a file'),
  })
  .describe('one finding');

export const AuditReportSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    tool: z.strictObject({ name: z.literal('pgfleet'), version: z.string().min(1) }),
    generatedAt: z.string().describe('ISO 8601 time of the audit'),
    live: z.boolean().describe('true with --live: etcd and the REST APIs were probed'),
    minSeverity: SeveritySchema.describe('findings below it are counted in summary but not listed'),
    summary: z.strictObject({
      listed: z
        .number()
        .int()
        .min(0)
        .describe('findings at or above minSeverity: the exit code is 1 when this is not 0'),
      bySeverity: z
        .strictObject(
          Object.fromEntries(SEVERITIES.map((severity) => [severity, z.number().int().min(0)])) as Record<
            Severity,
            z.ZodNumber
          >,
        )
        .describe('every finding, listed or not, by severity'),
    }),
    findings: z.array(AuditFindingSchema).describe('most severe first, then by rule id and object'),
  })
  .describe('pgfleet audit --output json');

export type AuditFinding = z.infer<typeof AuditFindingSchema>;
export type AuditReport = z.infer<typeof AuditReportSchema>;

/** Runs every rule over the snapshot: all findings, most severe first. */
export function runAuditRules(snapshot: FleetSnapshot, rules: readonly AuditRule[] = AUDIT_RULES): Finding[] {
  return sortFindings(rules.flatMap((rule) => rule.check(snapshot)));
}

export interface AuditReportOptions {
  live: boolean;
  minSeverity: Severity;
  toolVersion: string;
  generatedAt: Date;
  rules?: readonly AuditRule[] | undefined;
}

export function buildAuditReport(findings: readonly Finding[], options: AuditReportOptions): AuditReport {
  const rules = new Map((options.rules ?? AUDIT_RULES).map((rule) => [rule.id, rule]));
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of findings) bySeverity[finding.severity] += 1;
  const listed = sortFindings(findings.filter((finding) => isAtLeast(finding.severity, options.minSeverity)));
  return {
    schemaVersion: 1,
    tool: { name: 'pgfleet', version: options.toolVersion },
    generatedAt: options.generatedAt.toISOString(),
    live: options.live,
    minSeverity: options.minSeverity,
    summary: { listed: listed.length, bySeverity },
    findings: listed.map((finding) => {
      const rule = rules.get(finding.ruleId);
      return {
        ruleId: finding.ruleId,
        category: rule?.category ?? 'audit',
        title: rule?.title ?? finding.ruleId,
        severity: finding.severity,
        object: finding.object,
        evidence: finding.evidence,
        why: finding.why,
        fix: finding.fix,
        ...(finding.location ? { location: withoutUndefined(finding.location) } : {}),
      };
    }),
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** docs/audit-output.schema.json: the JSON Schema (draft-07) of the report. */
export function auditReportJsonSchemaText(): string {
  const schema = z.toJSONSchema(AuditReportSchema, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, title: 'pgfleet audit --output json' }, null, 2)}\n`;
}
