import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateEnforceGates, type GateInput } from '../../../src/core/migration/enforce-gates.js';
import { etcdVersionSupportsPatroni30Auth } from '../../../src/core/versions/stack-version-facts.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';
import type { ReadinessRecord } from '../../../src/core/migration/readiness-record.js';

const member = (scope: string, name: string): FleetMember => ({
  namespace: '/service/',
  scope,
  name,
  apiUrl: `http://127.0.0.1/${name}`,
  role: 'replica',
  managedHere: true,
});
const record = (scope: string, name: string, username = `patroni-${scope}`): ReadinessRecord => ({
  namespace: '/service/',
  scope,
  member: name,
  username,
  configSha256: 'x',
  host: 'h',
  appliedAt: '2026-01-01T00:00:00Z',
});

function readyFleet(): GateInput {
  const members = [member('alpha', 'a1'), member('alpha', 'a2'), member('beta', 'b1')];
  return {
    members,
    tenantUsers: new Map([
      ['/service/alpha', 'patroni-alpha'],
      ['/service/beta', 'patroni-beta'],
    ]),
    readiness: new Map(members.map((m) => [`/service/${m.scope}/${m.name}`, record(m.scope, m.name)])),
    unreachable: new Map(),
    patroniVersions: new Map(members.map((m) => [`/service/${m.scope}/${m.name}`, '3.0.2'])),
    tokenType: 'simple',
    etcdVersions: ['3.4.23'],
    adminCredentialsWork: true,
  };
}

describe('enforce gates', () => {
  it('let a fully prepared fleet through', () => {
    assert.deepEqual(evaluateEnforceGates(readyFleet()), []);
  });

  it('refuse when a member has no readiness record, naming it and saying where to run apply', () => {
    const input = readyFleet();
    input.readiness.delete('/service/beta/b1');
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.subject, '/service/beta/b1');
    assert.match(failures[0]!.hint, /pgfleet etcd auth apply/);
  });

  it('refuse a readiness record made with another user than the cluster tenant', () => {
    const input = readyFleet();
    input.readiness.set('/service/alpha/a2', record('alpha', 'a2', 'patroni-beta'));
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /ready with user patroni-beta.*tenant is patroni-alpha/);
  });

  it("refuse a local member recorded ready whose YAML no longer holds its tenant's credentials, saying what changed", () => {
    const input = readyFleet();
    input.localCredentialDrift = new Map([
      [
        '/service/alpha/a1',
        "its YAML (/etc/patroni/a1.yaml) holds a password for patroni-alpha other than the tenant's current one",
      ],
    ]);
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.gate, 'readiness');
    assert.equal(failures[0]!.subject, '/service/alpha/a1');
    assert.match(failures[0]!.message, /recorded ready, but its YAML .* other than the tenant's current one/);
    assert.match(failures[0]!.hint, /pgfleet etcd auth apply/);
  });

  it('leave credential drift to the other readiness gates when the member has no record at all (one failure, not two)', () => {
    const input = readyFleet();
    input.readiness.delete('/service/alpha/a1');
    input.localCredentialDrift = new Map([
      ['/service/alpha/a1', 'its YAML now names no etcd user instead of patroni-alpha'],
    ]);
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /no readiness record/);
  });

  it('refuse an unreachable member', () => {
    const input = readyFleet();
    input.unreachable.set('/service/alpha/a1', 'ECONNREFUSED');
    assert.deepEqual(
      evaluateEnforceGates(input).map((f) => f.gate),
      ['reachability'],
    );
  });

  it('refuse JWT tokens while a member runs Patroni older than 3.2, and explain the demotion risk', () => {
    const input = readyFleet();
    input.tokenType = 'jwt';
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.gate, 'token-type');
    assert.match(failures[0]!.message, /JWT.*Patroni < 3\.2.*demote/);
  });

  it('accept JWT tokens when every member runs Patroni 3.2 or later', () => {
    const input = readyFleet();
    input.tokenType = 'jwt';
    for (const key of input.patroniVersions.keys()) input.patroniVersions.set(key, '3.3.0');
    assert.deepEqual(evaluateEnforceGates(input), []);
  });

  it('refuse an unknown token type rather than guess', () => {
    const input = readyFleet();
    input.tokenType = 'unknown';
    assert.deepEqual(
      evaluateEnforceGates(input).map((f) => f.gate),
      ['token-type'],
    );
  });

  it('refuse etcd versions that auth-check calls Patroni 3.0.2 makes without a token', () => {
    assert.equal(etcdVersionSupportsPatroni30Auth('3.4.23'), true);
    assert.equal(etcdVersionSupportsPatroni30Auth('3.4.41'), true);
    assert.equal(etcdVersionSupportsPatroni30Auth('3.4.42'), false);
    assert.equal(etcdVersionSupportsPatroni30Auth('3.5.21'), false);
    const input = readyFleet();
    input.etcdVersions = ['3.4.23', '3.5.21'];
    assert.deepEqual(
      evaluateEnforceGates(input).map((f) => f.gate),
      ['etcd-version'],
    );
  });

  it('refuse when the admin credentials do not work', () => {
    const input = readyFleet();
    input.adminCredentialsWork = false;
    input.adminProblem = 'authentication failed';
    const failures = evaluateEnforceGates(input);
    assert.equal(failures[0]!.gate, 'admin');
    assert.match(failures[0]!.message, /authentication failed/);
  });

  it('refuse an empty fleet: nothing discovered usually means a wrong namespace', () => {
    const input = readyFleet();
    input.members = [];
    assert.deepEqual(
      evaluateEnforceGates(input).map((f) => f.gate),
      ['no-members'],
    );
  });
});
