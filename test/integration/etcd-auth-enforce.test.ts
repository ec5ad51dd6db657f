import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient, type EtcdCredentials } from '../../src/adapters/etcd/etcd-client.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { PgfleetError } from '../../src/core/errors.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { Secret } from '../../src/core/secret.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { discoverPatroniMembers } from '../../src/adapters/etcd/patroni-members.js';
import { waitUntil } from '../../src/node/patroni-process.js';
import { startLabNode, stopLabNode } from '../../src/lab/lab-node-process.js';
import { applyCredentialsLocally } from '../../src/migration/etcd-auth/apply-credentials.js';
import { forgetMember } from '../../src/migration/etcd-auth/forget-member.js';
import { enforceEtcdAuth, rollbackEtcdAuth } from '../../src/migration/etcd-auth/enforce-run.js';
import type { FleetConnection } from '../../src/fleet/fleet-connection.js';
import type { TenantDirectory } from '../../src/fleet/tenant-directory.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import {
  assertEveryWriteLanded,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';

const rootPassword = new Secret('enforce-test-root-pw');

describe('etcd auth enforce on a live fleet (3 etcd, 3 clusters × 2 nodes): gates, probes and automatic rollback', () => {
  let lab: TestLab;
  let connection: FleetConnection;
  let admin: EtcdClient;
  const tenantPasswords = new Map<string, Secret>();

  const tenants = (passwords: Map<string, Secret>): TenantDirectory => ({
    userFor: (_namespace, scope) => `patroni-${scope}`,
    credentialsFor: async (_namespace, scope): Promise<EtcdCredentials | undefined> => {
      const password = passwords.get(scope);
      return password ? { username: `patroni-${scope}`, password } : undefined;
    },
  });

  const sitePaths = () =>
    resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
  const localInstances = async () => listLocalInstances(sitePaths().patroniConfigDir, sitePaths().patroniLogDir);
  const authEnabled = () => etcdAuthEnabled({ endpoints: connection.endpoints });
  /** Members whose GET /patroni says their cluster is paused (resume is a DCS write: each member shows it within a loop). */
  const pausedMembers = async (): Promise<string[]> => {
    let paused: string[] = [];
    for (
      const deadline = Date.now() + 15_000;
      Date.now() < deadline;
      await new Promise((resolve) => setTimeout(resolve, 500))
    ) {
      paused = [];
      for (const instance of await localInstances()) {
        const rest = new PatroniRestClient(instance.restUrl);
        try {
          if ((await rest.nodeStatus()).pause === true) paused.push(instance.name);
        } finally {
          await rest.close();
        }
      }
      if (paused.length === 0) break;
    }
    return paused;
  };

  before(async () => {
    lab = await startTestLab({ clusters: 3, nodes: 2, etcdMembers: 3 });
    const endpoints = labEtcdEndpoints(lab.state.topology);
    admin = new EtcdClient({ endpoints, credentials: { username: 'root', password: rootPassword } });
    // prepare: root, and one user and role per cluster on its prefix only.
    const auth = new EtcdAuthApi(admin);
    await auth.addUser('root', rootPassword);
    await auth.grantRole('root', 'root');
    for (const cluster of lab.state.topology.clusters) {
      const password = new Secret(`tenant-${cluster.scope}-pw-${Math.random().toString(36).slice(2)}`);
      tenantPasswords.set(cluster.scope, password);
      const name = `patroni-${cluster.scope}`;
      await auth.addRole(name);
      await auth.grantPermission(name, { ...prefixRange(`/service/${cluster.scope}/`), permType: 'READWRITE' });
      await auth.addUser(name, password);
      await auth.grantRole(name, name);
    }
    connection = {
      endpoints,
      namespaces: ['/service/'],
      admin: { username: 'root', password: rootPassword },
      localInstances: await localInstances(),
      tenants: tenants(tenantPasswords),
    };
  });
  after(async () => {
    await admin?.close();
    await lab?.down();
  });

  it('refuses at the gates when a member has no credentials, changing nothing', async () => {
    const instances = (await localInstances()).filter((instance) => instance.node !== 'gamma-2');
    const applied = await applyCredentialsLocally({ instances, tenants: connection.tenants, recordStore: admin });
    assert.equal(applied.filter((outcome) => outcome.status === 'applied').length, 5);
    await assert.rejects(
      enforceEtcdAuth({ ...connection, localInstances: await localInstances() }),
      (error: unknown) => {
        assert.ok(error instanceof PgfleetError);
        assert.equal(error.code, 'ENFORCE_GATES_REFUSED');
        assert.match(error.message, /\/service\/gamma\/gamma-2 has no readiness record/);
        return true;
      },
    );
    assert.equal(await authEnabled(), false);
  });

  it("a member apply recorded whose Patroni stopped (its host's): once its member key lapsed, the gates refuse naming it with the fix, changing nothing; `etcd auth forget` (refused while it is listed) drops its record", async () => {
    const alpha = (await leadersAndTimelines(lab.state.topology)).get('alpha')!;
    const replica = lab.state.topology.clusters
      .find((cluster) => cluster.scope === 'alpha')!
      .nodes.find((node) => node.name !== alpha.leader)!.name;
    const id = `/service/alpha/${replica}`;
    const listed = async (): Promise<boolean> =>
      (await discoverPatroniMembers(admin, ['/service/'])).some((member) => member.name === replica);
    await stopLabNode(lab.state, replica);
    try {
      // Patroni's member key outlives its process by up to its ttl (20 s in the lab).
      assert.ok(await waitUntil(async () => !(await listed()), 60_000, 500), `${id} left the DCS`);
      // pgfleet on another host: the stopped member is not one of its instances.
      const elsewhere = (await localInstances()).filter((instance) => instance.node !== replica);
      await assert.rejects(enforceEtcdAuth({ ...connection, localInstances: elsewhere }), (error: unknown) => {
        assert.ok(error instanceof PgfleetError);
        assert.equal(error.code, 'ENFORCE_GATES_REFUSED');
        const failures = (error.details as { gateFailures: Array<{ gate: string; subject: string; hint: string }> })
          .gateFailures;
        const absent = failures.filter((failure) => failure.gate === 'membership');
        assert.deepEqual(
          absent.map((failure) => failure.subject),
          [id],
        );
        assert.match(absent[0]!.hint, new RegExp(`pgfleet etcd auth forget ${id}`));
        return true;
      });
      assert.equal(await authEnabled(), false);

      // The operator says it left for good: its readiness record goes, and the gates stop expecting it.
      assert.equal((await forgetMember(connection, admin, id)).forgotten.member, replica);
      await assert.rejects(enforceEtcdAuth({ ...connection, localInstances: elsewhere }), (error: unknown) => {
        assert.ok(error instanceof PgfleetError);
        assert.equal(error.code, 'ENFORCE_GATES_REFUSED', 'gamma-2 still has no readiness record');
        const failures = (error.details as { gateFailures: Array<{ gate: string; subject: string }> }).gateFailures;
        assert.deepEqual(
          failures.filter((failure) => failure.subject === id),
          [],
        );
        return true;
      });
    } finally {
      await startLabNode(lab.state, replica);
      const instance = (await localInstances()).find((candidate) => candidate.node === replica)!;
      const running = async (): Promise<boolean> => {
        const rest = new PatroniRestClient(instance.restUrl);
        try {
          return (await listed()) && (await rest.nodeStatus()).state === 'running';
        } catch {
          return false;
        } finally {
          await rest.close();
        }
      };
      assert.ok(await waitUntil(running, 120_000, 500), `${id} runs and is listed again`);
    }
    // Listed again: forgetting it is refused; applied again, it is recorded ready again.
    await assert.rejects(forgetMember(connection, admin, id), /MEMBER_NOT_RECORDED|no readiness record/);
    await applyCredentialsLocally({
      instances: (await localInstances()).filter((instance) => instance.node === replica),
      tenants: connection.tenants,
      recordStore: admin,
    });
    await assert.rejects(forgetMember(connection, admin, id), (error: unknown) => {
      assert.ok(error instanceof PgfleetError);
      assert.equal(error.code, 'MEMBER_STILL_LISTED');
      return true;
    });
  });

  it('with --skip-gates, the probe catches the member and auth is switched off again within 5 s, without demotions', async (t) => {
    const before = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology);
    const report = await enforceEtcdAuth({ ...connection, localInstances: await localInstances() }, { skipGates: true })
      .then(
        () => assert.fail('enforce should have rolled back'),
        (error: unknown) => {
          assert.ok(error instanceof PgfleetError);
          assert.equal(error.code, 'ENFORCE_ROLLED_BACK');
          assert.equal(error.exitCode, 3);
          assert.match(
            error.message,
            /enforce rolled back: \/service\/gamma\/gamma-2 has no etcd credentials in its Patroni configuration; its DCS write \(PATCH \/config\) was refused/,
          );
          const report = (
            error.details as {
              report: {
                state: {
                  phase: string;
                  exposureWindowMs: number;
                  failures: string[];
                  pausedByUs: string[];
                  probes: Array<{ member: string; ok: boolean; detail: string }>;
                };
              };
            }
          ).report;
          // The measured window is part of what the operator is told.
          assert.match(error.message, new RegExp(`auth was on for ${report.state.exposureWindowMs} ms`));
          return report;
        },
      )
      .finally(async () => {
        const roles = await watch.stop();
        assert.deepEqual(roles.demotions, [], 'no demotion while auth was on');
      });
    t.diagnostic(`auth enable → disable window: ${report.state.exposureWindowMs} ms`);
    assert.ok(report.state.exposureWindowMs < 5_000, `auth was on for ${report.state.exposureWindowMs} ms`);
    assert.deepEqual(
      report.state.probes.filter((p) => !p.ok && !p.detail.startsWith('not probed')).map((p) => p.member),
      ['/service/gamma/gamma-2'],
      'only the member without credentials failed (the others passed or were not probed)',
    );
    assert.equal(await authEnabled(), false);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'no leader change, no new timeline');
    // The rollback is complete: the probe after auth disable found every member writing again, and every cluster it paused is resumed.
    assert.equal(report.state.phase, 'rolled-back');
    assert.deepEqual([...report.state.pausedByUs].sort(), ['/service/alpha', '/service/beta', '/service/gamma']);
    assert.deepEqual(
      report.state.failures.filter((failure) => failure.startsWith('after rollback')),
      [],
      'every member writes to the DCS once auth is off again',
    );
    assert.deepEqual(await pausedMembers(), [], 'every cluster resumed');
  });

  it('once every member is applied, enforce switches auth on with 0 failed writes and 0 leader changes', async () => {
    await applyCredentialsLocally({
      instances: await localInstances(),
      tenants: connection.tenants,
      recordStore: admin,
    });
    const before = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...before].map(([scope, v]) => [scope, v.leader])),
    );
    let tallies;
    try {
      const report = await enforceEtcdAuth({ ...connection, localInstances: await localInstances() });
      assert.equal(report.outcome, 'enforced');
      assert.equal(report.state.probes.length, 6);
      assert.ok(report.state.probes.every((probe) => probe.ok));
      assert.equal(report.tenantProbes.length, 3);
      assert.ok(
        report.tenantProbes.every((probe) => probe.ok),
        JSON.stringify(report.tenantProbes),
      );
    } finally {
      tallies = await writers.stop();
    }
    assert.equal(await authEnabled(), true);
    assertEveryWriteLanded(tallies);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'no leader change, no new timeline');
  });

  it('rollback switches auth off again and the fleet keeps its leaders', async () => {
    const before = await leadersAndTimelines(lab.state.topology);
    const result = await rollbackEtcdAuth({ ...connection, localInstances: await localInstances() });
    assert.deepEqual(result.steps, ['auth disabled']);
    assert.equal(await authEnabled(), false);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before);
  });

  it("a member with a wrong password: refused at the gates (its YAML does not hold the tenant's password); with --skip-gates, rolled back, and the report says authentication failed for that member", async () => {
    const wrong = new Map(tenantPasswords);
    wrong.set('beta', new Secret('not-the-beta-password'));
    const beta1 = (await localInstances()).filter((instance) => instance.node === 'beta-1');
    await applyCredentialsLocally({ instances: beta1, tenants: tenants(wrong), recordStore: admin });
    const noPassword = (error: PgfleetError) =>
      assert.doesNotMatch(
        JSON.stringify({ message: error.message, hint: error.hint, details: error.details }),
        /not-the-beta-password/,
      );

    // pgfleet holds the tenant's password for this member: the gate compares it with the YAML, and nothing is switched on.
    await assert.rejects(
      enforceEtcdAuth({ ...connection, localInstances: await localInstances() }),
      (error: unknown) => {
        assert.ok(error instanceof PgfleetError);
        assert.equal(error.code, 'ENFORCE_GATES_REFUSED');
        assert.match(
          error.message,
          /member \/service\/beta\/beta-1 was recorded ready, but its YAML \(.*beta-1\.yaml\) holds a password for patroni-beta other than the tenant's current one/,
        );
        noPassword(error);
        return true;
      },
    );
    assert.equal(await authEnabled(), false);

    // A member whose password pgfleet cannot compare (another host) gets as far as the probe: the drill shows it caught there.
    const before = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology);
    let windowMs = Number.NaN;
    try {
      await assert.rejects(
        enforceEtcdAuth({ ...connection, localInstances: await localInstances() }, { skipGates: true }),
        (error: unknown) => {
          assert.ok(error instanceof PgfleetError);
          assert.equal(error.code, 'ENFORCE_ROLLED_BACK');
          assert.match(
            error.message,
            /etcd authentication failed for \/service\/beta\/beta-1: its etcd password is wrong/,
          );
          noPassword(error);
          windowMs = Number(/auth was on for (\d+) ms/.exec(error.message)?.[1]);
          return true;
        },
      );
    } finally {
      assert.deepEqual((await watch.stop()).demotions, [], 'no demotion');
    }
    assert.ok(windowMs < 5_000, `auth was on for ${windowMs} ms`);
    assert.equal(await authEnabled(), false);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before);
    await applyCredentialsLocally({ instances: beta1, tenants: connection.tenants, recordStore: admin });
  });
});
