import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateEnforceGates, type GateInput } from '../../../src/core/migration/enforce-gates.js';
import { absentFromDcs, expectedMembers } from '../../../src/core/migration/expected-members.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';
import type { ReadinessRecord } from '../../../src/core/migration/readiness-record.js';

const member = (scope: string, name: string): FleetMember => ({
  namespace: '/service/',
  scope,
  name,
  apiUrl: `http://10.203.0.11:8008/${name}`,
  role: 'replica',
  managedHere: false,
});
const record = (scope: string, name: string, host: string, namespace = '/service/'): ReadinessRecord => ({
  namespace,
  scope,
  member: name,
  username: `patroni-${scope}`,
  configSha256: 'x',
  host,
  appliedAt: '2026-01-01T00:00:00Z',
});
const id = (scope: string, name: string): string => `/service/${scope}/${name}`;

/** Two clusters of two members on h1 and h2, all applied; the DCS lists what `listed` says. */
function fleet(listed: FleetMember[]): GateInput {
  const all = [
    ['alpha', 'alpha-1', 'h1'],
    ['alpha', 'alpha-2', 'h2'],
    ['beta', 'beta-1', 'h1'],
    ['beta', 'beta-2', 'h2'],
  ] as const;
  const readiness = new Map(all.map(([scope, name, host]) => [id(scope, name), record(scope, name, host)]));
  return {
    members: listed,
    tenantUsers: new Map([
      ['/service/alpha', 'patroni-alpha'],
      ['/service/beta', 'patroni-beta'],
    ]),
    readiness,
    unreachable: new Map(),
    patroniVersions: new Map(listed.map((m) => [id(m.scope, m.name), '3.0.2'])),
    tokenType: 'simple',
    etcdVersions: ['3.4.23'],
    adminCredentialsWork: true,
    expectedMembers: expectedMembers({ readiness, localInstances: [], namespaces: ['/service/'] }),
  };
}

describe('members pgfleet expects in the DCS', () => {
  it('are those apply recorded ready and those this host manages, once each, in the namespaces covered', () => {
    const expected = expectedMembers({
      readiness: new Map([
        [id('alpha', 'alpha-1'), record('alpha', 'alpha-1', 'h1')],
        ['/other/gamma/gamma-1', record('gamma', 'gamma-1', 'h3', '/other/')],
      ]),
      localInstances: [
        { name: 'main', namespace: '/service/', scope: 'alpha', node: 'alpha-1' },
        { name: 'second', namespace: '/service/', scope: 'beta', node: 'beta-1' },
      ],
      namespaces: ['/service/'],
    });
    assert.deepEqual(
      expected.map((member) => [member.id, member.sources, member.host, member.localInstance]),
      [
        ['/service/alpha/alpha-1', ['readiness-record', 'local-instance'], 'h1', 'main'],
        ['/service/beta/beta-1', ['local-instance'], undefined, 'second'],
      ],
    );
  });

  it('one the DCS does not list is absent; one it lists is not', () => {
    const expected = expectedMembers({
      readiness: new Map([
        [id('alpha', 'alpha-1'), record('alpha', 'alpha-1', 'h1')],
        [id('alpha', 'alpha-2'), record('alpha', 'alpha-2', 'h2')],
      ]),
      localInstances: [],
      namespaces: ['/service/'],
    });
    assert.deepEqual(
      absentFromDcs([member('alpha', 'alpha-1')], expected).map((absent) => absent.id),
      ['/service/alpha/alpha-2'],
    );
  });
});

describe('enforce gates with the members pgfleet expects', () => {
  it('let the fleet through when the DCS lists every expected member', () => {
    const listed = [
      member('alpha', 'alpha-1'),
      member('alpha', 'alpha-2'),
      member('beta', 'beta-1'),
      member('beta', 'beta-2'),
    ];
    assert.deepEqual(evaluateEnforceGates(fleet(listed)), []);
  });

  it("refuse when a member's key lapsed (cut off from etcd past its ttl): 2 of 4 listed is not the fleet, and each absent one is named with its host and the fix", () => {
    const failures = evaluateEnforceGates(fleet([member('alpha', 'alpha-1'), member('beta', 'beta-1')]));
    assert.deepEqual(
      failures.map((failure) => [failure.gate, failure.subject]),
      [
        ['membership', '/service/alpha/alpha-2'],
        ['membership', '/service/beta/beta-2'],
      ],
    );
    assert.match(failures[0]!.message, /recorded it ready on h2/);
    assert.match(failures[0]!.hint, /on host h2: bring its Patroni back and its link to etcd/);
    assert.match(failures[0]!.hint, /pgfleet etcd auth forget \/service\/alpha\/alpha-2/);
  });

  it('refuse a stopped member of this host with the command that starts it', () => {
    const input = fleet([member('alpha', 'alpha-1'), member('beta', 'beta-1'), member('beta', 'beta-2')]);
    input.expectedMembers = expectedMembers({
      readiness: input.readiness,
      localInstances: [{ name: 'a2', namespace: '/service/', scope: 'alpha', node: 'alpha-2' }],
      namespaces: ['/service/'],
    });
    const failures = evaluateEnforceGates(input);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.fix?.command, 'pgfleet instance start a2');
  });
});
