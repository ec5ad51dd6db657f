import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { request } from 'undici';
import { writeFileAtomic } from '../../src/adapters/fs/atomic-file.js';
import { generatePassword } from '../../src/adapters/fs/secret-file.js';
import type { AuditReport } from '../../src/core/audit/audit-report.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { validateAuditJson, validateSarif } from '../support/audit-schemas.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * `pgfleet audit --live` on a real lab, run as an operator would (settings
 * from `pgfleet lab env`): open fleet → findings, exit 1; after the guarded
 * etcd auth migration → the DCS findings are gone; after the REST API is
 * protected → nothing at or above warning, exit 0.
 */
describe('pgfleet audit --live on a lab: open, then etcd auth migrated, then REST API protected', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const auditJson = async (minSeverity: string): Promise<{ code: number; report: AuditReport }> => {
    const result = await cli('--output', 'json', 'audit', '--live', '--min-severity', minSeverity);
    const report = JSON.parse(result.stdout) as AuditReport;
    const check = validateAuditJson(report);
    assert.ok(check.valid, `the JSON output does not match docs/audit-output.schema.json: ${check.errors}`);
    return { code: result.code, report };
  };
  const ids = (report: AuditReport, category?: string) => report.findings.filter((f) => !category || f.category === category).map((f) => `${f.ruleId} ${f.object.name}`).sort();
  const members = ['/service/alpha/alpha-1', '/service/alpha/alpha-2', '/service/beta/beta-1', '/service/beta/beta-2'];

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('on the open lab, reports etcd auth off, clusters without tenants and open REST APIs, and exits 1', async () => {
    const { code, report } = await auditJson('warning');
    assert.equal(code, 1);
    assert.equal(report.live, true);
    assert.deepEqual(ids(report, 'dcs'), ['dcs.cluster-without-tenant /service/alpha', 'dcs.cluster-without-tenant /service/beta', `dcs.etcd-auth-off ${report.findings.find((f) => f.ruleId === 'dcs.etcd-auth-off')!.object.name}`]);
    assert.deepEqual(ids(report, 'restapi'), members.map((member) => `restapi.unsafe-endpoints-open ${member}`));
    assert.match(report.findings.find((f) => f.ruleId === 'restapi.unsafe-endpoints-open')!.evidence, /anonymous POST http:\/\/127\.0\.0\.1:\d+\/reload was accepted/);
    assert.match(report.findings.find((f) => f.ruleId === 'dcs.etcd-auth-off')!.fix, /pgfleet etcd auth migrate/);
  });

  it('prints text and SARIF 2.1.0 that validates against the official schema', async () => {
    const text = await cli('audit', '--live');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^CRITICAL dcs\.etcd-auth-off/m);
    assert.match(text.stdout, /finding\(s\) at or above low/);
    const sarif = await cli('--output', 'sarif', 'audit', '--live', '--min-severity', 'info');
    assert.equal(sarif.code, 1);
    const log = JSON.parse(sarif.stdout) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    const check = validateSarif(log);
    assert.ok(check.valid, check.errors);
    assert.ok(log.runs[0]!.results.some((result) => result.ruleId === 'restapi.safe-endpoints-anonymous'));
  });

  it('after `etcd auth migrate --yes`, no DCS finding at or above warning remains; the open REST APIs still do', async () => {
    const migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(migrate.code, 0, migrate.stderr);
    const { code, report } = await auditJson('warning');
    assert.deepEqual(ids(report, 'dcs'), []);
    assert.deepEqual(ids(report), members.map((member) => `restapi.unsafe-endpoints-open ${member}`));
    assert.equal(code, 1);
    const all = (await auditJson('info')).report;
    assert.ok(all.findings.filter((f) => f.category === 'dcs').every((f) => f.severity === 'low' && f.ruleId === 'dcs.etcd-plain-http'), 'only plain http on loopback remains of the DCS rules');
  });

  it('after the REST API is protected with basic auth, nothing at or above warning remains and it exits 0', async () => {
    // Until `pgfleet restapi secure apply` (issue 7) is on this branch: the same change it makes first, by hand —
    // restapi.authentication in each member's YAML, then POST /reload (Patroni 3.0.2 applies REST API auth on reload).
    await protectRestApisWithBasicAuth(lab);
    const { code, report } = await auditJson('warning');
    assert.deepEqual(ids(report), []);
    assert.equal(code, 0);
    const remaining = (await auditJson('info')).report;
    assert.deepEqual([...new Set(remaining.findings.map((f) => f.severity))].sort(), ['info', 'low']);
    assert.ok(remaining.findings.some((f) => f.ruleId === 'restapi.safe-endpoints-anonymous'));
    assert.ok(remaining.findings.some((f) => f.ruleId === 'restapi.basic-auth-without-tls' && f.severity === 'low'), 'basic auth without TLS on loopback is reported, as low');
  });

  it('no password appears in any output', async () => {
    const everything = outputs.map((o) => o.stdout + o.stderr).join('\n');
    const secrets = join(lab.dir, 'secrets');
    const files = [join(secrets, 'etcd-root.password'), ...(await readdir(join(secrets, 'tenants'))).map((f) => join(secrets, 'tenants', f))];
    for (const file of files) assert.equal(everything.includes((await readFile(file, 'utf8')).trim()), false, `a password from ${file} leaked`);
    for (const password of restApiPasswords) assert.equal(everything.includes(password), false, 'a REST API password leaked');
  });
});

const restApiPasswords: string[] = [];

async function protectRestApisWithBasicAuth(lab: TestLab): Promise<void> {
  const password = generatePassword().reveal();
  restApiPasswords.push(password);
  const configDir = join(lab.dir, 'patroni');
  for (const cluster of lab.state.topology.clusters) {
    for (const node of cluster.nodes) {
      const file = join(configDir, `${node.name}.yaml`);
      const info = await stat(file);
      const document = parseDocument(await readFile(file, 'utf8'), { version: '1.1' });
      document.setIn(['restapi', 'authentication'], document.createNode({ username: 'patroni', password }));
      await writeFileAtomic(file, document.toString(), { mode: 0o600, owner: { uid: info.uid, gid: info.gid } });
      const response = await request(`http://127.0.0.1:${node.restPort}/reload`, { method: 'POST' });
      await response.body.dump();
      assert.equal(response.statusCode, 202, `reload of ${node.name}`);
    }
  }
  // Patroni applies the new restapi section asynchronously after answering the reload.
  for (const cluster of lab.state.topology.clusters) {
    for (const node of cluster.nodes) {
      for (let attempt = 0; ; attempt += 1) {
        const response = await request(`http://127.0.0.1:${node.restPort}/reload`, { method: 'POST' });
        await response.body.dump();
        if (response.statusCode === 401) break;
        assert.ok(attempt < 50, `${node.name} still accepts anonymous unsafe calls`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
