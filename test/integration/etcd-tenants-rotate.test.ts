import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { EtcdError } from '../../src/adapters/etcd/etcd-error.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { Secret } from '../../src/core/secret.js';
import type { RotationPlan } from '../../src/core/migration/rotation-plan.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import type { RotationReport, RotationStatus } from '../../src/migration/rotation/index.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  assertNoRoleChange,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';
import { startProcessTextRecorder } from '../support/process-text-recorder.js';
import { filesHoldingSecrets, secretsInTexts } from '../support/secret-scan.js';

/**
 * The acceptance of the tenant password rotation (issue 21), run as an
 * operator would: the built CLI on a lab of 3 etcd members and 2 clusters × 2
 * nodes secured with `pgfleet etcd auth migrate --yes`, writers on every
 * primary and the roles sampled every second.
 */
describe('pgfleet etcd tenants rotate on a secured fleet (3 etcd, 2 clusters × 2 nodes), under writers', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  /** Every password alpha's tenant had during the file: searched for in every output, argv, environment and log. */
  const alphaPasswords: string[] = [];
  let processTexts: string[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const json = async <T>(...args: string[]): Promise<{ code: number; data: T; stderr: string }> => {
    const result = await cli('--output', 'json', ...args);
    return { code: result.code, data: JSON.parse(result.stdout) as T, stderr: result.stderr };
  };
  const sitePaths = () =>
    resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
  const alphaFile = () => join(sitePaths().secretsDir, 'patroni-alpha.password');
  const readAlphaPassword = async (): Promise<string> => {
    const password = (await readFile(alphaFile(), 'utf8')).trim();
    if (!alphaPasswords.includes(password)) alphaPasswords.push(password);
    return password;
  };
  /** What etcd answers to alpha's tenant authenticating with this password. */
  const etcdAnswer = async (password: string): Promise<'accepted' | 'refused'> => {
    const client = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology) });
    try {
      await client.authenticate({ username: 'patroni-alpha', password: new Secret(password) });
      return 'accepted';
    } catch (error) {
      if (error instanceof EtcdError && error.kind === 'authentication-failed') return 'refused';
      throw error;
    } finally {
      await client.close();
    }
  };
  /** Writers on every primary and a role sample every second, around `work`. */
  const underWriters = async <T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; tallies: WriterTally[]; roles: RoleWatchReport }> => {
    const leaders = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology, 1_000);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([s, v]) => [s, v.leader])),
    );
    let result: T;
    let tallies: WriterTally[];
    let roles: RoleWatchReport;
    try {
      result = await work();
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    return { result, tallies, roles };
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 3 });
    env = await labEnv(lab.dir);
    const migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(migrate.code, 0, migrate.stderr);
    await readAlphaPassword();
  });
  after(async () => {
    await lab?.down();
  });

  it('--check prints the plan, every member allowed by the compatibility matrix, and changes nothing', async () => {
    const before = await readAlphaPassword();
    const { code, data, stderr } = await json<RotationReport>('etcd', 'tenants', 'rotate', 'alpha', '--check');
    assert.equal(code, 0, stderr);
    assert.equal(data.outcome, 'planned');
    const plan: RotationPlan = data.plan;
    assert.equal(plan.blocked, false, JSON.stringify(plan));
    assert.deepEqual(
      plan.clusters.map((cluster) => cluster.cluster),
      ['/service/alpha'],
    );
    assert.deepEqual(
      plan.clusters[0]!.members.map((member) => [member.member, member.verdict, member.action]),
      [
        ['/service/alpha/alpha-1', 'safe', 'write-here'],
        ['/service/alpha/alpha-2', 'safe', 'write-here'],
      ],
    );
    assert.equal(await readAlphaPassword(), before, 'the password file is unchanged');
    assert.equal(await etcdAnswer(before), 'accepted');
  });

  it('rotate alpha: old password refused, new one accepted, every member writes, 0 failed writes, 0 leader changes, file 0600', async () => {
    const old = await readAlphaPassword();
    const recorder = startProcessTextRecorder();
    let run: { result: CliResult; tallies: WriterTally[]; roles: RoleWatchReport };
    try {
      run = await underWriters(() => cli('--output', 'json', 'etcd', 'tenants', 'rotate', 'alpha'));
    } finally {
      processTexts = recorder.stop().texts;
    }
    assert.equal(run.result.code, 0, run.result.stderr);
    const report = JSON.parse(run.result.stdout) as RotationReport;
    assert.equal(report.outcome, 'rotated');
    const [alpha] = report.clusters;
    assert.equal(alpha?.oldPasswordRefused, true);
    assert.equal(alpha?.newPasswordAccepted, true);
    assert.deepEqual(
      alpha?.memberProbes.map((probe) => [probe.member, probe.ok]),
      [
        ['/service/alpha/alpha-1', true],
        ['/service/alpha/alpha-2', true],
      ],
    );
    assert.ok(alpha?.tenantProbe !== 'not-checked' && alpha?.tenantProbe.ok, JSON.stringify(alpha?.tenantProbe));
    assertEveryWriteLanded(run.tallies);
    assertNoRoleChange(run.roles);

    // Checked here, not taken from the report: etcd, the file, the YAMLs.
    const fresh = await readAlphaPassword();
    assert.notEqual(fresh, old);
    assert.ok(fresh.length >= 32);
    assert.equal((await stat(alphaFile())).mode & 0o777, 0o600);
    assert.equal(await etcdAnswer(old), 'refused', 'etcd refuses the old password');
    assert.equal(await etcdAnswer(fresh), 'accepted', 'etcd accepts the new password');
    await assert.rejects(stat(`${alphaFile()}.previous`), 'the old password is not kept once the run ended');
    for (const instance of await listLocalInstances(sitePaths().patroniConfigDir)) {
      const yaml = await readFile(instance.configFile, 'utf8');
      if (instance.scope === 'alpha') assert.ok(yaml.includes(fresh), `${instance.name} holds the new password`);
      assert.ok(!yaml.includes(old), `${instance.name} no longer holds the old password`);
    }
    // The other cluster kept its password and writes.
    const status = await json<RotationStatus>('etcd', 'tenants', 'rotate', '--status');
    assert.equal(status.data.run?.phase, 'rotated');
  });

  it("one member's YAML cannot be replaced (read-only bind mount): the rotation rolls back, names the member and the file, the old password works, 0 demotions", async () => {
    const old = await readAlphaPassword();
    const alpha2 = (await listLocalInstances(sitePaths().patroniConfigDir)).find((i) => i.node === 'alpha-2')!;
    // As root, modes do not stop a write: a read-only bind mount of the file onto itself makes the rename over it fail (EBUSY).
    execFileSync('mount', ['--bind', '-o', 'ro', alpha2.configFile, alpha2.configFile]);
    let run: { result: CliResult; tallies: WriterTally[]; roles: RoleWatchReport };
    try {
      run = await underWriters(() => cli('etcd', 'tenants', 'rotate', 'alpha'));
    } finally {
      execFileSync('umount', [alpha2.configFile]);
    }
    assert.equal(run.result.code, 3, run.result.stderr);
    assert.match(run.result.stderr, /rotation of \/service\/alpha rolled back/);
    assert.ok(run.result.stderr.includes('/service/alpha/alpha-2'), run.result.stderr);
    assert.ok(run.result.stderr.includes(alpha2.configFile), run.result.stderr);
    assertEveryWriteLanded(run.tallies);
    assert.deepEqual(run.roles.demotions, [], 'no demotion');
    assert.deepEqual(run.roles.leaderChanges, [], 'no leader change');

    assert.equal(await readAlphaPassword(), old, 'the file holds the old password again');
    assert.equal(await etcdAnswer(old), 'accepted', 'the old password works');
    await assert.rejects(stat(`${alphaFile()}.previous`));
    for (const instance of (await listLocalInstances(sitePaths().patroniConfigDir)).filter((i) => i.scope === 'alpha'))
      assert.ok((await readFile(instance.configFile, 'utf8')).includes(old), `${instance.name} holds the old password`);
    const status = await json<RotationStatus>('etcd', 'tenants', 'rotate', '--status');
    assert.equal(status.data.run?.phase, 'rolled-back');
  });

  it('a coordinator SIGKILLed after changing the password in etcd: status shows the phase, --rollback finishes it', async () => {
    const old = await readAlphaPassword();
    const before = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology, 1_000);
    let roles: RoleWatchReport;
    try {
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('../support/rotation-child.ts', import.meta.url)),
          'alpha',
          'verifying',
        ],
        { encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env } },
      );
      assert.equal(child.signal, 'SIGKILL', child.stderr);
      await readAlphaPassword();
      assert.equal(await etcdAnswer(old), 'refused', 'the coordinator died after etcd got the new password');

      const status = await json<RotationStatus>('etcd', 'tenants', 'rotate', '--status');
      assert.equal(status.data.run?.phase, 'rotating');
      assert.deepEqual(
        status.data.run?.clusters.map((cluster) => [cluster.cluster, cluster.step]),
        [['/service/alpha', 'verifying']],
      );
      assert.deepEqual(status.data.run?.pausedByUs, ['/service/alpha']);
      const text = await cli('etcd', 'tenants', 'rotate', '--status');
      assert.match(text.stdout, /phase rotating \(\/service\/alpha: verifying\)/);
      assert.match(text.stdout, /--rollback/);
      const authStatus = await cli('etcd', 'auth', 'status');
      assert.match(authStatus.stdout, /rotation under way: .* in phase rotating/);

      const rollback = await json<{ steps: string[] }>('etcd', 'tenants', 'rotate', '--rollback');
      assert.equal(rollback.code, 0, rollback.stderr);
      assert.deepEqual(rollback.data.steps, ['/service/alpha: rolled back from step verifying']);
    } finally {
      roles = await watch.stop();
    }
    assert.deepEqual(roles.demotions, [], 'no demotion');
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'same leaders, same timelines');
    assert.equal(await readAlphaPassword(), old, 'the file holds the old password again');
    assert.equal(await etcdAnswer(old), 'accepted', 'the old password works again');
    const after = await json<RotationStatus>('etcd', 'tenants', 'rotate', '--status');
    assert.equal(after.data.run?.phase, 'rolled-back');
    assert.deepEqual(after.data.run?.pausedByUs, []);
    // A new rotation goes through on the fleet the rollback left.
    const again = await cli('etcd', 'tenants', 'rotate', 'alpha');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await etcdAnswer(await readAlphaPassword()), 'accepted');
  });

  it("no password of alpha's tenant in any output, command line, environment or log; every password file is 0600", async () => {
    assert.ok(alphaPasswords.length >= 3, 'passwords seen: the original, and the rotated ones');
    const secrets = Object.fromEntries(alphaPasswords.map((password, index) => [`alpha password #${index}`, password]));
    assert.deepEqual(
      secretsInTexts(
        outputs.map((output) => output.stdout + output.stderr),
        secrets,
      ),
      [],
      'no password in any output',
    );
    assert.ok(processTexts.length > 0);
    assert.deepEqual(secretsInTexts(processTexts, secrets), [], 'no password in a command line or environment');
    const logs = (await readdir(lab.dir, { recursive: true }))
      .filter((path) => path.endsWith('.log') || path.startsWith('reports/'))
      .map((path) => join(lab.dir, path));
    assert.ok(logs.length > 0);
    assert.deepEqual(filesHoldingSecrets(logs, secrets), [], 'no password in a log or report');
    for (const file of await readdir(sitePaths().secretsDir))
      assert.equal((await stat(join(sitePaths().secretsDir, file))).mode & 0o777, 0o600, file);
  });
});
