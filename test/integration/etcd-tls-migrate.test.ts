import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../src/adapters/etcd/patroni-members.js';
import type { SwitchoverResult } from '../../src/cluster/cluster-switchover.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { isPortFree } from '../../src/adapters/process/port-probe.js';
import { PgfleetError } from '../../src/core/errors.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import {
  ETCD_TLS_MIGRATION_KEY,
  type EtcdTlsMemberResult,
  type EtcdTlsRunState,
} from '../../src/core/migration/etcd-tls-run.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { readPatroniPid } from '../../src/node/patroni-process.js';
import { labEtcdHttpsOnly } from '../../src/lab/lab-etcd-https-only.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { clusterReadiness } from '../../src/lab/fleet-readiness.js';
import { ensureClusterRoles } from '../../src/lab/lab-secrets.js';
import { labStateSettings } from '../../src/lab/lab-settings.js';
import { loadLabState } from '../../src/lab/lab-state.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import { FleetRestClients } from '../../src/fleet/fleet-rest.js';
import { probeMemberWrites } from '../../src/fleet/member-write-probe.js';
import { type EtcdTlsFleet, etcdTlsFleetFromSettings } from '../../src/migration/etcd-tls/tls-fleet.js';
import { etcdTlsBackupFile } from '../../src/migration/etcd-tls/member-tls-switch.js';
import {
  type EtcdTlsMigrationReport,
  migrateEtcdTls,
  readEtcdTlsRunState,
} from '../../src/migration/etcd-tls/tls-migrate-run.js';
import type { EtcdTlsStatus } from '../../src/migration/etcd-tls/tls-status.js';
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

interface NodeSnapshot {
  yaml: string;
  protocol: unknown;
  patroniPid: number | undefined;
  postmasterStartTime: string | undefined;
  role: string;
  pause: boolean;
}

describe('etcd tls migrate on a live fleet (3 etcd serving http and https, 2 clusters × 2 nodes)', () => {
  let lab: TestLab;
  let fleet: EtcdTlsFleet;
  /** `pgfleet lab env`: the built CLI reads the lab's settings (etcd http+https, the https target, certificates) from there. */
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  const cliJson = async <T>(...args: string[]): Promise<T> => {
    const result = await cli('--output', 'json', ...args);
    assert.equal(result.code, 0, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  /** PostgreSQL role passwords of every cluster, which no output may show. */
  const rolePasswords = async () => {
    const passwords: string[] = [];
    for (const cluster of lab.state.topology.clusters)
      passwords.push(
        ...Object.values(await ensureClusterRoles(lab.dir, cluster.scope)).map((role) => role.password.reveal()),
      );
    return passwords;
  };

  const sitePaths = () =>
    resolveSitePaths(labStateSettings(lab.state), { isRoot: process.getuid?.() === 0, home: '/', env: {} });
  const nodes = () => lab.state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const freshFleet = async () =>
    etcdTlsFleetFromSettings(labStateSettings(await loadLabState(lab.dir)), { env: { HOME: '/' } });

  /** What must not change unless the migration means it to: each node's YAML, Patroni pid, postmaster start, role, pause. */
  const snapshot = async (): Promise<Map<string, NodeSnapshot>> => {
    const result = new Map<string, NodeSnapshot>();
    for (const node of nodes()) {
      const layout = instanceLayout(sitePaths(), node.name);
      const yaml = await readFile(layout.configFile, 'utf8');
      const rest = new PatroniRestClient(`http://127.0.0.1:${node.restPort}`);
      try {
        const status = await rest.nodeStatus();
        result.set(node.name, {
          yaml,
          protocol: (parse(yaml) as { etcd3: { protocol: unknown } }).etcd3.protocol,
          patroniPid: (await readPatroniPid(layout))?.pid,
          postmasterStartTime: status.postmaster_start_time,
          role: status.role,
          pause: status.pause === true,
        });
      } finally {
        await rest.close();
      }
    }
    return result;
  };

  const outcomes = (members: EtcdTlsMemberResult[]) =>
    Object.fromEntries(members.map((member) => [member.member.split('/').at(-1)!, member.outcome]));
  const replicaOf = async (scope: string) => {
    const leader = (await leadersAndTimelines(lab.state.topology)).get(scope)!.leader;
    return lab.state.topology.clusters
      .find((cluster) => cluster.scope === scope)!
      .nodes.find((node) => node.name !== leader)!.name;
  };

  /** A program's stdout; rejects with its stderr when it fails. */
  const run = (file: string, args: string[], childEnv: NodeJS.ProcessEnv): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(file, args, { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  /** Until `leader` runs as the leader of `scope` and every other member streams from it (only then is the old leader a good candidate again). */
  const settled = async (scope: string, leader: string, timeoutMs = 60_000): Promise<void> => {
    const cluster = lab.state.topology.clusters.find((candidate) => candidate.scope === scope)!;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const clients: PatroniRestClient[] = [];
      try {
        const readiness = await clusterReadiness(cluster, async (node) => {
          const client = new PatroniRestClient(`http://127.0.0.1:${node.restPort}`, {}, 3_000);
          clients.push(client);
          return client;
        });
        if (readiness.ready && readiness.leader === leader) return;
        last = JSON.stringify(readiness.nodes);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
      await sleep(500);
    }
    assert.fail(`${scope} did not settle with ${leader} leading: ${last}`);
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 3, etcdTls: 'dual' });
    fleet = await freshFleet();
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('starts as a fleet before its migration: etcd on both, nodes on http, the settings on https', async () => {
    const before = await snapshot();
    assert.deepEqual(
      [...before.values()].map((node) => node.protocol),
      ['http', 'http', 'http', 'http'],
    );
    assert.equal(fleet.target.protocol, 'https');
    assert.deepEqual(fleet.endpoints, labEtcdEndpoints(lab.state.topology, 'https'));
    const dryRun = await cli('--output', 'json', 'etcd', 'tls', 'migrate', '--dry-run');
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const plan = JSON.parse(dryRun.stdout) as EtcdTlsMigrationReport;
    assert.equal(plan.outcome, 'planned');
    assert.deepEqual(plan.gateFailures, []);
    for (const cluster of plan.plan.clusters) {
      assert.deepEqual(
        cluster.members.map((member) => member.action),
        ['move', 'move'],
      );
      assert.equal(cluster.members.at(-1)!.role, 'master', `${cluster.cluster}: the leader is moved last`);
    }
    assert.deepEqual(await snapshot(), before, 'a dry run changes nothing');
    for (const password of await rolePasswords())
      assert.ok(!`${dryRun.stdout}${dryRun.stderr}`.includes(password), 'no password in the output');
  });

  it('refuses at the gates a member whose CA path does not exist, naming it, and changes nothing', async () => {
    const replica = await replicaOf('alpha');
    const before = await snapshot();
    const memberFiles = { [`/service/alpha/${replica}`]: { cacert: join(lab.dir, 'no-such-ca.crt') } };
    await assert.rejects(migrateEtcdTls(fleet, { memberFiles }), (error: unknown) => {
      assert.ok(error instanceof PgfleetError);
      assert.equal(error.code, 'ETCD_TLS_GATES_REFUSED');
      assert.match(error.message, /no-such-ca\.crt/);
      assert.match(error.message, new RegExp(`/service/alpha/${replica}`));
      return true;
    });
    assert.deepEqual(await snapshot(), before);
  });

  it('drill: a member given a wrong CA path does not come back, gets its old YAML back, and the run stops there with the rest untouched', async () => {
    const replica = await replicaOf('alpha');
    const before = await snapshot();
    const leadersBefore = await leadersAndTimelines(lab.state.topology);
    const memberFiles = { [`/service/alpha/${replica}`]: { cacert: join(lab.dir, 'no-such-ca.crt') } };
    const error = await migrateEtcdTls(fleet, { memberFiles, skipGates: true, memberTimeoutMs: 20_000 }).then(
      () => assert.fail('the migration should have stopped'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof PgfleetError);
    assert.equal(error.code, 'ETCD_TLS_MEMBER_RESTORED');
    assert.equal(error.exitCode, 3);
    assert.match(error.message, new RegExp(`stopped at /service/alpha/${replica}`));
    assert.match(error.message, /cannot load its etcd CA file/);
    const report = (error.details as { report: EtcdTlsMigrationReport }).report;
    const other = nodes().find((node) => node.scope === 'alpha' && node.name !== replica)!.name;
    assert.deepEqual(outcomes(report.members), {
      [replica]: 'restored',
      [other]: 'not-touched',
      'beta-1': 'not-touched',
      'beta-2': 'not-touched',
    });
    assert.equal(report.state?.phase, 'stopped');

    const after = await snapshot();
    for (const [name, node] of after) {
      const previous = before.get(name)!;
      assert.equal(node.yaml, previous.yaml, `${name}: YAML as before`);
      assert.equal(node.postmasterStartTime, previous.postmasterStartTime, `${name}: PostgreSQL never restarted`);
      assert.equal(node.pause, false, `${name}: its cluster was resumed`);
      if (name === replica) assert.notEqual(node.patroniPid, previous.patroniPid, `${name}: its Patroni was restarted`);
      else assert.equal(node.patroniPid, previous.patroniPid, `${name}: untouched`);
    }
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leadersBefore);
    assert.deepEqual(
      (await readdir(sitePaths().patroniConfigDir)).filter((file) => file.includes('pre-etcd-tls')),
      [],
      'no backup left behind',
    );
  });

  it('a run interrupted mid-member (coordinator killed) is finished by the next one: cluster paused again, previous YAML back, Patroni restarted, cluster resumed', async () => {
    const replica = await replicaOf('beta');
    const layout = instanceLayout(sitePaths(), replica);
    const before = await snapshot();
    const previous = await readFile(layout.configFile, 'utf8');
    const backupFile = etcdTlsBackupFile(layout.configFile);
    // What a coordinator killed right after writing a member's new YAML leaves behind.
    await writeFile(backupFile, previous, { mode: 0o600 });
    await writeFile(layout.configFile, previous.replace('protocol: http\n', 'protocol: https\n'));
    const rest = new PatroniRestClient(`http://127.0.0.1:${nodes().find((node) => node.name === replica)!.restPort}`);
    const store = new EtcdClient({ endpoints: fleet.endpoints, tls: fleet.tls });
    try {
      // Its cluster is not paused any more (an operator resumed it): the recovery must pause it again before restarting Patroni.
      assert.equal((await rest.nodeStatus()).pause ?? false, false);
      const now = new Date().toISOString();
      const killed: EtcdTlsRunState = {
        id: 'killed-run',
        phase: 'migrating',
        coordinator: { host: 'elsewhere', pid: 1 },
        startedAt: now,
        updatedAt: now,
        pausedByUs: ['/service/beta'],
        inFlight: { member: `/service/beta/${replica}`, configFile: layout.configFile, backupFile, step: 'restarting' },
        members: [],
        failures: [],
      };
      await store.put(ETCD_TLS_MIGRATION_KEY, JSON.stringify(killed));
      // The next run finishes the killed one before its gates (which then refuse, leaving the fleet as recovered).
      const wrongCa = { [`/service/alpha/${await replicaOf('alpha')}`]: { cacert: join(lab.dir, 'no-such-ca.crt') } };
      await assert.rejects(
        migrateEtcdTls(fleet, { memberFiles: wrongCa }),
        (error: unknown) => error instanceof PgfleetError && error.code === 'ETCD_TLS_GATES_REFUSED',
      );
      const recorded = await readEtcdTlsRunState(store);
      assert.equal(recorded?.id, 'killed-run');
      assert.equal(recorded?.phase, 'stopped');
      assert.ok(recorded?.failures.includes('interrupted; finished by a later run'), JSON.stringify(recorded));
    } finally {
      await rest.close();
      await store.close();
    }
    const after = await snapshot();
    assert.equal(after.get(replica)!.yaml, previous, 'its previous YAML is back');
    assert.notEqual(after.get(replica)!.patroniPid, before.get(replica)!.patroniPid, 'its Patroni was restarted on it');
    for (const [name, node] of after) {
      assert.equal(node.postmasterStartTime, before.get(name)!.postmasterStartTime, name);
      assert.equal(node.pause, false, `${name}: resumed`);
    }
    await assert.rejects(readFile(backupFile), { code: 'ENOENT' });
  });

  it('pgfleet etcd tls migrate moves every member to https with writers running: 0 failed writes, 0 leader changes, Patroni restarted and PostgreSQL not', async (t) => {
    const before = await snapshot();
    const leadersBefore = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leadersBefore].map(([scope, value]) => [scope, value.leader])),
    );
    let tallies: WriterTally[];
    let roles: RoleWatchReport;
    let migrate: CliResult;
    const started = Date.now();
    try {
      migrate = await cli('--output', 'json', 'etcd', 'tls', 'migrate');
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    t.diagnostic(`pgfleet etcd tls migrate: exit ${migrate.code} after ${Date.now() - started} ms`);
    for (const line of migrate.stderr.split('\n').filter(Boolean)) t.diagnostic(line);
    assert.equal(migrate.code, 0, migrate.stderr);
    const report = JSON.parse(migrate.stdout) as EtcdTlsMigrationReport;
    assert.equal(report.outcome, 'migrated');
    assert.deepEqual(Object.values(outcomes(report.members)), ['migrated', 'migrated', 'migrated', 'migrated']);
    assert.ok(
      report.members.every((member) => member.postmasterKept === true),
      JSON.stringify(report.members),
    );
    t.diagnostic(
      `per member, from Patroni stop to DCS write over https: ${report.members.map((member) => `${member.member} ${member.elapsedMs} ms`).join(', ')}`,
    );
    assertEveryWriteLanded(tallies);
    assertNoRoleChange(roles);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leadersBefore, 'no leader change, no new timeline');

    // Checked here, not taken from the report: each YAML, Patroni pid, postmaster start, role and pause.
    const after = await snapshot();
    const settingsEtcd = labStateSettings(lab.state).patroni!.etcd;
    for (const [name, node] of after) {
      const previous = before.get(name)!;
      const etcd3 = (parse(node.yaml) as { etcd3: Record<string, unknown> }).etcd3;
      assert.equal(etcd3.protocol, 'https', name);
      assert.deepEqual(etcd3.hosts, settingsEtcd.hosts, name);
      assert.deepEqual(
        [etcd3.cacert, etcd3.cert, etcd3.key],
        [settingsEtcd.cacert, settingsEtcd.cert, settingsEtcd.key],
        name,
      );
      assert.notEqual(node.patroniPid, previous.patroniPid, `${name}: Patroni restarted`);
      assert.equal(node.postmasterStartTime, previous.postmasterStartTime, `${name}: PostgreSQL not restarted`);
      assert.equal(node.role, previous.role, name);
      assert.equal(node.pause, false, name);
    }
    const status = await cliJson<EtcdTlsStatus>('etcd', 'tls', 'status');
    assert.deepEqual(status.pending, []);
    assert.deepEqual(
      status.members.map((member) => member.onHttps),
      [true, true, true, true],
    );
    assert.equal(status.lastRun?.phase, 'migrated');
    const text = await cli('etcd', 'tls', 'status');
    assert.match(text.stdout, /every member is on https: etcd's http listener may go/);
    for (const password of await rolePasswords())
      assert.ok(
        ![migrate, text].some((output) => `${output.stdout}${output.stderr}`.includes(password)),
        'no password in the output',
      );
  });

  it('pgfleet etcd tls migrate again touches nothing once every member is on https', async () => {
    const before = await snapshot();
    const report = await cliJson<EtcdTlsMigrationReport>('etcd', 'tls', 'migrate');
    assert.equal(report.outcome, 'nothing-to-do');
    assert.deepEqual(Object.values(outcomes(report.members)), [
      'already-on-https',
      'already-on-https',
      'already-on-https',
      'already-on-https',
    ]);
    assert.deepEqual(await snapshot(), before);
  });

  it("then etcd's http listener goes, one member at a time: writers see no failure, every member writes over https, switchovers through patronictl and pgfleet work", async (t) => {
    const leadersBefore = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leadersBefore].map(([scope, value]) => [scope, value.leader])),
    );
    let tallies;
    try {
      const result = await labEtcdHttpsOnly(lab.dir);
      t.diagnostic(
        `etcd members healthy again after: ${result.members.map((member) => `${member.name} ${member.healthyAfterMs} ms`).join(', ')}`,
      );
      for (const port of result.closedHttpPorts) assert.equal(await isPortFree(port), true, `http port ${port} closed`);
      // A few loops of every Patroni on https only.
      await sleep(6_000);
    } finally {
      tallies = await writers.stop();
    }
    for (const tally of tallies) assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leadersBefore);
    lab.state = await loadLabState(lab.dir);
    assert.equal(lab.state.etcdTls, 'https');

    const https = await freshFleet();
    const store = new EtcdClient({ endpoints: https.endpoints, tls: https.tls });
    const rest = new FleetRestClients(https.localInstances);
    try {
      const members = await discoverPatroniMembers(store, ['/service/']);
      assert.equal(members.length, 4);
      const probes = await probeMemberWrites(members, rest);
      assert.ok(
        probes.every((probe) => probe.ok),
        JSON.stringify(probes),
      );
    } finally {
      await rest.close();
      await store.close();
    }

    // Members and tools on https only: patronictl (etcd from the YAML pgfleet wrote: https, CA, client certificate) hands alpha's leader role over...
    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = leadersBefore.get('alpha')!.leader;
    const replica = alpha.nodes.find((node) => node.name !== leader)!.name;
    const patronictlEnv = await labEnv(lab.dir, replica);
    const patronictl = await run(
      'patronictl',
      ['switchover', 'alpha', '--leader', leader, '--candidate', replica, '--force'],
      { ...process.env, ...patronictlEnv },
    );
    assert.match(patronictl, new RegExp(`Successfully switched over to "${replica}"`));
    await settled('alpha', replica);
    const viaPatronictl = await leadersAndTimelines(lab.state.topology);
    assert.ok(viaPatronictl.get('alpha')!.timeline > leadersBefore.get('alpha')!.timeline, 'a new timeline');

    // ...and pgfleet hands it back.
    const viaPgfleet = await cliJson<SwitchoverResult>('cluster', 'switchover', 'alpha', '--candidate', leader);
    assert.deepEqual({ from: viaPgfleet.from, to: viaPgfleet.to }, { from: replica, to: leader });
    const after = await leadersAndTimelines(lab.state.topology);
    assert.equal(after.get('alpha')?.leader, leader, 'the switchovers went through over https-only etcd');
    assert.ok(after.get('alpha')!.timeline > viaPatronictl.get('alpha')!.timeline);
    assert.deepEqual(after.get('beta'), leadersBefore.get('beta'), 'beta untouched');
  });
});
