import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { V2Keys } from '../../src/adapters/etcd/v2-keys.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { changedLines } from '../../src/core/yaml/line-diff.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { ensureClusterRoles } from '../../src/lab/lab-secrets.js';
import { labStateSettings } from '../../src/lab/lab-settings.js';
import type { V3MoveReport, V3RollbackReport } from '../../src/migration/etcd-v3/v3-move-report.js';
import type { EtcdV3Status } from '../../src/migration/etcd-v3/v3-status.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  assertNoRoleChange,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * A v2 fleet (etcd 3.4.23 with --enable-v2, every Patroni 3.0.2 member on the
 * `etcd:` section) moved to etcd3 while writers insert into every primary
 * and every member's role is sampled every second.
 */
function v2Fleet(lab: () => TestLab) {
  const sitePaths = () =>
    resolveSitePaths(labStateSettings(lab().state), { isRoot: process.getuid?.() === 0, home: '/', env: {} });
  const nodes = () => lab().state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const configFile = (node: string) => instanceLayout(sitePaths(), node).configFile;
  const endpoints = () => labEtcdEndpoints(lab().state.topology);
  const yamls = async (): Promise<Map<string, string>> =>
    new Map(
      await Promise.all(
        nodes().map(async (node) => [node.name, await readFile(configFile(node.name), 'utf8')] as const),
      ),
    );
  const v2Keys = async (scope: string): Promise<string[]> => {
    const v2 = new V2Keys({ endpoints: endpoints() });
    try {
      return (await v2.readTree(`/service/${scope}`)).map((entry) => entry.key);
    } finally {
      await v2.close();
    }
  };
  const v3Keys = async (scope: string): Promise<string[]> => {
    const client = new EtcdClient({ endpoints: endpoints() });
    try {
      return (await client.getPrefix(`/service/${scope}/`, { keysOnly: true })).map((entry) => entry.key);
    } catch {
      return ['(v3 not readable anonymously)'];
    } finally {
      await client.close();
    }
  };
  const v2LeaderOf = async (scope: string): Promise<string | undefined> => {
    const v2 = new V2Keys({ endpoints: endpoints() });
    try {
      return (await v2.readTree(`/service/${scope}`)).find((entry) => entry.key === `/service/${scope}/leader`)?.value;
    } finally {
      await v2.close();
    }
  };
  const paused = async (scope: string): Promise<boolean[]> => {
    const cluster = lab().state.topology.clusters.find((candidate) => candidate.scope === scope)!;
    return Promise.all(
      cluster.nodes.map(async (node) => {
        const rest = new PatroniRestClient(`http://127.0.0.1:${node.restPort}`);
        try {
          return (await rest.nodeStatus()).pause === true;
        } finally {
          await rest.close();
        }
      }),
    );
  };
  /** `patronictl -c <member yaml> list -f json`: the members patronictl sees with that member's own configuration. */
  const patronictlList = (node: string): Promise<Array<{ Member: string; Role: string }>> =>
    new Promise((resolve, reject) =>
      execFile(
        'patronictl',
        ['-c', configFile(node), 'list', '-f', 'json'],
        { timeout: 60_000 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`patronictl -c ${configFile(node)} list: ${error.message}\n${stderr}`))
            : resolve(JSON.parse(stdout)),
      ),
    );
  const rolePasswords = async (): Promise<string[]> => {
    const passwords: string[] = [];
    for (const cluster of lab().state.topology.clusters)
      passwords.push(
        ...Object.values(await ensureClusterRoles(lab().dir, cluster.scope)).map((role) => role.password.reveal()),
      );
    return passwords;
  };
  return { nodes, configFile, yamls, v2Keys, v3Keys, v2LeaderOf, paused, patronictlList, rolePasswords };
}

/** Every member's YAML differs from before only on its DCS key's line, `etcd:` now `etcd3:`, its section the same. */
function assertOnlySectionRenamed(before: string, after: string, node: string): void {
  const diff = changedLines(before, after);
  assert.equal(diff.removed.length, 1, `${node}: one line changed`);
  assert.deepEqual(diff.added, diff.removed, `${node}: the line replaced in place`);
  assert.match(after.split('\n')[diff.added[0]! - 1]!, /^etcd3:/, `${node}: the changed line is the section key`);
  const was = parse(before, { version: '1.1' }) as Record<string, unknown>;
  const is = parse(after, { version: '1.1' }) as Record<string, unknown>;
  assert.deepEqual(is.etcd3, was.etcd, `${node}: the section carried over`);
  assert.equal(is.etcd, undefined);
}

describe('etcd v3 migrate on a live v2 fleet (2 clusters × 2 nodes): both clusters move, then etcd auth secures the fleet', () => {
  let lab: TestLab;
  /**
   * Another fleet on this host, on its own etcd, on etcd: too, with a cluster of the same name (alpha): as
   * when another lab or site runs beside this one. Counting its members as this fleet's made `status` list
   * /service/alpha/alpha-1 on v2 after a complete move.
   */
  let otherFleet: TestLab;
  let env: Record<string, string>;
  const fleet = v2Fleet(() => lab);
  const other = v2Fleet(() => otherFleet);
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });

  before(async () => {
    ensureBuiltCli();
    const [started, beside] = await Promise.allSettled([
      startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1, etcdApi: 'v2' }),
      startTestLab({ clusters: 1, nodes: 1, etcdMembers: 1, etcdApi: 'v2', scopes: ['alpha'] }),
    ]);
    if (started.status === 'fulfilled') lab = started.value;
    if (beside.status === 'fulfilled') otherFleet = beside.value;
    if (started.status === 'rejected') throw started.reason;
    if (beside.status === 'rejected') throw beside.reason;
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await Promise.all([lab?.down(), otherFleet?.down()]);
  });

  it('starts on the v2 API: every member on etcd:, the clusters in the v2 keyspace only, the plan clears both', async () => {
    for (const [node, yaml] of await fleet.yamls()) {
      const config = parse(yaml) as Record<string, unknown>;
      assert.ok(config.etcd && !config.etcd3, `${node} on etcd:`);
    }
    for (const scope of ['alpha', 'beta']) {
      assert.ok((await fleet.v2Keys(scope)).includes(`/service/${scope}/config`));
      assert.deepEqual(await fleet.v3Keys(scope), []);
    }
    const plan = await cli('--output', 'json', 'etcd', 'v3', 'plan');
    assert.equal(plan.code, 0, plan.stderr);
    const summary = JSON.parse(plan.stdout) as V3MoveReport['plan'];
    assert.equal(summary.movable, 2);
    assert.deepEqual(
      summary.clusters.map((cluster) => cluster.gateFailures),
      [[], []],
    );
  });

  it('migrate --yes moves both under writers: same leader and timeline, 0 failed writes, 0 demotions, only the section key renamed, v2 keys gone, patronictl works', async () => {
    const before = await fleet.yamls();
    const leaders = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([scope, entry]) => [scope, entry.leader])),
    );
    const roles = startRoleWatch(lab.state.topology, 1_000);
    let result: CliResult;
    let tallies: WriterTally[];
    try {
      result = await cli('--output', 'json', 'etcd', 'v3', 'migrate', '--yes');
    } finally {
      tallies = await writers.stop();
    }
    const watched = await roles.stop();
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as V3MoveReport;
    assert.equal(report.outcome, 'moved');
    assert.deepEqual(
      report.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
      [
        ['/service/alpha', 'moved'],
        ['/service/beta', 'moved'],
      ],
    );
    assertEveryWriteLanded(tallies);
    assertNoRoleChange(watched);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leaders, 'same leader and timeline per cluster');
    const after = await fleet.yamls();
    for (const [node, yaml] of before) assertOnlySectionRenamed(yaml, after.get(node)!, node);
    for (const scope of ['alpha', 'beta']) {
      assert.deepEqual(await fleet.v2Keys(scope), [], `${scope}: its v2 keys are gone`);
      const v3 = await fleet.v3Keys(scope);
      for (const key of ['config', 'initialize', 'leader', `members/${scope}-1`, `members/${scope}-2`])
        assert.ok(v3.includes(`/service/${scope}/${key}`), `${scope}: ${key} in v3`);
      assert.deepEqual(await fleet.paused(scope), [false, false], `${scope}: resumed`);
    }
    for (const node of fleet.nodes()) {
      const listed = await fleet.patronictlList(node.name);
      assert.deepEqual(listed.map((member) => member.Member).sort(), [`${node.scope}-1`, `${node.scope}-2`]);
      assert.equal(listed.find((member) => member.Role === 'Leader')?.Member, leaders.get(node.scope)!.leader);
    }
    for (const password of await fleet.rolePasswords())
      assert.ok(!`${result.stdout}${result.stderr}`.includes(password), 'no password in the output');
    const [otherNode] = other.nodes();
    assert.ok(
      (parse((await other.yamls()).get(otherNode!.name)!) as Record<string, unknown>).etcd,
      'the other fleet on this host: its member still on etcd:',
    );
    assert.ok((await other.v2Keys('alpha')).includes('/service/alpha/leader'), 'the other fleet: still in its v2');
  });

  it('status then shows no cluster left on v2 and a finished run; a rerun has nothing to do', async () => {
    const status = await cli('--output', 'json', 'etcd', 'v3', 'status');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as EtcdV3Status;
    assert.deepEqual(parsed.v2Clusters, []);
    assert.deepEqual(parsed.hostMembersOnV2, [], "this fleet's members only: none left on etcd:");
    const otherFile = other.configFile(other.nodes()[0]!.name);
    assert.match(
      parsed.leftAlone.find((file) => file.configFile === otherFile)?.reason ?? '(not named)',
      /its etcd .* is not this site's/,
      "the other fleet's member on etcd: is named as left alone, not as one of ours",
    );
    assert.equal(parsed.lastRun?.phase, 'finished');
    assert.equal(parsed.interrupted, false);
    const rerun = await cli('--output', 'json', 'etcd', 'v3', 'migrate', '--yes');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal((JSON.parse(rerun.stdout) as V3MoveReport).outcome, 'nothing-to-do');
  });

  it('etcd auth migrate --yes then secures the moved fleet', async () => {
    const result = await cli('--output', 'json', 'etcd', 'auth', 'migrate', '--yes');
    assert.equal(result.code, 0, result.stderr);
    const probe = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology) });
    try {
      assert.equal(await probe.isAuthEnabled(), true);
    } finally {
      await probe.close();
    }
    for (const node of fleet.nodes()) {
      const section = (parse(await readFile(fleet.configFile(node.name), 'utf8')) as { etcd3: { username?: string } })
        .etcd3;
      assert.equal(section.username, `patroni-${node.scope}`, `${node.name} has its tenant's credentials`);
      assert.equal(
        (await fleet.patronictlList(node.name)).length,
        2,
        `patronictl -c ${node.name}.yaml list works with auth on`,
      );
    }
  });
});

describe('etcd v3 migrate when something fails: one cluster rolls back, an interrupted coordinator is finished', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const fleet = v2Fleet(() => lab);
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  let immutable: string | undefined;
  const chattr = (flag: '+i' | '-i', file: string): Promise<void> =>
    new Promise((resolve, reject) =>
      execFile('chattr', [flag, file], (error, _stdout, stderr) =>
        error ? reject(new Error(`chattr ${flag} ${file}: ${stderr}`)) : resolve(),
      ),
    );
  /** The coordinator as its own process, SIGKILLed right after `cluster` reaches `milestone`. */
  const killedCoordinator = (cluster: string, milestone: string): Promise<{ signal: string | null; stderr: string }> =>
    new Promise((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('../support/v3-move-child.ts', import.meta.url)), cluster, milestone],
        { env: { ...process.env, ...env }, timeout: 300_000 },
        (error, _stdout, stderr) => resolve({ signal: error?.signal ?? null, stderr }),
      ),
    );
  /** Writers on every primary and roles sampled every second for the whole file, checked at its end. */
  let writers: ReturnType<typeof startFleetWriters>;
  let roles: ReturnType<typeof startRoleWatch>;
  let leaders: Awaited<ReturnType<typeof leadersAndTimelines>>;

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1, etcdApi: 'v2' });
    env = await labEnv(lab.dir);
    leaders = await leadersAndTimelines(lab.state.topology);
    writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([scope, entry]) => [scope, entry.leader])),
    );
    roles = startRoleWatch(lab.state.topology, 1_000);
  });
  after(async () => {
    await writers?.stop().catch(() => undefined);
    await roles?.stop().catch(() => undefined);
    if (immutable) await chattr('-i', immutable).catch(() => undefined);
    await lab?.down();
  });

  it("one member's YAML unwritable (chattr +i): alpha rolls back and is healthy on v2, beta (moved after it, clusters go in name order) is moved", async () => {
    const alphaReplica = lab.state.topology.clusters[0]!.nodes.find(
      (node) => node.name !== leaders.get('alpha')!.leader,
    )!.name;
    const before = await fleet.yamls();
    immutable = fleet.configFile(alphaReplica);
    await chattr('+i', immutable);
    let result: CliResult;
    try {
      result = await cli('--output', 'json', 'etcd', 'v3', 'migrate', '--yes');
    } finally {
      await chattr('-i', immutable);
      immutable = undefined;
    }
    assert.equal(result.code, 3, result.stderr);
    const report = JSON.parse(result.stdout) as V3MoveReport;
    const outcomes = Object.fromEntries(report.clusters.map((cluster) => [cluster.cluster, cluster]));
    assert.equal(outcomes['/service/alpha']!.outcome, 'rolled-back');
    assert.match(outcomes['/service/alpha']!.detail, new RegExp(`${alphaReplica}.*could not be rewritten`));
    assert.equal(outcomes['/service/beta']!.outcome, 'moved');
    const after = await fleet.yamls();
    for (const node of ['alpha-1', 'alpha-2'])
      assert.equal(after.get(node), before.get(node), `${node}: its YAML as before`);
    for (const node of ['beta-1', 'beta-2']) assertOnlySectionRenamed(before.get(node)!, after.get(node)!, node);
    assert.equal(await fleet.v2LeaderOf('alpha'), leaders.get('alpha')!.leader, 'alpha: same leader in v2');
    assert.deepEqual(await fleet.v3Keys('alpha'), [], 'alpha: its v3 copies removed');
    assert.deepEqual(await fleet.paused('alpha'), [false, false], 'alpha: resumed in v2');
    assert.equal((await fleet.patronictlList('alpha-1')).length, 2);
    assert.deepEqual(await fleet.v2Keys('beta'), []);
  });

  it('the coordinator SIGKILLed between the key copy and the restarts: status shows the interrupted run, rollback puts alpha back on v2', async () => {
    const killed = await killedCoordinator('/service/alpha', 'copied');
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, /copied \d+ durable keys to v3/);
    const status = await cli('--output', 'json', 'etcd', 'v3', 'status');
    assert.equal(status.code, 1, `status exits 1 for an interrupted run\n${status.stderr}`);
    const parsed = JSON.parse(status.stdout) as EtcdV3Status;
    assert.equal(parsed.interrupted, true);
    assert.deepEqual(
      parsed.inFlight.map((entry) => [entry.cluster, entry.recovery]),
      [['/service/alpha', 'roll-back']],
    );
    assert.ok(['copying', 'rewriting', 'restarting'].includes(parsed.inFlight[0]!.step), parsed.inFlight[0]!.step);
    assert.ok((await fleet.v3Keys('alpha')).includes('/service/alpha/config'), 'the copy is in v3');
    const text = await cli('etcd', 'v3', 'status');
    assert.match(text.stdout, /INTERRUPTED/);

    const rollback = await cli('--output', 'json', 'etcd', 'v3', 'rollback');
    assert.equal(rollback.code, 0, rollback.stderr);
    const rolled = JSON.parse(rollback.stdout) as V3RollbackReport;
    assert.deepEqual(
      rolled.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
      [['/service/alpha', 'rolled-back']],
    );
    for (const node of ['alpha-1', 'alpha-2'])
      assert.ok(
        (parse(await readFile(fleet.configFile(node), 'utf8')) as Record<string, unknown>).etcd,
        `${node} on etcd: again`,
      );
    assert.equal(await fleet.v2LeaderOf('alpha'), leaders.get('alpha')!.leader);
    assert.deepEqual(await fleet.v3Keys('alpha'), []);
    assert.deepEqual(await fleet.paused('alpha'), [false, false]);
    const after = JSON.parse((await cli('--output', 'json', 'etcd', 'v3', 'status')).stdout) as EtcdV3Status;
    assert.equal(after.interrupted, false);
  });

  it('SIGKILLed again after the restarts on v3: a rerun of migrate rolls alpha back (restarts while paused), then moves it', async () => {
    const killed = await killedCoordinator('/service/alpha', 'restarted');
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const rerun = await cli('--output', 'json', 'etcd', 'v3', 'migrate', '--yes');
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = JSON.parse(rerun.stdout) as V3MoveReport;
    assert.ok(report.finishedInterruptedRun, 'the interrupted run was finished first');
    assert.match(rerun.stderr, /alpha-\d: restart Patroni on v2/);
    assert.deepEqual(
      report.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
      [['/service/alpha', 'moved']],
    );
    assert.deepEqual(await fleet.v2Keys('alpha'), []);
    assert.equal((await fleet.patronictlList('alpha-2')).length, 2);
  });

  it('through all of it: 0 failed writes, no demotion, same leaders and timelines', async () => {
    const tallies = await writers.stop();
    const watched = await roles.stop();
    assertEveryWriteLanded(tallies);
    assertNoRoleChange(watched);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leaders);
  });
});
