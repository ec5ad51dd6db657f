import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdUpgradeCheck } from '../../src/core/versions/etcd-upgrade-check.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

/**
 * Issue 19's acceptance on the lab (Patroni 3.0.2, etcd 3.4.23, simple
 * tokens), secured first so every member runs with its per-cluster user.
 */
describe('pgfleet etcd upgrade check on a lab secured with per-cluster users', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const check = async (target: string): Promise<{ code: number | null; report: EtcdUpgradeCheck }> => {
    const result = await runCli(['--output', 'json', 'etcd', 'upgrade', 'check', '--to', target], { env });
    assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
    return { code: result.code, report: JSON.parse(result.stdout) as EtcdUpgradeCheck };
  };
  const members = ['/service/alpha/alpha-1', '/service/alpha/alpha-2', '/service/beta/beta-1', '/service/beta/beta-2'];

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2 });
    env = await labEnv(lab.dir);
    const migrated = await runCli(['etcd', 'auth', 'migrate', '--yes'], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  it('--to 3.4.42 is unsafe for every member, citing patroni#3573 and PR #3580, and exits 1', async () => {
    const { code, report } = await check('3.4.42');
    assert.equal(code, 1);
    assert.equal(report.verdict, 'unsafe');
    assert.equal(report.wouldBreak, true);
    assert.deepEqual(report.members.map((member) => member.id).sort(), members);
    for (const member of report.members) {
      assert.equal(member.patroniVersion, '3.0.2');
      assert.equal(member.verdict, 'unsafe', member.id);
      const refs = member.citations.map((citation) => citation.ref);
      assert.ok(
        refs.includes('patroni#3573') && refs.some((ref) => ref.includes('3580')),
        `${member.id} cites ${refs.join(', ')}`,
      );
    }
  });

  it('--to 3.4.41 breaks no member and exits 0', async () => {
    const { code, report } = await check('3.4.41');
    assert.equal(code, 0);
    assert.equal(report.wouldBreak, false);
    assert.deepEqual(report.unknownMembers, []);
    assert.ok(
      report.members.every((member) => member.verdict === 'safe' || member.verdict === 'degraded'),
      JSON.stringify(report.members.map((m) => m.verdict)),
    );
  });

  it('--to 3.6.10 is unsafe for the same reason', async () => {
    const { code, report } = await check('3.6.10');
    assert.equal(code, 1);
    assert.ok(
      report.members.every(
        (member) => member.verdict === 'unsafe' && member.citations.some((citation) => citation.ref === 'patroni#3573'),
      ),
    );
  });

  it('a target that is not a version is refused with exit 2, naming the option', async () => {
    const result = await runCli(['etcd', 'upgrade', 'check', '--to', 'latest'], { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--to latest: expected an etcd version/);
  });
});
