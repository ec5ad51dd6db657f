import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AuditReport } from '../../src/core/audit/audit-report.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import { type DebianFleet, startDebianFleet } from '../support/debian-fleet.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * The acceptance of issue 23 for etcd's v2 API: etcd 3.4 with --enable-v2
 * and a Patroni cluster on the `etcd:` section (Debian's template, python-etcd
 * through the v2 keys API). v3 authentication does not cover v2 keys: the
 * plan and the audit name the cluster as left open.
 */
describe('a Patroni cluster on the v2 API (etcd --enable-v2): named as not protected by v3 auth', () => {
  let etcd: TestEtcd;
  let fleet: DebianFleet;
  let dir: string;
  let settingsFile: string;
  const base = '/postgresql-common/15-v2c/';
  const cli = (...args: string[]): Promise<CliResult> => runCli(['--settings', settingsFile, ...args]);

  before(async () => {
    ensureBuiltCli();
    etcd = await startTestEtcd({ members: 1, extraArgs: ['--enable-v2'] });
    fleet = await startDebianFleet({
      etcd,
      clusters: ['v2c'],
      hosts: ['host1'],
      dcsSection: 'etcd',
      viaSymlink: { host: 'none', cluster: 'none' },
      viaRelativePath: { host: 'none', cluster: 'none' },
    });
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-v2-'));
    await writeFile(join(dir, 'root.password'), 'v2-test-root-password\n', { mode: 0o600 });
    settingsFile = join(dir, 'settings.yaml');
    await writeFile(
      settingsFile,
      stringify({
        prefix: dir,
        patroni: {
          etcd: { hosts: etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')), namespace: '/service/' },
        },
        etcd_admin: { password_file: join(dir, 'root.password'), auth_token: 'simple' },
        tenancy: { secrets_dir: join(dir, 'secrets') },
      }),
    );
  });
  after(async () => {
    await fleet?.stop();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plan names the v2 cluster as not protected by v3 auth, still open after enforce, and v2 keys served with v2 auth off', async () => {
    const result = await cli('--output', 'json', 'etcd', 'auth', 'plan');
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const plan = JSON.parse(result.stdout) as AuthPlan;
    const ids = plan.census!.subjects.map((subject) => subject.id);
    assert.ok(ids.includes(`v2-cluster:${base}`), ids.join(', '));
    assert.ok(ids.includes('v2-open-keyspace'), ids.join(', '));
    assert.ok(
      plan.census!.warnings.some((warning) =>
        warning.includes(
          `Patroni cluster ${base} (1 member) is in etcd's v2 keyspace: not protected by v3 auth, still open after enforce`,
        ),
      ),
      plan.census!.warnings.join('\n'),
    );
    // Named, not blocking: v3 auth leaves it as it is either way.
    assert.ok(!plan.blockers.some((blocker) => blocker.subject.startsWith('v2-')));
    const text = await cli('etcd', 'auth', 'plan');
    assert.match(
      text.stdout,
      /warning: Patroni cluster \/postgresql-common\/15-v2c\/ .* not protected by v3 auth, still open after enforce/,
    );
  });

  it('the live audit names it too', async () => {
    const result = await cli('--output', 'json', 'audit', '--live');
    const report = JSON.parse(result.stdout) as AuditReport;
    const finding = report.findings.find((candidate) => candidate.ruleId === 'dcs.v2-keys-open');
    assert.ok(finding, report.findings.map((candidate) => candidate.ruleId).join(', '));
    assert.equal(finding.object.name, base);
    assert.equal(finding.severity, 'high');
    assert.match(finding.evidence, /not protected by v3 auth.*v2 auth is off/);
  });
});
