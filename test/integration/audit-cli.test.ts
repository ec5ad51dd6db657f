import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../src/core/audit/audit-report.js';
import { validateAuditJson } from '../support/audit-schemas.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

/**
 * `pgfleet audit` without a lab: the static audit of real files and real
 * processes of this host, and the exit codes (0, 1, 2).
 */
describe('pgfleet audit, static, on files and processes of this host', () => {
  let dir: string;
  let settings: string;
  let leaky: ChildProcess | undefined;
  const PASSWORDS = ['yaml-superuser-pw-1', 'given-etcd-pw-2', 'argv-pw-3'];

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-audit-'));
    settings = join(dir, 'settings.yaml');
    await writeFile(
      settings,
      [`prefix: ${join(dir, 'prefix')}`, 'patroni:', '  etcd:', "    hosts: ['127.0.0.1:1']", ''].join('\n'),
    );
    await mkdir(join(dir, 'prefix', 'patroni'), { recursive: true });
    const yaml = (scope: string, extra: string) =>
      `scope: ${scope}\nname: ${scope}-1\nrestapi:\n  listen: 127.0.0.1:8008\n  connect_address: 127.0.0.1:8008\n${extra}`;
    await writeFile(
      join(dir, 'prefix', 'patroni', 'alpha-1.yaml'),
      yaml(
        'alpha',
        `postgresql:\n  use_pg_rewind: true\n  authentication:\n    superuser:\n      username: postgres\n      password: ${PASSWORDS[0]}\n`,
      ),
      { mode: 0o644 },
    );
    await chmod(join(dir, 'prefix', 'patroni', 'alpha-1.yaml'), 0o644);
    await writeFile(
      join(dir, 'other.yaml'),
      yaml('other', `etcd3:\n  hosts: 127.0.0.1:1\n  username: root\n  password: ${PASSWORDS[1]}\n`),
      { mode: 0o640 },
    );
    await chmod(join(dir, 'other.yaml'), 0o640);
    // A process that looks like etcdctl and carries a password on its command line, as `ps` shows it to everyone.
    await symlink(process.execPath, join(dir, 'etcdctl'));
    leaky = spawn(
      join(dir, 'etcdctl'),
      ['-e', 'setTimeout(() => {}, 120000)', '--', '--user', `root:${PASSWORDS[2]}`],
      { stdio: 'ignore' },
    );
  });
  after(async () => {
    leaky?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the world-readable YAML, the group-readable --config file, the root etcd user and the password on a command line, and no password', async () => {
    const result = await runCli([
      '--settings',
      settings,
      '--output',
      'json',
      'audit',
      '--config',
      join(dir, 'other.yaml'),
      '--min-severity',
      'info',
    ]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as AuditReport;
    const check = validateAuditJson(report);
    assert.ok(check.valid, check.errors);
    const found = report.findings.map((finding) => `${finding.ruleId} ${finding.object.name}`);
    assert.ok(
      found.includes(`files.password-world-readable ${join(dir, 'prefix', 'patroni', 'alpha-1.yaml')}`),
      found.join('\n'),
    );
    assert.ok(found.includes(`files.mode-not-0600 ${join(dir, 'other.yaml')}`), found.join('\n'));
    assert.ok(found.includes('dcs.patroni-uses-root /service/other/other-1'), found.join('\n'));
    const argv = report.findings.find(
      (finding) =>
        finding.ruleId === 'operations.password-in-command-line' && finding.object.name === `etcdctl[${leaky!.pid}]`,
    );
    assert.ok(argv, found.join('\n'));
    assert.match(argv.evidence, /--user root:\[redacted\]/);
    assert.equal(report.live, false);
    for (const password of PASSWORDS)
      assert.equal(result.stdout.includes(password) || result.stderr.includes(password), false, `${password} leaked`);
  });

  it('exits 0 when nothing is at or above --min-severity', async () => {
    const result = await runCli(['--settings', settings, 'audit', '--min-severity', 'critical']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /no finding at or above critical/);
  });

  it('exits 2 when the audit cannot run: a --config file that does not exist, etcd unreachable with --live', async () => {
    const missing = await runCli(['--settings', settings, 'audit', '--config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--config .*nope\.yaml: no such file \[AUDIT_CONFIG_MISSING\]/);
    const unreachable = await runCli(['--settings', settings, '--output', 'json', 'audit', '--live']);
    assert.equal(unreachable.code, 2);
    assert.equal((JSON.parse(unreachable.stdout) as { error: { code: string } }).error.code, 'AUDIT_ETCD_UNREACHABLE');
    assert.match(unreachable.stderr, /no etcd endpoint answered \(http:\/\/127\.0\.0\.1:1\)/);
  });

  it('refuses --output sarif for any other command', async () => {
    const result = await runCli(['--output', 'sarif', 'doctor']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--output sarif is only for `pgfleet audit`/);
  });
});
