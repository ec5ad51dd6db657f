import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runAuditRules } from '../../../src/core/audit/audit-report.js';
import { AUDIT_RULES } from '../../../src/core/audit/rule-catalog.js';
import { SEVERITIES } from '../../../src/core/audit/severity.js';
import { live, snapshot } from './snapshot-builder.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RULES_DIR = fileURLToPath(new URL('../../../src/core/audit/rules/', import.meta.url));

describe('the audit rule catalog', () => {
  it('holds every rule file of src/core/audit/rules, each once, with a unique stable id', () => {
    assert.equal(readdirSync(RULES_DIR).filter((file) => file.endsWith('.ts')).length, AUDIT_RULES.length);
    const ids = AUDIT_RULES.map((rule) => rule.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const rule of AUDIT_RULES) {
      assert.match(rule.id, new RegExp(`^${rule.category}\\.[a-z0-9]+(-[a-z0-9]+)*$`));
      assert.ok(SEVERITIES.includes(rule.severity));
      assert.ok(rule.why.endsWith('.') && rule.why.split('. ').length === 1, `${rule.id}: why is one sentence`);
    }
  });

  it('covers the list of issue 9', () => {
    const ids = new Set(AUDIT_RULES.map((rule) => rule.id));
    for (const id of [
      'dcs.etcd-auth-off',
      'dcs.etcd-plain-http',
      'dcs.etcd-client-cert-not-enforced',
      'dcs.basic-auth-with-client-cert',
      'dcs.patroni-uses-root',
      'dcs.etcd-user-shared',
      'dcs.role-range-too-wide',
      'dcs.cluster-without-tenant',
      'dcs.jwt-tokens-with-old-patroni',
      'dcs.etcd-version-breaks-patroni-auth',
      'restapi.unsafe-endpoints-open',
      'restapi.basic-auth-without-tls',
      'restapi.tls-without-client-verification',
      'restapi.verify-required-without-ctl-certs',
      'restapi.safe-endpoints-anonymous',
      'restapi.network-listen-without-tls',
      'files.mode-not-0600',
      'files.owner-not-patroni-user',
      'files.password-world-readable',
      'files.template-sets-managed-key',
      'operations.watchdog-off',
      'operations.pg-rewind-off',
      'operations.password-in-command-line',
    ])
      assert.ok(ids.has(id), id);
  });

  it('has, for every rule, a test that makes it fire and a test that keeps it quiet', () => {
    const tests = readdirSync(HERE)
      .filter((file) => file.endsWith('-rules.test.ts'))
      .map((file) => readFileSync(`${HERE}${file}`, 'utf8'))
      .join('\n');
    for (const rule of AUDIT_RULES) {
      const start = tests.indexOf(`describe('${rule.id}'`);
      assert.ok(start >= 0, `no describe('${rule.id}') block`);
      const block = tests.slice(
        start,
        tests.indexOf('\ndescribe(', start + 1) === -1 ? undefined : tests.indexOf('\ndescribe(', start + 1),
      );
      assert.match(block, /it\('(fires|reports)/, `${rule.id}: no test that makes it fire`);
      assert.match(block, /it\("?'?stays quiet/, `${rule.id}: no test that keeps it quiet`);
    }
  });

  it('finds nothing but the informational open health-check endpoints on a fully secured fleet', () => {
    const findings = runAuditRules(snapshot({ live: live() }));
    assert.deepEqual(
      findings.map((finding) => `${finding.severity} ${finding.ruleId}`),
      ['info restapi.safe-endpoints-anonymous'],
    );
  });
});
