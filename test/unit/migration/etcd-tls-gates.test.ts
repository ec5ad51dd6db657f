import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type EtcdTlsGateInput,
  type LocalMemberFacts,
  evaluateEtcdTlsGates,
} from '../../../src/core/migration/etcd-tls-gates.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';

const member = (scope: string, name: string, role = 'replica'): FleetMember => ({
  namespace: '/service/',
  scope,
  name,
  apiUrl: undefined,
  role,
  managedHere: true,
});
const members = [member('alpha', 'alpha-1', 'master'), member('alpha', 'alpha-2'), member('beta', 'beta-1', 'master')];
const facts = (overrides: Partial<LocalMemberFacts> = {}): LocalMemberFacts => ({
  patroniRunning: true,
  pidFile: '/run/x/patroni.pid',
  unreadable: [],
  onTarget: false,
  ...overrides,
});
const healthy = (): EtcdTlsGateInput => ({
  members,
  unreachable: new Map(),
  leaders: new Map([
    ['/service/alpha', 'alpha-1'],
    ['/service/beta', 'beta-1'],
  ]),
  local: new Map(members.map((m) => [`/service/${m.scope}/${m.name}`, facts()])),
  fileSets: [
    {
      label: 'cacert /pki/ca.crt',
      members: members.map((m) => `/service/${m.scope}/${m.name}`),
      problems: [],
      endpoints: [{ endpoint: 'https://e1:2389', ok: true, detail: 'etcd 3.4.23' }],
    },
  ],
});

describe('etcd tls migrate gates', () => {
  it('let a healthy fleet through', () => {
    assert.deepEqual(evaluateEtcdTlsGates(healthy()), []);
  });

  it('refuse an unreachable member, a cluster without leader, and a Patroni not run by pgfleet', () => {
    const input = healthy();
    input.unreachable.set('/service/beta/beta-1', 'ECONNREFUSED');
    input.leaders.set('/service/alpha', undefined);
    input.local.set('/service/alpha/alpha-2', facts({ patroniRunning: false }));
    const failures = evaluateEtcdTlsGates(input);
    assert.deepEqual(
      failures.map((f) => [f.gate, f.subject]),
      [
        ['reachability', '/service/beta/beta-1'],
        ['leader', '/service/alpha'],
        ['patroni-control', '/service/alpha/alpha-2'],
      ],
    );
  });

  it('refuse certificate problems and an https endpoint that does not answer, for the members given those files', () => {
    const input = healthy();
    input.fileSets = [
      {
        label: 'cacert /nope.crt',
        members: ['/service/alpha/alpha-2'],
        problems: [{ message: 'CA certificate file /nope.crt does not exist', hint: 'fix the path' }],
        endpoints: [],
      },
      {
        label: 'cacert /pki/ca.crt',
        members: ['/service/alpha/alpha-1', '/service/beta/beta-1'],
        problems: [],
        endpoints: [{ endpoint: 'https://e1:2389', ok: false, detail: 'ECONNREFUSED' }],
      },
    ];
    const failures = evaluateEtcdTlsGates(input);
    assert.deepEqual(
      failures.map((f) => f.gate),
      ['certificates', 'https-endpoint'],
    );
    assert.match(failures[0]!.message, /\/nope\.crt does not exist \(files of \/service\/alpha\/alpha-2\)/);
    assert.match(failures[1]!.message, /https:\/\/e1:2389 does not answer over https/);
  });

  it('refuse files the Patroni user cannot read and a member found through DNS discovery', () => {
    const input = healthy();
    input.local.set(
      '/service/beta/beta-1',
      facts({
        unreadable: [{ file: '/pki/client.key', reason: '/pki/client.key (mode 0600) is not readable by uid 106' }],
        discoveryKey: 'srv',
      }),
    );
    assert.deepEqual(
      evaluateEtcdTlsGates(input).map((f) => f.gate),
      ['dcs-discovery', 'file-access'],
    );
  });

  it('ignore members already on https and clusters with nothing to move', () => {
    const input = healthy();
    for (const id of input.local.keys()) input.local.set(id, facts({ onTarget: true, patroniRunning: false }));
    input.leaders.set('/service/beta', undefined);
    input.fileSets[0]!.endpoints[0]!.ok = false;
    assert.deepEqual(evaluateEtcdTlsGates(input), []);
  });

  it('refuse an empty fleet', () => {
    assert.deepEqual(
      evaluateEtcdTlsGates({ ...healthy(), members: [], local: new Map(), fileSets: [] }).map((f) => f.gate),
      ['no-members'],
    );
  });
});
