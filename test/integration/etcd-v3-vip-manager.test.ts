import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { V2Keys } from '../../src/adapters/etcd/v2-keys.js';
import { type ProcessHandle, startDaemon, stopProcess } from '../../src/adapters/process/daemon.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labStateSettings } from '../../src/lab/lab-settings.js';
import type { V3MoveReport } from '../../src/migration/etcd-v3/v3-move-report.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { leadersAndTimelines } from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const run = (command: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );

/**
 * Debian's vip-manager 1.0.2 (a real v2-only client) holds alpha's VIP: it
 * polls alpha's leader key through etcd's v2 API every second and keeps the
 * VIP while the key names its member. Moving alpha's keys to v3 would leave
 * it reading nothing, and it would drop the VIP. The VIP lives on one end of
 * a veth pair the test makes (the other end in a network namespace of its
 * own), on a private address used nowhere else.
 */
describe(
  "etcd v3 migrate refuses a cluster whose VIP Debian's vip-manager 1.0.2 holds through the v2 API",
  { timeout: 600_000 },
  () => {
    let lab: TestLab;
    let env: Record<string, string>;
    let vipManager: ProcessHandle | undefined;
    const suffix = randomBytes(3).toString('hex');
    const hostSide = `v3v${suffix}a`;
    const namespace = `pgfleet-v3vip-${suffix}`;
    const vip = '10.254.77.100';
    let linkMade = false;
    let namespaceMade = false;
    const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
    const vipHeld = async (): Promise<boolean> =>
      (await run('ip', ['-4', '-o', 'addr', 'show', 'dev', hostSide])).includes(` ${vip}/`);

    before(async () => {
      ensureBuiltCli();
      lab = await startTestLab({ clusters: 1, nodes: 2, etcdMembers: 1, etcdApi: 'v2' });
      env = await labEnv(lab.dir);
      await run('ip', ['netns', 'add', namespace]);
      namespaceMade = true;
      await run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', `v3v${suffix}b`, 'netns', namespace]);
      linkMade = true;
      await run('ip', ['addr', 'add', '10.254.77.1/24', 'dev', hostSide]);
      await run('ip', ['link', 'set', hostSide, 'up']);
      await run('ip', ['-n', namespace, 'addr', 'add', '10.254.77.2/24', 'dev', `v3v${suffix}b`]);
      await run('ip', ['-n', namespace, 'link', 'set', `v3v${suffix}b`, 'up']);
      const leader = (await leadersAndTimelines(lab.state.topology)).get('alpha')!.leader;
      // Every setting on its command line: none is secret.
      vipManager = startDaemon({
        command: '/usr/bin/vip-manager',
        args: [
          '--ip',
          vip,
          '--netmask',
          '24',
          '--interface',
          hostSide,
          '--trigger-key',
          '/service/alpha/leader',
          '--trigger-value',
          leader,
          '--dcs-type',
          'etcd',
          '--dcs-endpoints',
          labEtcdEndpoints(lab.state.topology)[0]!,
          '--interval',
          '1000',
        ],
        logFile: join(lab.dir, 'vip-manager.log'),
      });
      for (const deadline = Date.now() + 30_000; !(await vipHeld()); await sleep(500))
        if (Date.now() > deadline)
          assert.fail(`vip-manager did not take ${vip}: ${await readFile(join(lab.dir, 'vip-manager.log'), 'utf8')}`);
    });
    after(async () => {
      if (vipManager) await stopProcess(vipManager, { signal: 'SIGTERM', graceMs: 5_000 });
      if (linkMade) await run('ip', ['link', 'del', hostSide]).catch(() => undefined);
      if (namespaceMade) await run('ip', ['netns', 'del', namespace]).catch(() => undefined);
      await lab?.down();
    });

    it('plan and migrate refuse alpha and name vip-manager 1.0.2; nothing moves and the VIP stays on the primary', async () => {
      const sitePaths = resolveSitePaths(labStateSettings(lab.state), { isRoot: true, home: '/', env: {} });
      const files = lab.state.topology.clusters[0]!.nodes.map(
        (node) => instanceLayout(sitePaths, node.name).configFile,
      );
      const before = await Promise.all(files.map((file) => readFile(file, 'utf8')));

      const plan = await cli('--output', 'json', 'etcd', 'v3', 'plan');
      assert.equal(plan.code, 1, `plan exits 1 when a cluster is refused\n${plan.stderr}`);
      const summary = JSON.parse(plan.stdout) as V3MoveReport['plan'];
      const failures = summary.clusters.find((cluster) => cluster.cluster === '/service/alpha')!.gateFailures;
      assert.deepEqual(
        failures.map((failure) => failure.gate),
        ['v2-client'],
      );
      assert.match(failures[0]!.subject, /^vip-manager 1\.0\.2/);
      assert.match(failures[0]!.message, /\/service\/alpha\/leader/);

      const migrate = await cli('etcd', 'v3', 'migrate', '--yes');
      assert.equal(migrate.code, 1, migrate.stderr);
      assert.match(migrate.stderr, /V3_MIGRATE_BLOCKED/);
      assert.match(migrate.stderr, /vip-manager 1\.0\.2/);

      assert.deepEqual(await Promise.all(files.map((file) => readFile(file, 'utf8'))), before, 'no YAML changed');
      const v2 = new V2Keys({ endpoints: labEtcdEndpoints(lab.state.topology) });
      try {
        const keys = await v2.readTree('/service/alpha');
        assert.ok(
          keys.some((entry) => entry.key === '/service/alpha/leader'),
          'the leader key is still in v2',
        );
      } finally {
        await v2.close();
      }
      await sleep(3_000);
      assert.equal(await vipHeld(), true, 'the VIP stays');
    });
  },
);
