import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type RotationClusterFacts,
  type RotationFacts,
  type RotationMemberFacts,
  planRotation,
} from '../../../src/core/migration/rotation-plan.js';

const member = (name: string, overrides: Partial<RotationMemberFacts> = {}): RotationMemberFacts => ({
  member: `/service/alpha/${name}`,
  where: 'here',
  patroniVersion: '3.0.2',
  state: 'running',
  ...overrides,
});
const alpha = (overrides: Partial<RotationClusterFacts> = {}): RotationClusterFacts => ({
  cluster: '/service/alpha',
  user: 'patroni-alpha',
  userExists: true,
  passwordFile: '/s/patroni-alpha.password',
  passwordCheck: 'accepted',
  members: [member('alpha-1'), member('alpha-2')],
  ...overrides,
});
const facts = (overrides: Partial<RotationFacts> = {}): RotationFacts => ({
  authEnabled: true,
  tokenType: 'simple',
  etcdVersions: ['3.4.23', '3.4.23', '3.4.23'],
  clusters: [alpha()],
  unknownScopes: [],
  ...overrides,
});

describe('the tenant rotation plan', () => {
  it('lets this stack (Patroni 3.0.2, etcd 3.4.23, simple tokens) rotate, each member written here', () => {
    const plan = planRotation(facts());
    assert.equal(plan.blocked, false);
    assert.deepEqual(
      plan.clusters[0]!.members.map((m) => [m.member, m.verdict, m.action]),
      [
        ['/service/alpha/alpha-1', 'safe', 'write-here'],
        ['/service/alpha/alpha-2', 'safe', 'write-here'],
      ],
    );
  });

  it('refuses JWT tokens with Patroni 3.0.2 (the matrix says unsafe), naming the member', () => {
    const plan = planRotation(facts({ tokenType: 'jwt' }));
    assert.equal(plan.blocked, true);
    assert.match(
      plan.clusters[0]!.blockers[0]!,
      /^\/service\/alpha\/alpha-1: unsafe to rotate: .*revision of auth store is old/,
    );
  });

  it('refuses an etcd release the matrix does not cover for this Patroni (not verified is not safe)', () => {
    const plan = planRotation(facts({ etcdVersions: ['3.4.23', '3.7.0'] }));
    assert.equal(plan.blocked, true);
    assert.ok(plan.clusters[0]!.blockers.some((blocker) => blocker.includes('not verified')));
  });

  it('blocks on a password file etcd refuses, a missing file, a missing user, a member down or a YAML out of step', () => {
    const blockers = (cluster: Partial<RotationClusterFacts>) =>
      planRotation(facts({ clusters: [alpha(cluster)] })).clusters[0]!.blockers;
    assert.match(
      blockers({ passwordCheck: 'refused' })[0]!,
      /etcd refuses the password in \/s\/patroni-alpha.password/,
    );
    assert.match(blockers({ passwordCheck: 'missing' })[0]!, /is not on this host/);
    assert.match(blockers({ userExists: false })[0]!, /etcd user patroni-alpha does not exist/);
    assert.match(
      blockers({ members: [member('alpha-1', { unreachable: 'connection refused', patroniVersion: undefined })] })[0]!,
      /alpha-1 does not answer: connection refused/,
    );
    assert.match(
      blockers({ members: [member('alpha-1', { yamlDrift: 'its YAML does not hold the current password' })] })[0]!,
      /alpha-1: its YAML does not hold the current password .*etcd auth apply/,
    );
  });

  it('notes (without blocking) members on other hosts and auth being off', () => {
    const plan = planRotation(
      facts({
        authEnabled: false,
        clusters: [
          alpha({
            passwordCheck: 'not-checked',
            members: [member('alpha-1'), member('alpha-2', { where: 'elsewhere' })],
          }),
        ],
      }),
    );
    assert.equal(plan.blocked, false);
    assert.deepEqual(
      plan.clusters[0]!.members.map((m) => m.action),
      ['write-here', 'host-step'],
    );
    assert.ok(plan.clusters[0]!.notes.some((note) => note.includes('rotate alpha --host-only')));
    assert.ok(plan.clusters[0]!.notes.some((note) => note.includes('auth is off')));
  });

  it('blocks on a scope no namespace holds', () => {
    const plan = planRotation(facts({ clusters: [], unknownScopes: ['omega'] }));
    assert.equal(plan.blocked, true);
    assert.deepEqual(plan.blockers, ['no cluster omega in the DCS under the namespaces pgfleet scans']);
  });
});
