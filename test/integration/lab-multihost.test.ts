import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listNamespaces } from '../../src/adapters/net/network-namespace.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { processesOnHost } from '../../src/core/lab/multihost-topology.js';
import { roleChanges } from '../../src/core/lab/role-samples.js';
import type { GateFailure } from '../../src/core/migration/enforce-gates.js';
import { handOverTenantCredentials } from '../../src/lab/lab-hosts.js';
import { labHostNamespace } from '../../src/lab/lab-network.js';
import { labHeal, labPartition } from '../../src/lab/lab-partition.js';
import { labHostDir, labNodeInstanceLayout } from '../../src/lab/lab-settings.js';
import type { LabStatus } from '../../src/lab/lab-status.js';
import type { ApplyOutcome, EnforceReport, EtcdAuthStatus } from '../../src/migration/etcd-auth/index.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { spawnPgfleetOnHost } from '../support/lab-host-process.js';
import {
  assertAcknowledgedWritesReadable,
  assertNoTwoPrimaries,
  describeWatch,
  watchMultiHostLab,
} from '../support/multihost-watch.js';
import { type CliResult, CLI_PATH, runCli } from '../support/run-cli.js';

/**
 * The fleet as it really is: members on different hosts, each running its
 * own pgfleet, a coordinator reaching them over a network that can fail.
 * 3 member hosts and a coordinator, 2 clusters × 2 nodes (node i on host
 * hi), etcd1-3 on h1-h3: h3 runs etcd only. Every scenario runs under
 * writers on every primary and a role watch from the coordinator and from
 * each member host's own view; after each: no two primaries at any sample,
 * every acknowledged write readable on the primary.
 */
const SHAPE = { hosts: 3, clusters: 2, nodes: 2, etcdMembers: 3 };

type RefusedEnforce = { error: { code: string; details: { gateFailures: GateFailure[] } } };
const notPaused = (status: EtcdAuthStatus): string[] =>
  status.members.filter((member) => member.paused !== false).map((member) => member.member);

describe('a multi-host lab: 3 member hosts and a coordinator, each in its own network namespace', () => {
  let lab: TestLab;
  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab(SHAPE);
  });
  after(async () => {
    await lab?.down();
  });

  /** `pgfleet --output json ARGS` run on a host, as its operator would: `pgfleet lab exec HOST -- pgfleet ...`. */
  const onHost = (host: string, args: string[]): Promise<CliResult> =>
    runCli(['lab', 'exec', host, '--dir', lab.dir, '--', 'pgfleet', '--output', 'json', ...args]);
  const lab_ = (args: string[]): Promise<CliResult> => runCli(['--output', 'json', 'lab', ...args, '--dir', lab.dir]);
  const parsed = <T>(result: CliResult, what: string): T => {
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`${what}: no JSON on stdout (exit ${result.code})\n${result.stdout}\n${result.stderr}`);
    }
  };
  const spawnOnHost = (host: string, args: string[]) => spawnPgfleetOnHost(lab.state, host, args);
  /**
   * Waits until etcd counts no more v3 watchers and watch streams than the Patroni members hold (one each). A
   * coordinator killed while cut off leaves its census watch open on etcd's side until etcd learns, through the
   * healed link, that the connection is gone; the next enforce's census would rightly count it as unexplained.
   */
  const watchersSettled = async (): Promise<void> => {
    const expected = lab.state.topology.clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0);
    const counted = { watchers: Number.NaN, streams: Number.NaN };
    for (let attempt = 0; attempt < 180; attempt += 1) {
      counted.watchers = 0;
      counted.streams = 0;
      for (const endpoint of labEtcdEndpoints(lab.state.topology)) {
        const metrics = execFileSync(
          'ip',
          [
            'netns',
            'exec',
            labHostNamespace(lab.state, 'coordinator'),
            'curl',
            '-sS',
            '-m',
            '5',
            `${endpoint}/metrics`,
          ],
          { encoding: 'utf8' },
        );
        const value = (name: string): number =>
          Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
        counted.watchers += value('etcd_debugging_mvcc_watcher_total');
        counted.streams += value('etcd_debugging_mvcc_watch_stream_total');
      }
      if (counted.watchers <= expected && counted.streams <= expected) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    assert.fail(
      `etcd still counts ${counted.watchers} watchers on ${counted.streams} streams; the members hold ${expected}`,
    );
  };
  const memberHosts = (): string[] =>
    (lab.state.topology.hosts ?? [])
      .map((host) => host.name)
      .filter((host) => processesOnHost(lab.state.topology, host).nodes.length > 0);

  it('each host has its own namespace, address, pgfleet prefix and name; no cluster has two members on a host; the coordinator runs none; nothing of the lab is in the root namespace', async () => {
    const { topology, network } = lab.state;
    assert.ok(network);
    const namespaces = await listNamespaces();
    for (const name of [network.bridgeNamespace, ...network.hosts.map((host) => host.namespace)])
      assert.ok(namespaces.includes(name), `namespace ${name} exists`);
    assert.deepEqual(
      network.hosts.map((host) => [host.name, host.address]),
      [
        ['coordinator', '10.203.0.10'],
        ['h1', '10.203.0.11'],
        ['h2', '10.203.0.12'],
        ['h3', '10.203.0.13'],
      ],
    );
    for (const cluster of topology.clusters) {
      const hosts = cluster.nodes.map((node) => node.host);
      assert.equal(new Set(hosts).size, hosts.length, `${cluster.scope}: one member per host`);
    }
    assert.deepEqual(
      topology.etcd.map((member) => member.host),
      ['h1', 'h2', 'h3'],
      'etcd members spread over the hosts',
    );
    assert.deepEqual(processesOnHost(topology, 'coordinator'), { nodes: [], etcd: [] }, 'the coordinator runs none');

    // Every process the lab started runs inside its host's namespace.
    for (const process of lab.state.processes) {
      const inside = execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).trim();
      assert.equal(inside, labHostNamespace(lab.state, process.host!), `${process.name} runs on ${process.host}`);
    }
    // Each host its own prefix: settings, and the YAMLs of its own nodes only.
    for (const host of network.hosts) assert.ok(existsSync(join(labHostDir(lab.dir, host.name), 'settings.yaml')));
    for (const node of topology.clusters.flatMap((cluster) => cluster.nodes))
      assert.ok(
        labNodeInstanceLayout(lab.dir, topology, node.name).configFile.startsWith(
          `${labHostDir(lab.dir, node.host!)}/`,
        ),
      );

    const identity = await runCli(['lab', 'exec', 'h2', '--dir', lab.dir, '--', 'printenv', 'PGFLEET_HOST_NAME']);
    assert.equal(identity.stdout.trim(), 'h2', 'the host tells pgfleet its name');

    const status = parsed<LabStatus>(await lab_(['status']), 'lab status');
    assert.deepEqual(
      status.clusters.flatMap((cluster) => cluster.nodes.map((node) => `${node.name}@${node.host}`)),
      ['alpha-1@h1', 'alpha-2@h2', 'beta-1@h1', 'beta-2@h2'],
    );
    assert.ok(
      status.etcd.every((member) => member.healthy),
      'lab status, asked from the root namespace, sees every etcd member through the coordinator',
    );

    // Inside, the lab's /24 is the only route: a packet for anywhere else has no way out.
    for (const host of network.hosts) {
      const routes = execFileSync('ip', ['-n', host.namespace, '-4', 'route', 'show'], { encoding: 'utf8' });
      assert.deepEqual(
        routes
          .trim()
          .split('\n')
          .map((line) => line.split(' ')[0]),
        ['10.203.0.0/24'],
        `${host.name}: only the lab's subnet is routed`,
      );
    }
    const bridgeAddresses = execFileSync('ip', ['-n', network.bridgeNamespace, '-o', 'addr', 'show'], {
      encoding: 'utf8',
    });
    assert.doesNotMatch(bridgeAddresses, /inet /, 'the bridge namespace has no IPv4 address: it only switches');
    const rootAddresses = execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' });
    assert.doesNotMatch(rootAddresses, /10\.203\./, 'the root namespace has no lab address');
    const rootLinks = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.doesNotMatch(rootLinks, /\bp-(coordinator|h\d)\b/, 'nor a lab interface');
  });

  it("a member's host cut off from the coordinator between apply and enforce: the gates refuse, naming its members; auth stays off and no cluster is paused", async (t) => {
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    try {
      const prepared = await onHost('coordinator', ['etcd', 'auth', 'prepare']);
      assert.equal(prepared.code, 0, prepared.stderr);
      for (const host of memberHosts()) {
        // The operator hands each host the password files of its clusters' tenants (0600), then applies there.
        const handed = await handOverTenantCredentials(lab.state, host);
        assert.deepEqual(handed.users, ['patroni-alpha', 'patroni-beta']);
        const applied = await onHost(host, ['etcd', 'auth', 'apply', '--host-only']);
        assert.equal(applied.code, 0, applied.stderr);
        assert.deepEqual(
          parsed<{ outcomes: ApplyOutcome[] }>(applied, 'apply').outcomes.map((outcome) => outcome.status),
          ['applied', 'applied'],
        );
      }

      const cut = await lab_(['partition', 'h2', '--from', 'coordinator']);
      assert.equal(cut.code, 0, cut.stderr);
      const refused = await onHost('coordinator', ['etcd', 'auth', 'enforce']);
      assert.notEqual(refused.code, 0, 'enforce refused');
      const error = parsed<RefusedEnforce>(refused, 'enforce').error;
      assert.equal(error.code, 'ENFORCE_GATES_REFUSED', refused.stderr);
      const unreachable = error.details.gateFailures
        .filter((failure) => failure.gate === 'reachability')
        .map((failure) => failure.subject)
        .sort();
      assert.deepEqual(unreachable, ['/service/alpha/alpha-2', '/service/beta/beta-2'], 'the members of h2 are named');

      // From a host that still sees the whole fleet: nothing changed.
      const status = parsed<EtcdAuthStatus>(await onHost('h1', ['etcd', 'auth', 'status']), 'auth status');
      assert.equal(status.authEnabled, false, 'auth is still off');
      assert.deepEqual(notPaused(status), [], 'no cluster is paused');
      assert.deepEqual(
        status.members.map((member) => `${member.member}@${member.readiness?.host}`).sort(),
        [
          '/service/alpha/alpha-1@h1',
          '/service/alpha/alpha-2@h2',
          '/service/beta/beta-1@h1',
          '/service/beta/beta-2@h2',
        ],
        'each readiness record names the host that applied it',
      );
    } finally {
      await lab_(['heal', 'h2']);
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    assertNoTwoPrimaries(reports);
    assertAcknowledgedWritesReadable(reports);
  });

  it("the coordinator's host cut off right after auth enable: from another host, `etcd auth status` shows the interrupted run and `etcd auth rollback` finishes it", async (t) => {
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    // The coordinator's pgfleet started directly in its namespace, so that this test can end it once it is cut off.
    const coordinator = spawnOnHost('coordinator', ['--output', 'json', 'etcd', 'auth', 'enforce']);
    try {
      // Its next line comes once etcd said yes to auth enable: stopped there, cut off, then let go on, unreachable.
      await coordinator.line(/^probe: /m);
      coordinator.child.kill('SIGSTOP');
      await labPartition(lab.dir, 'coordinator');
      coordinator.child.kill('SIGCONT');

      // An operator on h1 finds the run interrupted once the coordinator's lock lapses, and rolls it back.
      let standing: EtcdAuthStatus['standing'] | undefined;
      for (let attempt = 0; attempt < 30; attempt += 1) {
        const status = parsed<EtcdAuthStatus>(await onHost('h1', ['etcd', 'auth', 'status']), 'auth status');
        standing = status.standing;
        if (standing?.stage === 'enforce-interrupted') break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      assert.equal(standing?.stage, 'enforce-interrupted', JSON.stringify(standing));
      // Cut off after etcd switched auth on, with the clusters paused by it.
      assert.match(
        standing!.summary,
        /its coordinator \(pid \d+ on coordinator\).*; auth is ON, 2 cluster\(s\) still paused/,
      );
      // The cut-off coordinator still holds the run lock until its lease lapses (RUN_BUSY, exit 5): try again, as an operator would.
      let rolledBack = await onHost('h1', ['etcd', 'auth', 'rollback']);
      for (let attempt = 0; attempt < 10 && rolledBack.code === 5; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        rolledBack = await onHost('h1', ['etcd', 'auth', 'rollback']);
      }
      assert.equal(rolledBack.code, 0, `${rolledBack.stdout}\n${rolledBack.stderr}`);
      const after = parsed<EtcdAuthStatus>(await onHost('h1', ['etcd', 'auth', 'status']), 'auth status');
      assert.equal(after.authEnabled, false, 'auth is off again');
      assert.deepEqual(notPaused(after), [], 'every cluster resumed');
    } finally {
      // The cut-off coordinator's run lost its lock: it must not act again once its host is back.
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
      await labHeal(lab.dir, 'coordinator');
      reports = await watch.stop();
      await watchersSettled();
    }
    t.diagnostic(describeWatch(reports));
    assertNoTwoPrimaries(reports);
    assertAcknowledgedWritesReadable(reports);
  });

  it("a member's host cut off from etcd's majority while its clusters are paused: enforce's probes catch its members, it rolls back, no member is demoted, and status names them", async (t) => {
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    // Paused first by the operator (patronictl), so that h2's members still show the pause they saw before the cut:
    // enforce goes past its gates and its pause to auth enable, and the probes meet the partition.
    for (const scope of ['alpha', 'beta']) {
      const paused = await runCli([
        'lab',
        'exec',
        'coordinator',
        '--dir',
        lab.dir,
        '--',
        'patronictl',
        'pause',
        '--wait',
        scope,
      ]);
      assert.equal(paused.code, 0, paused.stderr);
    }
    const coordinator = spawnOnHost('coordinator', ['--output', 'json', 'etcd', 'auth', 'enforce']);
    try {
      // h2 keeps its link to the coordinator and loses etcd1 (h1) and etcd3 (h3) until auth is off again. Cut once
      // the gates passed (a cut during the census's observation counts the watch streams etcd2 still believes open
      // beside those reopened elsewhere): the coordinator stopped at its pause step, cut, then let go on.
      await coordinator.line(/^pause \d+ cluster/m);
      coordinator.child.kill('SIGSTOP');
      await labPartition(lab.dir, 'h2', ['h1', 'h3']);
      coordinator.child.kill('SIGCONT');
      const healed = coordinator.line(/auth switched off again/).then(() => labHeal(lab.dir, 'h2'));
      const code = await coordinator.exited;
      await healed;
      assert.equal(code, 3, `enforce rolled back (exit 3)\n${coordinator.stderr()}`);
      const error = JSON.parse(coordinator.stdout()) as { error: { code: string; details: { report: EnforceReport } } };
      assert.equal(error.error.code, 'ENFORCE_ROLLED_BACK');
      assert.deepEqual(
        error.error.details.report.state.probes
          .filter((probe) => !probe.ok)
          .map((probe) => probe.member)
          .sort(),
        ['/service/alpha/alpha-2', '/service/beta/beta-2'],
        'the probes of the members on h2 failed, and only those',
      );

      const status = parsed<EtcdAuthStatus>(await onHost('coordinator', ['etcd', 'auth', 'status']), 'auth status');
      assert.equal(status.authEnabled, false, 'auth is off again');
      assert.equal(status.lastRun?.phase, 'rolled-back');
      assert.deepEqual(
        status.members.map((member) => `${member.member}: ${member.lastProbe?.ok ? 'wrote' : 'failed'}`).sort(),
        [
          '/service/alpha/alpha-1: wrote',
          '/service/alpha/alpha-2: failed',
          '/service/beta/beta-1: wrote',
          '/service/beta/beta-2: failed',
        ],
      );
      assert.deepEqual(
        status.members.filter((member) => member.paused !== true).map((member) => member.member),
        [],
        'the clusters the operator paused stay paused: enforce resumes only what it paused',
      );
    } finally {
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
      await labHeal(lab.dir, 'h2');
      for (const scope of ['alpha', 'beta'])
        await runCli(['lab', 'exec', 'coordinator', '--dir', lab.dir, '--', 'patronictl', 'resume', '--wait', scope]);
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    assertNoTwoPrimaries(reports);
    assertAcknowledgedWritesReadable(reports);
    assert.deepEqual(roleChanges(reports.flatMap((report) => report.samples)).demotions, [], 'no member was demoted');
  });

  it("one etcd member's host cut off during enforce (quorum kept): enforce completes and reports the endpoint", async (t) => {
    // The previous scenario cut h2 off from two etcd members: the streams its Patroni had open there count on
    // etcd's side until the healed link tells etcd they are gone; this enforce's census would rightly refuse them.
    await watchersSettled();
    const watch = await watchMultiHostLab(lab.state);
    let reports;
    const etcd3 = lab.state.topology.etcd.find((member) => member.host === 'h3')!;
    try {
      const [node, ...args] = [process.execPath, CLI_PATH];
      const enforce = spawn(
        node!,
        [
          ...args,
          'lab',
          'exec',
          'coordinator',
          '--dir',
          lab.dir,
          '--',
          'pgfleet',
          '--output',
          'json',
          'etcd',
          'auth',
          'enforce',
        ],
        { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      enforce.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      let cutting: Promise<unknown> | undefined;
      enforce.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (!cutting && /^pause /m.test(stderr)) cutting = labPartition(lab.dir, 'h3');
      });
      const code = await new Promise<number | null>((resolve) => enforce.once('close', resolve));
      assert.ok(cutting, `h3 was cut off during enforce\n${stderr}`);
      await cutting;
      assert.equal(code, 0, `enforce completed\n${stdout}\n${stderr}`);
      const report = JSON.parse(stdout) as EnforceReport;
      assert.equal(report.state.phase, 'enforced');
      assert.deepEqual(report.state.endpointsDown, [`http://${etcd3.address}:${etcd3.clientPort}`]);
      assert.ok(
        report.state.probes.every((probe) => probe.ok),
        'every member wrote with its own credentials',
      );
    } finally {
      await lab_(['heal', 'h3']);
      reports = await watch.stop();
    }
    t.diagnostic(describeWatch(reports));
    assertNoTwoPrimaries(reports);
    assertAcknowledgedWritesReadable(reports);
  });
});
