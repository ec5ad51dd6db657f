import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { roleChanges } from '../../src/core/lab/role-samples.js';
import { labNodeInstanceLayout } from '../../src/lab/lab-settings.js';
import type { LabStatus } from '../../src/lab/lab-status.js';
import type { V3HostStepReport } from '../../src/migration/etcd-v3/host-step-run.js';
import type { V3MoveReport, V3RollbackReport } from '../../src/migration/etcd-v3/v3-move-report.js';
import type { EtcdV3Status } from '../../src/migration/etcd-v3/v3-status.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { spawnPgfleetOnHost } from '../support/lab-host-process.js';
import { assertNoTwoPrimaries, describeWatch, watchMultiHostLab } from '../support/multihost-watch.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * A v2 fleet whose members are on other hosts than the coordinator: 2 member
 * hosts and a coordinator running none, 2 clusters × 2 nodes (node i on host
 * hi), etcd (--enable-v2) on h1. The coordinator runs `etcd v3 migrate`;
 * each member host runs `etcd v3 migrate --host-only`, which moves its own
 * members when the coordinator asks. Writers on every primary and every
 * member's role sampled each second, from the coordinator and from each
 * host's own view.
 */
describe('etcd v3 migrate across hosts: the coordinator asks, each member host moves its own members (--host-only)', () => {
  let lab: TestLab;
  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ hosts: 2, clusters: 2, nodes: 2, etcdMembers: 1, etcdApi: 'v2' });
  });
  after(async () => {
    await lab?.down();
  });

  /** `pgfleet --output json ARGS` run on a lab host, as its operator would. */
  const onHost = (host: string, args: string[]): Promise<CliResult> =>
    runCli(['lab', 'exec', host, '--dir', lab.dir, '--', 'pgfleet', '--output', 'json', ...args]);
  const parsed = <T>(result: CliResult, what: string): T => {
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`${what}: no JSON on stdout (exit ${result.code})\n${result.stdout}\n${result.stderr}`);
    }
  };
  const spawnOnHost = (host: string, args: string[]) => spawnPgfleetOnHost(lab.state, host, args);
  const nodes = () => lab.state.topology.clusters.flatMap((cluster) => cluster.nodes);
  /** Each member's DCS section, read from its YAML on its own host. */
  const sections = async (): Promise<Record<string, string[]>> =>
    Object.fromEntries(
      await Promise.all(
        nodes().map(async (node) => {
          const file = labNodeInstanceLayout(lab.dir, lab.state.topology, node.name).configFile;
          const config = parse(await readFile(file, 'utf8'), { version: '1.1' }) as Record<string, unknown>;
          return [node.name, ['etcd', 'etcd3'].filter((key) => config[key] !== undefined)] as const;
        }),
      ),
    );
  /** Per cluster: its leader and each member's role and timeline, as `lab status` sees them from the coordinator. */
  const roles = async (): Promise<Record<string, { leader: string | undefined; nodes: string[] }>> => {
    const status = parsed<LabStatus>(await runCli(['--output', 'json', 'lab', 'status', '--dir', lab.dir]), 'status');
    return Object.fromEntries(
      status.clusters.map((cluster) => [
        cluster.scope,
        {
          leader: cluster.leader,
          nodes: cluster.nodes.map((node) => `${node.name} ${node.role ?? '?'} tl${node.timeline ?? '?'}`),
        },
      ]),
    );
  };

  it('the plan, on the coordinator, names each member as on another host and the command its host runs', async () => {
    const plan = await onHost('coordinator', ['etcd', 'v3', 'plan']);
    assert.equal(plan.code, 0, plan.stderr);
    const summary = parsed<V3MoveReport['plan']>(plan, 'plan');
    assert.equal(summary.movable, 2);
    const address = new Map(lab.state.network!.hosts.map((host) => [host.name, host.address]));
    // In restart order: the leader (whichever node leads now) first.
    assert.deepEqual(
      summary.clusters.map((cluster) => cluster.hostSteps.map((step) => `${step.member}@${step.restHost}`)),
      lab.state.topology.clusters.map((cluster) => {
        const leader = summary.clusters.find((entry) => entry.cluster === `/service/${cluster.scope}`)!.leader;
        return [...cluster.nodes]
          .sort((x, y) => Number(y.name === leader) - Number(x.name === leader))
          .map((node) => `${node.name}@${address.get(node.host!)}`);
      }),
    );
    assert.ok(summary.clusters.every((cluster) => cluster.hostSteps.every((step) => /--host-only/.test(step.command))));
  });

  it('a member host that never runs --host-only: V3_HOSTS_NOT_READY, the cluster rolled back (its leader put back by its host) and healthy on v2', async (t) => {
    const before = await roles();
    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = alpha.nodes.find((node) => node.name === before.alpha!.leader)!;
    const replica = alpha.nodes.find((node) => node !== leader)!;
    const replicaAddress = lab.state.network!.hosts.find((host) => host.name === replica.host)!.address;
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    let coordinator: CliResult;
    let leaderHost: CliResult;
    try {
      // The leader's host serves (the leader is asked for first); the replica's host never does.
      const serving = onHost(leader.host!, ['etcd', 'v3', 'migrate', '--host-only', '--host-timeout', '120']);
      coordinator = await onHost('coordinator', ['etcd', 'v3', 'migrate', 'alpha', '--yes', '--host-timeout', '15']);
      leaderHost = await serving;
    } finally {
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    assert.equal(coordinator.code, 3, coordinator.stderr);
    const report = parsed<V3MoveReport>(coordinator, 'migrate');
    assert.deepEqual(
      report.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
      [['/service/alpha', 'rolled-back']],
    );
    assert.match(
      report.clusters[0]!.detail,
      new RegExp(`no host answered within 15 s for /service/alpha/${replica.name}`),
    );
    assert.ok(report.clusters[0]!.detail.includes(replicaAddress), 'names the silent host by its address');
    // The leader's host moved it when asked, then put it back when the cluster rolled back.
    assert.equal(leaderHost.code, 0, leaderHost.stderr);
    const served = parsed<V3HostStepReport>(leaderHost, `${leader.host} --host-only`);
    assert.deepEqual(
      served.steps.map((step) => `${step.member} ${step.action} ${step.ok}`),
      [`${leader.name} move true`, `${leader.name} rollback true`],
    );

    const now = await sections();
    assert.deepEqual(now[leader.name], ['etcd'], 'the leader back on etcd:');
    assert.deepEqual(now[replica.name], ['etcd'], 'the replica never left etcd:');
    assert.deepEqual(await roles(), before, 'same leaders, roles and timelines');
    const status = parsed<EtcdV3Status>(await onHost('coordinator', ['etcd', 'v3', 'status']), 'status');
    assert.deepEqual(
      status.v2Clusters.map((cluster) => [cluster.cluster, cluster.leader, cluster.members.sort()]),
      [
        ['/service/alpha', before.alpha!.leader, ['alpha-1', 'alpha-2']],
        ['/service/beta', before.beta!.leader, ['beta-1', 'beta-2']],
      ],
      'both clusters on v2 with their leaders',
    );
    assertNoTwoPrimaries(reports);
    const coordinatorView = reports.find((entry) => entry.view === 'coordinator')!;
    for (const tally of coordinatorView.writers) assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
    assert.deepEqual(roleChanges(reports.flatMap((entry) => entry.samples)).demotions, [], 'no demotion');
  });

  it('the coordinator SIGKILLed while it waits for a host: status shows the run interrupted at awaiting-hosts; `etcd v3 rollback` with --host-only on each host puts the cluster back on v2', async (t) => {
    const before = await roles();
    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = alpha.nodes.find((node) => node.name === before.alpha!.leader)!;
    const replica = alpha.nodes.find((node) => node !== leader)!;
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    let coordinator: ReturnType<typeof spawnOnHost> | undefined;
    try {
      const serving = onHost(leader.host!, ['etcd', 'v3', 'migrate', '--host-only', '--host-timeout', '120']);
      coordinator = spawnOnHost('coordinator', [
        '--output',
        'json',
        'etcd',
        'v3',
        'migrate',
        'alpha',
        '--yes',
        '--host-timeout',
        '300',
      ]);
      // The leader moved by its host; the coordinator now waits for the replica's host.
      await coordinator.line(new RegExp(`/service/alpha/${replica.name}: on another host .*waiting up to`));
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
      // The leader's host ends once the killed coordinator's run lock is gone.
      const first = await serving;
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(
        parsed<V3HostStepReport>(first, 'first --host-only').steps.map((step) => `${step.member} ${step.action}`),
        [`${leader.name} move`],
      );
      const status = parsed<EtcdV3Status>(await onHost('coordinator', ['etcd', 'v3', 'status']), 'status');
      assert.equal(status.interrupted, true, 'status shows the interrupted run');
      assert.deepEqual(
        status.inFlight.map((entry) => [entry.cluster, entry.step, entry.recovery]),
        [['/service/alpha', 'awaiting-hosts', 'roll-back']],
      );

      const [rolledBack, ...hosts] = await Promise.all([
        onHost('coordinator', ['etcd', 'v3', 'rollback', '--host-timeout', '120']),
        ...['h1', 'h2'].map((host) => onHost(host, ['etcd', 'v3', 'migrate', '--host-only', '--host-timeout', '120'])),
      ]);
      assert.equal(rolledBack!.code, 0, rolledBack!.stderr);
      assert.deepEqual(
        parsed<V3RollbackReport>(rolledBack!, 'rollback').clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
        [['/service/alpha', 'rolled-back']],
      );
      const steps = hosts.flatMap((result) => {
        assert.equal(result.code, 0, result.stderr);
        return parsed<V3HostStepReport>(result, '--host-only').steps.map(
          (step) => `${step.member} ${step.action} ${step.ok}`,
        );
      });
      assert.deepEqual(
        steps.sort(),
        [`${leader.name} rollback true`, `${replica.name} rollback true`].sort(),
        "each member's own host put it back (the replica's found it untouched)",
      );
    } finally {
      // Never left running by a failed assertion before the kill.
      if (coordinator && coordinator.child.exitCode === null && coordinator.child.signalCode === null)
        coordinator.child.kill('SIGKILL');
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    const now = await sections();
    assert.deepEqual([now[leader.name], now[replica.name]], [['etcd'], ['etcd']], 'alpha on etcd: again');
    assert.deepEqual(await roles(), before, 'same leaders, roles and timelines');
    const status = parsed<EtcdV3Status>(await onHost('coordinator', ['etcd', 'v3', 'status']), 'status');
    assert.equal(status.interrupted, false);
    assert.deepEqual(
      status.v2Clusters.map((cluster) => cluster.cluster),
      ['/service/alpha', '/service/beta'],
    );
    assertNoTwoPrimaries(reports);
    const coordinatorView = reports.find((entry) => entry.view === 'coordinator')!;
    for (const tally of coordinatorView.writers) assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
    assert.deepEqual(roleChanges(reports.flatMap((entry) => entry.samples)).demotions, [], 'no demotion');
  });

  it('migrate on the coordinator with --host-only on every member host moves both clusters under writers: every YAML on etcd3:, same leader and timeline, 0 failed writes, 0 demotions, v2 keys gone', async (t) => {
    const before = await roles();
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    let results: CliResult[];
    try {
      results = await Promise.all([
        onHost('coordinator', ['etcd', 'v3', 'migrate', '--yes', '--host-timeout', '120']),
        onHost('h1', ['etcd', 'v3', 'migrate', '--host-only', '--host-timeout', '120']),
        onHost('h2', ['etcd', 'v3', 'migrate', '--host-only', '--host-timeout', '120']),
      ]);
    } finally {
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    const [coordinator, h1, h2] = results;
    assert.equal(coordinator!.code, 0, coordinator!.stderr);
    const report = parsed<V3MoveReport>(coordinator!, 'migrate');
    assert.equal(report.outcome, 'moved');
    assert.deepEqual(
      report.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
      [
        ['/service/alpha', 'moved'],
        ['/service/beta', 'moved'],
      ],
    );
    for (const [host, result] of [
      ['h1', h1!],
      ['h2', h2!],
    ] as const) {
      assert.equal(result.code, 0, result.stderr);
      const served = parsed<V3HostStepReport>(result, `${host} --host-only`);
      assert.equal(served.host, host);
      assert.deepEqual(
        served.steps.map((step) => `${step.member} ${step.action} ${step.ok}`).sort(),
        nodes()
          .filter((node) => node.host === host)
          .map((node) => `${node.name} move true`)
          .sort(),
        `${host} moved its own members, and only them`,
      );
    }

    for (const [node, keys] of Object.entries(await sections()))
      assert.deepEqual(keys, ['etcd3'], `${node}: its YAML on its own host says etcd3:`);
    assert.deepEqual(await roles(), before, 'same leader, roles and timeline per cluster');
    const coordinatorView = reports.find((entry) => entry.view === 'coordinator')!;
    assert.equal(coordinatorView.writers.length, 2, 'a writer on each primary');
    for (const tally of coordinatorView.writers) {
      assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
      assert.ok(tally.ok > 0, `${tally.scope}: the writer kept writing`);
    }
    const changes = roleChanges(reports.flatMap((entry) => entry.samples));
    assert.deepEqual(changes.demotions, [], 'no demotion');
    assert.deepEqual(changes.leaderChanges, [], 'no leader change');
    assertNoTwoPrimaries(reports);

    const status = parsed<EtcdV3Status>(await onHost('coordinator', ['etcd', 'v3', 'status']), 'status');
    assert.deepEqual(status.v2Clusters, [], "the clusters' v2 keys are gone");
    assert.equal(status.lastRun?.phase, 'finished');
    for (const host of ['h1', 'h2']) {
      const own = parsed<EtcdV3Status>(await onHost(host, ['etcd', 'v3', 'status']), `${host} status`);
      assert.deepEqual(own.hostMembersOnV2, [], `${host}: no member left on etcd:`);
    }
  });
});
