import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectRestApiFacts } from '../../src/audit/restapi-facts.js';
import type { AuditReport } from '../../src/core/audit/audit-report.js';
import type { AuditGap } from '../../src/core/audit/fleet-snapshot.js';
import { restapiPgfleetRefusedRule } from '../../src/core/audit/rules/restapi-pgfleet-refused.js';
import { SiteSettingsSchema } from '../../src/core/settings/site-settings.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { validateAuditJson, validateSarif } from '../support/audit-schemas.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * `pgfleet audit --live` on a real lab, run as an operator would (settings
 * from `pgfleet lab env`): open fleet → findings, exit 1; after the guarded
 * etcd auth migration → the DCS findings are gone; after the REST API is
 * protected as an operator does it (`lab restapi-tls`, then the guarded
 * `restapi secure apply`) → nothing at or above warning, exit 0.
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
  const ruleOf = (id: string) => id.split(' ')[0]!;
  const ids = (report: AuditReport, category?: string) =>
    report.findings
      .filter((f) => !category || f.category === category)
      .map((f) => `${f.ruleId} ${f.object.name}`)
      .sort();
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
    assert.deepEqual(ids(report, 'dcs'), [
      'dcs.cluster-without-tenant /service/alpha',
      'dcs.cluster-without-tenant /service/beta',
      `dcs.etcd-auth-off ${report.findings.find((f) => f.ruleId === 'dcs.etcd-auth-off')!.object.name}`,
    ]);
    assert.deepEqual(
      ids(report, 'restapi'),
      members.map((member) => `restapi.unsafe-endpoints-open ${member}`),
    );
    assert.match(
      report.findings.find((f) => f.ruleId === 'restapi.unsafe-endpoints-open')!.evidence,
      /anonymous PATCH http:\/\/127\.0\.0\.1:\d+\/config passed the access check \(HTTP 400/,
    );
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
    assert.deepEqual(
      ids(report),
      members.map((member) => `restapi.unsafe-endpoints-open ${member}`),
    );
    assert.equal(code, 1);
    const all = (await auditJson('info')).report;
    assert.ok(
      all.findings
        .filter((f) => f.category === 'dcs')
        .every((f) => f.severity === 'info' && f.ruleId === 'dcs.etcd-plain-http'),
      'only plain http on loopback (info) remains of the DCS rules',
    );
  });

  it('after `lab restapi-tls` and `restapi secure apply`, the REST API findings are gone, nothing at or above warning remains and it exits 0', async () => {
    // What an operator does (pgfleet help protect-rest-api): certificates, password files and the target in the settings, then the guarded rollout.
    const prepare = await cli('lab', 'restapi-tls');
    assert.equal(prepare.code, 0, prepare.stderr);
    const apply = await cli('--output', 'json', 'restapi', 'secure', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    assert.deepEqual(
      [
        ...new Set(
          (JSON.parse(apply.stdout) as { applied: Array<{ phase: string }> }).applied.map((step) => step.phase),
        ),
      ],
      ['client', 'server-tls', 'verify-client', 'basic-auth'],
    );

    const { code, report } = await auditJson('warning');
    assert.deepEqual(ids(report), []);
    assert.equal(code, 0);
    // Not even a low one: only informational findings remain.
    const low = await auditJson('low');
    assert.deepEqual(ids(low.report), []);
    assert.equal(low.code, 0);
    const remaining = (await auditJson('info')).report;
    assert.ok(remaining.findings.every((f) => f.severity === 'info'));
    // Of the REST API: health checks read GET /patroni anonymously over TLS. Of the DCS: etcd over plain http, on loopback only (`etcd tls migrate` moves it to https).
    assert.deepEqual(
      ids(remaining, 'restapi'),
      members.map((member) => `restapi.safe-endpoints-anonymous ${member}`),
    );
    assert.ok(
      remaining.findings
        .filter((f) => f.ruleId === 'restapi.safe-endpoints-anonymous')
        .every((f) => /^an anonymous GET https:\/\/127\.0\.0\.1:\d+\/patroni answered 200$/.test(f.evidence)),
    );
    assert.deepEqual([...new Set(ids(remaining, 'dcs').map(ruleOf))], ['dcs.etcd-plain-http']);
    assert.deepEqual([...new Set(remaining.findings.map((f) => f.category))].sort(), ['dcs', 'restapi']);
    // The unsafe probe (an empty PATCH /config) still tells a protected member: 403 for want of a client certificate.
    const gaps: AuditGap[] = [];
    const probed = await collectRestApiFacts(
      lab.state.topology.clusters.flatMap((cluster) =>
        cluster.nodes.map((node) => ({
          member: `/service/${cluster.scope}/${node.name}`,
          url: `https://127.0.0.1:${node.restPort}`,
        })),
      ),
      gaps,
    );
    assert.deepEqual(
      probed.map((facts) => `${facts.member} ${facts.unsafe.outcome} ${facts.unsafe.status}`).sort(),
      members.map((member) => `${member} forbidden-403 403`),
    );
  });

  it('with verify_client required, no REST API finding at any level: anonymous clients fail the handshake, pgfleet reads every member with its own certificate', async () => {
    const prepare = await cli('lab', 'restapi-tls', '--verify-client', 'required');
    assert.equal(prepare.code, 0, prepare.stderr);
    const apply = await cli('restapi', 'secure', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    const { code, report } = await auditJson('info');
    assert.equal(code, 1, 'the informational DCS finding (etcd over http on loopback) remains at --min-severity info');
    assert.deepEqual(ids(report, 'restapi'), []);
    assert.deepEqual(ids(report, 'audit'), [], 'every member answered: no gap');
    assert.equal((await auditJson('warning')).code, 0);
  });

  it('reports restapi.pgfleet-refused, on the real stack, for a client without the certificate verify_client required asks for', async () => {
    // The collector and the rule as `audit --live` runs them, but with pgfleet given only the CA (patroni.ctl cacert, no client certificate) and no YAML.
    const gaps: AuditGap[] = [];
    const targets = lab.state.topology.clusters.flatMap((cluster) =>
      cluster.nodes.map((node) => ({
        member: `/service/${cluster.scope}/${node.name}`,
        url: `https://127.0.0.1:${node.restPort}`,
      })),
    );
    const restApis = await collectRestApiFacts(targets, gaps, {
      ctl: { cacert: join(lab.dir, 'restapi-tls', 'ca.crt'), insecure: false, restapi_credentials: false },
    });
    assert.deepEqual(gaps, []);
    for (const facts of restApis) {
      assert.equal(facts.safe.outcome, 'tls-handshake-refused', JSON.stringify(facts));
      // Refused for want of a certificate: the alert, or the connection closed on it (undici reports no alert code).
      assert.ok(
        ['tls-handshake-refused', 'connection-closed'].includes(facts.pgfleet?.outcome ?? ''),
        JSON.stringify(facts.pgfleet),
      );
    }
    const findings = restapiPgfleetRefusedRule.check({
      settings: SiteSettingsSchema.parse({}),
      patroniFiles: [],
      secretFiles: [],
      processes: [],
      gaps,
      live: {
        etcd: {
          endpoints: [],
          authEnabled: true,
          versions: [],
          unreachableEndpoints: [],
          tokenType: 'simple',
          clusters: [],
        },
        restApis,
      },
    });
    assert.deepEqual(findings.map((f) => f.object.name).sort(), members);
  });

  it('no password appears in any output', async () => {
    const everything = outputs.map((o) => o.stdout + o.stderr).join('\n');
    const secrets = join(lab.dir, 'secrets');
    const inDir = async (dir: string) => (await readdir(join(secrets, dir))).map((f) => join(secrets, dir, f));
    const files = [join(secrets, 'etcd-root.password'), ...(await inDir('tenants')), ...(await inDir('restapi'))];
    assert.ok(
      files.some((file) => file.includes('/restapi/')),
      'the REST API password files were checked',
    );
    for (const file of files)
      assert.equal(everything.includes((await readFile(file, 'utf8')).trim()), false, `a password from ${file} leaked`);
  });
});
