import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type PlanInput,
  type TenantView,
  pendingOnOtherHosts,
  planAuthMigration,
} from '../../../src/core/migration/auth-plan.js';
import { expectedMembers } from '../../../src/core/migration/expected-members.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';
import type { ReadinessRecord } from '../../../src/core/migration/readiness-record.js';

const member = (scope: string, name: string, managedHere = true): FleetMember => ({
  namespace: '/service/',
  scope,
  name,
  apiUrl: `http://10.0.0.${name.endsWith('2') ? 2 : 1}:8008/patroni`,
  role: 'replica',
  managedHere,
});
const record = (
  scope: string,
  name: string,
  username = `patroni-${scope}`,
  configSha256 = `sha-${name}`,
): ReadinessRecord => ({
  namespace: '/service/',
  scope,
  member: name,
  username,
  configSha256,
  host: 'h',
  appliedAt: '2026-01-01T00:00:00Z',
});
const tenant = (scope: string, fields: Partial<TenantView> = {}): TenantView => ({
  user: `patroni-${scope}`,
  role: `patroni-${scope}`,
  userExists: true,
  userHasRole: true,
  roleExists: true,
  roleGrantExact: true,
  otherGrants: [],
  passwordHere: true,
  passwordFile: `/secrets/patroni-${scope}.password`,
  ...fields,
});

/** An open fleet of two clusters, alpha on this host, beta's b2 on another host; nothing prepared yet. */
function openFleet(): PlanInput {
  const members = [member('alpha', 'a1'), member('alpha', 'a2'), member('beta', 'b1'), member('beta', 'b2', false)];
  return {
    authEnabled: false,
    gate: {
      members,
      tenantUsers: new Map([
        ['/service/alpha', 'patroni-alpha'],
        ['/service/beta', 'patroni-beta'],
      ]),
      readiness: new Map(),
      unreachable: new Map(),
      patroniVersions: new Map(members.map((m) => [`/service/${m.scope}/${m.name}`, '3.0.2'])),
      tokenType: 'simple',
      etcdVersions: ['3.4.23'],
      adminCredentialsWork: false,
      adminProblem: 'user root does not exist',
    },
    admin: { username: 'root', exists: false, holdsRootRole: false, problem: 'user root does not exist' },
    local: members
      .filter((m) => m.managedHere)
      .map((m) => ({
        namespace: '/service/',
        scope: m.scope,
        node: m.name,
        configFile: `/etc/patroni/${m.name}.yaml`,
        etcdUsername: undefined,
        configSha256: `sha-${m.name}`,
      })),
    tenants: new Map([
      [
        '/service/alpha',
        tenant('alpha', {
          userExists: false,
          userHasRole: false,
          roleExists: false,
          roleGrantExact: false,
          passwordHere: false,
        }),
      ],
      ['/service/beta', tenant('beta')],
    ]),
    tenantProblems: new Map(),
    endpointsDown: [],
    roles: new Map(),
  };
}

describe('etcd auth plan', () => {
  it('says what prepare will create: root, the role with its exact prefix grant, the user and its password file', () => {
    const plan = planAuthMigration(openFleet());
    assert.ok(
      plan.actions.includes('prepare: create user root with the root role (password from etcd_admin.password_file)'),
    );
    assert.deepEqual(plan.clusters.find((c) => c.cluster === '/service/alpha')!.actions, [
      'prepare: create role patroni-alpha',
      'prepare: grant readwrite on /service/alpha/ (prefix, with the slash) to patroni-alpha',
      'prepare: create user patroni-alpha (password generated into /secrets/patroni-alpha.password, 0600)',
      'prepare: grant role patroni-alpha to patroni-alpha',
    ]);
    assert.deepEqual(plan.clusters.find((c) => c.cluster === '/service/beta')!.actions, []);
  });

  it('applies local members here, and blocks on a member of another host that has no readiness record, saying where to run apply', () => {
    const plan = planAuthMigration(openFleet());
    assert.equal(plan.members.find((m) => m.member === '/service/alpha/a1')!.status, 'will-apply');
    assert.match(
      plan.members.find((m) => m.member === '/service/alpha/a1')!.actions[0]!,
      /^apply: write the credentials of patroni-alpha into \/etc\/patroni\/a1\.yaml/,
    );
    const b2 = plan.members.find((m) => m.member === '/service/beta/b2')!;
    assert.equal(b2.status, 'blocked');
    assert.equal(b2.where, 'another host');
    assert.match(b2.blockers[0]!.hint, /pgfleet etcd auth apply --host-only` on its host \(10\.0\.0\.2:8008\)/);
    assert.equal(plan.blocked, true);
  });

  it('is not blocked once the member on the other host recorded its readiness; applied local members are ready', () => {
    const input = openFleet();
    input.gate.readiness.set('/service/beta/b2', record('beta', 'b2'));
    input.gate.readiness.set('/service/beta/b1', record('beta', 'b1'));
    input.local = input.local.map((view) => (view.node === 'b1' ? { ...view, etcdUsername: 'patroni-beta' } : view));
    const plan = planAuthMigration(input);
    assert.equal(plan.blocked, false, JSON.stringify(plan.members.flatMap((m) => m.blockers)));
    assert.equal(plan.members.find((m) => m.member === '/service/beta/b1')!.status, 'ready');
    assert.equal(plan.members.find((m) => m.member === '/service/beta/b2')!.status, 'ready');
  });

  it('tells the coordinator which members of other hosts still wait for `apply --host-only`, and none once they recorded their readiness', () => {
    const input = openFleet();
    const pending = pendingOnOtherHosts(planAuthMigration(input));
    assert.deepEqual(
      pending.map((p) => p.subject),
      ['/service/beta/b2'],
    );
    assert.match(pending[0]!.hint, /apply --host-only` on its host \(10\.0\.0\.2:8008\)/);
    input.gate.readiness.set('/service/beta/b2', record('beta', 'b2'));
    assert.deepEqual(pendingOnOtherHosts(planAuthMigration(input)), []);
  });

  it('re-applies a local member whose YAML changed since its readiness was recorded', () => {
    const input = openFleet();
    input.gate.readiness.set('/service/beta/b1', record('beta', 'b1', 'patroni-beta', 'an-older-hash'));
    input.local = input.local.map((view) => (view.node === 'b1' ? { ...view, etcdUsername: 'patroni-beta' } : view));
    const b1 = planAuthMigration(input).members.find((m) => m.member === '/service/beta/b1')!;
    assert.equal(b1.status, 'will-apply');
    assert.ok(b1.actions.includes('(its YAML changed since the last apply)'));
  });

  it('blocks on an unreachable member, JWT tokens with Patroni 3.0.2, and a local instance missing from the DCS', () => {
    const input = openFleet();
    input.gate.readiness.set('/service/beta/b2', record('beta', 'b2'));
    input.gate.unreachable.set('/service/alpha/a2', 'ECONNREFUSED');
    input.gate.tokenType = 'jwt';
    input.local.push({
      namespace: '/service/',
      scope: 'gamma',
      node: 'g1',
      configFile: '/etc/patroni/g1.yaml',
      etcdUsername: undefined,
      configSha256: 'x',
    });
    const plan = planAuthMigration(input);
    assert.equal(plan.members.find((m) => m.member === '/service/alpha/a2')!.status, 'blocked');
    assert.ok(plan.blockers.some((b) => /JWT tokens/.test(b.message)));
    assert.ok(plan.blockers.some((b) => /local instance g1 .* is not registered in the DCS/.test(b.message)));
    assert.equal(plan.blocked, true);
  });

  it('blocks on a member apply recorded whose key is gone from the DCS (its host cut off), naming its host; a stopped local instance is named once', () => {
    const input = openFleet();
    input.gate.readiness.set('/service/beta/b3', { ...record('beta', 'b3'), host: 'h3' });
    input.local.push({
      namespace: '/service/',
      scope: 'gamma',
      node: 'g1',
      configFile: '/etc/patroni/g1.yaml',
      etcdUsername: undefined,
      configSha256: 'x',
    });
    input.gate.expectedMembers = expectedMembers({
      readiness: input.gate.readiness,
      localInstances: input.local.map((view) => ({ ...view, name: view.node })),
      namespaces: ['/service/'],
    });
    const plan = planAuthMigration(input);
    assert.equal(plan.blocked, true);
    const absent = plan.blockers.filter((b) => b.subject === '/service/beta/b3');
    assert.equal(absent.length, 1);
    assert.match(absent[0]!.message, /recorded it ready on h3\) but the DCS does not list it/);
    assert.equal(plan.blockers.filter((b) => b.subject === '/service/gamma/g1').length, 1);
  });

  it('edits an adopted member key by key in the file its Patroni reads, and says so', () => {
    const input = openFleet();
    input.local = input.local.map((view) =>
      view.node === 'a1'
        ? {
            ...view,
            configFile: '/etc/patroni/15-main.yaml',
            adopted: { realConfigFile: '/etc/patroni/15-main.yml', dcsSection: 'etcd3' },
          }
        : view,
    );
    const a1 = planAuthMigration(input).members.find((m) => m.member === '/service/alpha/a1')!;
    assert.match(
      a1.actions[0]!,
      /^apply: set only etcd3\.username\/password to patroni-alpha in \/etc\/patroni\/15-main\.yml \(through \/etc\/patroni\/15-main\.yaml\), comments, owner and group kept/,
    );
    assert.match(a1.actions[0]!, /prove its Patroni re-read that file/);
  });

  it('blocks on a member file of this host that cannot be read, naming it with the fix, and names what it leaves alone', () => {
    const input = openFleet();
    input.gate.readiness.set('/service/beta/b2', record('beta', 'b2'));
    input.localProblems = [
      {
        configFile: '/etc/patroni/15-broken.yml',
        running: false,
        pid: undefined,
        problem: '/etc/patroni/15-broken.yml:2:10: not valid YAML',
        hint: 'fix /etc/patroni/15-broken.yml (...), or move it out of /etc/patroni',
      },
    ];
    input.leftAlone = [{ configFile: '/srv/other/p.yml', reason: 'its etcd (10.9.9.9:2379) is not this site’s' }];
    const plan = planAuthMigration(input);
    const blocker = plan.blockers.find((b) => b.subject === '/etc/patroni/15-broken.yml')!;
    assert.match(blocker.message, /this member file cannot be used: .*not valid YAML/);
    assert.match(blocker.hint, /fix \/etc\/patroni\/15-broken\.yml/);
    assert.equal(plan.blocked, true);
    assert.ok(plan.notes.some((note) => note.includes('/srv/other/p.yml')));
  });

  it('says there is nothing to migrate when auth is already on', () => {
    const input = openFleet();
    input.authEnabled = true;
    input.gate.readiness.set('/service/beta/b2', record('beta', 'b2'));
    const plan = planAuthMigration(input);
    assert.ok(plan.notes.some((note) => /already on: nothing to migrate/.test(note)));
    assert.deepEqual(plan.actions, []);
    assert.ok(plan.clusters.every((cluster) => cluster.actions.length === 0));
  });

  it('notes the etcd endpoints that are down and an interrupted run that enforce will roll back first', () => {
    const input = openFleet();
    input.endpointsDown = ['http://10.0.0.3:2379'];
    input.interruptedRun = { id: 'abc', phase: 'probing' };
    const plan = planAuthMigration(input);
    assert.ok(plan.notes.some((note) => note.includes('http://10.0.0.3:2379')));
    assert.ok(plan.actions.includes('enforce: first roll back the interrupted run abc (phase probing)'));
  });
});
