import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { auditReportJsonSchemaText, buildAuditReport, runAuditRules } from '../../../src/core/audit/audit-report.js';
import { renderAuditSarif } from '../../../src/core/audit/render-sarif.js';
import { renderAuditText } from '../../../src/core/audit/render-text.js';
import { redactCommandLine } from '../../../src/core/audit/redaction.js';
import { AUDIT_OUTPUT_SCHEMA_PATH, validateAuditJson, validateSarif } from '../../support/audit-schemas.js';
import { TEST_PASSWORDS, live, restApi, securedDocument, settings, snapshot, yamlFile } from './snapshot-builder.js';

/** An open fleet: many rules fire, of every severity, about files, members, roles and processes. */
function openFleetFindings() {
  const open = securedDocument('alpha', 'alpha-1', (d) => {
    d.restapi = {
      listen: '0.0.0.0:8008',
      connect_address: '10.0.0.1:8008',
      authentication: { username: 'patroni', password: 'rest-pw' },
    };
    d.etcd3 = { hosts: ['10.0.0.5:2379'], protocol: 'http', username: 'root', password: 'tenant-pw' };
  });
  const { args, passwordArguments } = redactCommandLine(['etcdctl', '--password', 's3cret-on-argv', 'get', '/']);
  return runAuditRules(
    snapshot({
      settings: settings(),
      patroniFiles: [
        yamlFile('/etc/patroni/alpha 1.yaml', open, { mode: 0o644, keyLines: { 'etcd3.password': 8, restapi: 3 } }),
      ],
      processes: [{ pid: 9, program: 'etcdctl', args, passwordArguments }],
      live: live(
        { authEnabled: false, users: [{ name: 'root', roles: ['root'] }], roles: [{ name: 'root', permissions: [] }] },
        [
          restApi('/service/alpha/alpha-1', {
            url: 'http://10.0.0.1:8008',
            unsafe: { outcome: 'allowed', status: 202 },
          }),
        ],
      ),
      gaps: [{ what: 'REST API of /service/beta/beta-1', reason: 'ECONNREFUSED' }],
    }),
  );
}

const report = (minSeverity: 'info' | 'warning' = 'info') =>
  buildAuditReport(openFleetFindings(), {
    live: true,
    minSeverity,
    toolVersion: '0.1.0',
    generatedAt: new Date('2026-11-20T10:00:00Z'),
  });

describe('the audit report', () => {
  it('docs/audit-output.schema.json is exactly what the report schema generates', () => {
    assert.equal(
      readFileSync(AUDIT_OUTPUT_SCHEMA_PATH, 'utf8'),
      auditReportJsonSchemaText(),
      'regenerate it: npm run docs:audit-schema',
    );
  });

  it('validates against docs/audit-output.schema.json, lists only findings at or above --min-severity and counts them all', () => {
    const all = report('info');
    const check = validateAuditJson(JSON.parse(JSON.stringify(all)));
    assert.ok(check.valid, check.errors);
    const warning = report('warning');
    assert.ok(warning.findings.every((finding) => ['warning', 'high', 'critical'].includes(finding.severity)));
    assert.ok(warning.summary.listed < all.summary.listed);
    assert.deepEqual(warning.summary.bySeverity, all.summary.bySeverity);
    assert.equal(all.findings[0]!.severity, 'critical');
  });

  it('is refused by the schema when a field is missing or unknown (the schema is strict)', () => {
    const broken = JSON.parse(JSON.stringify(report())) as { findings: Array<Record<string, unknown>> };
    delete broken.findings[0]!.why;
    assert.equal(validateAuditJson(broken).valid, false);
    const extra = JSON.parse(JSON.stringify(report())) as Record<string, unknown>;
    extra.surprise = true;
    assert.equal(validateAuditJson(extra).valid, false);
  });

  it('renders SARIF 2.1.0 that validates against the official schema, with file and line locations', () => {
    const sarif = renderAuditSarif(report());
    const check = validateSarif(sarif);
    assert.ok(check.valid, check.errors);
    const run = (
      sarif.runs as Array<{
        results: Array<{
          level: string;
          locations: Array<{
            physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } };
          }>;
        }>;
      }>
    )[0]!;
    const located = run.results.find((result) => result.locations[0]!.physicalLocation?.region);
    assert.equal(located?.locations[0]!.physicalLocation!.artifactLocation.uri, 'file:///etc/patroni/alpha%201.yaml');
    assert.ok(run.results.some((result) => result.level === 'error'));
  });

  it('renders text with evidence, why and fix for each finding, and never a password', () => {
    const text = renderAuditText(report('warning'));
    assert.match(text, /^CRITICAL dcs\.etcd-auth-off/m);
    assert.match(text, /fix: +run `pgfleet etcd auth migrate`/);
    assert.match(text, /finding\(s\) at or above warning/);
    const everything = `${text}\n${JSON.stringify(report())}\n${JSON.stringify(renderAuditSarif(report()))}`;
    for (const password of TEST_PASSWORDS) assert.equal(everything.includes(password), false, password);
  });

  it('says when nothing is at or above the threshold, and that a static audit did not probe', () => {
    const quiet = buildAuditReport([], {
      live: false,
      minSeverity: 'warning',
      toolVersion: '0.1.0',
      generatedAt: new Date(),
    });
    assert.match(renderAuditText(quiet), /no finding at or above warning\nstatic audit only/);
  });
});
