import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../src/adapters/etcd/patroni-members.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { isPortFree } from '../../src/adapters/process/port-probe.js';
import { PgfleetError } from '../../src/core/errors.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { ETCD_TLS_MIGRATION_KEY, type EtcdTlsMemberResult, type EtcdTlsRunState } from '../../src/core/migration/etcd-tls-run.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { readPatroniPid } from '../../src/instance/patroni-process.js';
import { labEtcdHttpsOnly } from '../../src/lab/lab-etcd-https-only.js';
import { ensureClusterRoles } from '../../src/lab/lab-secrets.js';
import { labStateSettings } from '../../src/lab/lab-settings.js';
import { loadLabState } from '../../src/lab/lab-state.js';
import { FleetRestClients } from '../../src/migration/etcd-auth/fleet-rest.js';
import { probeMemberWrites } from '../../src/migration/etcd-auth/member-write-probe.js';
import { type EtcdTlsFleet, etcdTlsFleetFromSettings } from '../../src/migration/etcd-tls/tls-fleet.js';
import { etcdTlsBackupFile } from '../../src/migration/etcd-tls/member-tls-switch.js';
import { type EtcdTlsMigrationReport, migrateEtcdTls, readEtcdTlsRunState } from '../../src/migration/etcd-tls/tls-migrate-run.js';
import { etcdTlsStatus } from '../../src/migration/etcd-tls/tls-status.js';
import { leadersAndTimelines, startFleetWriters } from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { runCli } from '../support/run-cli.js';

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

  const sitePaths = () => resolveSitePaths(labStateSettings(lab.state), { isRoot: process.getuid?.() === 0, home: '/', env: {} });
  const nodes = () => lab.state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const freshFleet = async () => etcdTlsFleetFromSettings(labStateSettings(await loadLabState(lab.dir)), { env: { HOME: '/' } });

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

  const outcomes = (members: EtcdTlsMemberResult[]) => Object.fromEntries(members.map((member) => [member.member.split('/').at(-1)!, member.outcome]));
  const replicaOf = async (scope: string) => {
    const leader = (await leadersAndTimelines(lab.state.topology)).get(scope)!.leader;
    return lab.state.topology.clusters.find((cluster) => cluster.scope === scope)!.nodes.find((node) => node.name !== leader)!.name;
  };

  before(async () => {
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 3, etcdTls: 'dual' });
    fleet = await freshFleet();
  });
  after(async () => {
    await lab?.down();
  });

  it('starts as a fleet before its migration: etcd on both, nodes on http, the settings on https', async () => {
    const before = await snapshot();
    assert.deepEqual([...before.values()].map((node) => node.protocol), ['http', 'http', 'http', 'http']);
    assert.equal(fleet.target.protocol, 'https');
    assert.deepEqual(fleet.endpoints, labEtcdEndpoints(lab.state.topology, 'https'));
    const dryRun = await runCli(['--output', 'json', 'etcd', 'tls', 'migrate', '--dry-run'], { env: { PGFLEET_CONFIG_DIR: lab.dir } });
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const plan = JSON.parse(dryRun.stdout) as EtcdTlsMigrationReport;
    assert.equal(plan.outcome, 'planned');
    assert.deepEqual(plan.gateFailures, []);
    for (const cluster of plan.plan.clusters) {
      assert.deepEqual(cluster.members.map((member) => member.action), ['move', 'move']);
      assert.equal(cluster.members.at(-1)!.role, 'master', `${cluster.cluster}: the leader is moved last`);
    }
    assert.deepEqual(await snapshot(), before, 'a dry run changes nothing');
    for (const cluster of lab.state.topology.clusters) {
      const roles = await ensureClusterRoles(lab.dir, cluster.scope);
      for (const role of Object.values(roles)) assert.ok(!`${dryRun.stdout}${dryRun.stderr}`.includes(role.password.reveal()), 'no password in the output');
    }
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
    assert.deepEqual(outcomes(report.members), { [replica]: 'restored', [other]: 'not-touched', 'beta-1': 'not-touched', 'beta-2': 'not-touched' });
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
    assert.deepEqual((await readdir(sitePaths().patroniConfigDir)).filter((file) => file.includes('pre-etcd-tls')), [], 'no backup left behind');
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
        id: 'killed-run', phase: 'migrating', coordinator: { host: 'elsewhere', pid: 1 }, startedAt: now, updatedAt: now, pausedByUs: ['/service/beta'],
        inFlight: { member: `/service/beta/${replica}`, configFile: layout.configFile, backupFile, step: 'restarting' }, members: [], failures: [],
      };
      await store.put(ETCD_TLS_MIGRATION_KEY, JSON.stringify(killed));
      // The next run finishes the killed one before its gates (which then refuse, leaving the fleet as recovered).
      const wrongCa = { [`/service/alpha/${await replicaOf('alpha')}`]: { cacert: join(lab.dir, 'no-such-ca.crt') } };
      await assert.rejects(migrateEtcdTls(fleet, { memberFiles: wrongCa }), (error: unknown) => error instanceof PgfleetError && error.code === 'ETCD_TLS_GATES_REFUSED');
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

  it('moves every member to https with writers running: 0 failed writes, 0 leader changes, Patroni restarted and PostgreSQL not', async (t) => {
    fleet = await freshFleet();
    const before = await snapshot();
    const leadersBefore = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(lab.dir, lab.state.topology, new Map([...leadersBefore].map(([scope, value]) => [scope, value.leader])));
    let tallies;
    let report: EtcdTlsMigrationReport;
    try {
      report = await migrateEtcdTls(fleet, { onProgress: (message) => t.diagnostic(message) });
    } finally {
      tallies = await writers.stop();
    }
    assert.equal(report.outcome, 'migrated');
    assert.deepEqual(Object.values(outcomes(report.members)), ['migrated', 'migrated', 'migrated', 'migrated']);
    assert.ok(report.members.every((member) => member.postmasterKept === true), JSON.stringify(report.members));
    t.diagnostic(`per member, from Patroni stop to DCS write over https: ${report.members.map((member) => `${member.member} ${member.elapsedMs} ms`).join(', ')}`);
    for (const tally of tallies) {
      assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
      assert.ok(tally.ok > 0, `${tally.scope} wrote during the migration`);
    }
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), leadersBefore, 'no leader change, no new timeline');

    const after = await snapshot();
    const settingsEtcd = labStateSettings(lab.state).patroni!.etcd;
    for (const [name, node] of after) {
      const previous = before.get(name)!;
      const etcd3 = (parse(node.yaml) as { etcd3: Record<string, unknown> }).etcd3;
      assert.equal(etcd3.protocol, 'https', name);
      assert.deepEqual(etcd3.hosts, settingsEtcd.hosts, name);
      assert.deepEqual([etcd3.cacert, etcd3.cert, etcd3.key], [settingsEtcd.cacert, settingsEtcd.cert, settingsEtcd.key], name);
      assert.notEqual(node.patroniPid, previous.patroniPid, `${name}: Patroni restarted`);
      assert.equal(node.postmasterStartTime, previous.postmasterStartTime, `${name}: PostgreSQL not restarted`);
      assert.equal(node.role, previous.role, name);
      assert.equal(node.pause, false, name);
    }
    const status = await etcdTlsStatus(fleet);
    assert.deepEqual(status.pending, []);
    assert.equal(status.lastRun?.phase, 'migrated');
    const cli = await runCli(['--output', 'json', 'etcd', 'tls', 'status'], { env: { PGFLEET_CONFIG_DIR: lab.dir } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual((JSON.parse(cli.stdout) as { pending: string[] }).pending, []);
  });

  it('runs again without touching anything once every member is on https', async () => {
    const before = await snapshot();
    const report = await migrateEtcdTls(await freshFleet());
    assert.equal(report.outcome, 'nothing-to-do');
    assert.deepEqual(Object.values(outcomes(report.members)), ['already-on-https', 'already-on-https', 'already-on-https', 'already-on-https']);
    assert.deepEqual(await snapshot(), before);
  });

  it("then etcd's http listener goes, one member at a time: writers see no failure, every member writes over https, a switchover works", async (t) => {
    const leadersBefore = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(lab.dir, lab.state.topology, new Map([...leadersBefore].map(([scope, value]) => [scope, value.leader])));
    let tallies;
    try {
      const result = await labEtcdHttpsOnly(lab.dir);
      t.diagnostic(`etcd members healthy again after: ${result.members.map((member) => `${member.name} ${member.healthyAfterMs} ms`).join(', ')}`);
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
      assert.ok(probes.every((probe) => probe.ok), JSON.stringify(probes));
    } finally {
      await rest.close();
      await store.close();
    }

    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = leadersBefore.get('alpha')!.leader;
    const candidate = alpha.nodes.find((node) => node.name !== leader)!;
    const leaderRest = new PatroniRestClient(`http://127.0.0.1:${alpha.nodes.find((node) => node.name === leader)!.restPort}`);
    try {
      const answer = await leaderRest.switchover(leader, candidate.name);
      assert.equal(answer.status, 200, answer.text);
    } finally {
      await leaderRest.close();
    }
    const deadline = Date.now() + 60_000;
    let after = await leadersAndTimelines(lab.state.topology);
    while (after.get('alpha')?.leader !== candidate.name && Date.now() < deadline) {
      await sleep(500);
      after = await leadersAndTimelines(lab.state.topology);
    }
    assert.equal(after.get('alpha')?.leader, candidate.name, 'the switchover went through over https-only etcd');
    assert.ok(after.get('alpha')!.timeline > leadersBefore.get('alpha')!.timeline);
    assert.deepEqual(after.get('beta'), leadersBefore.get('beta'));
  });
});
