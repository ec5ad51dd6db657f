import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type V2ClusterFacts,
  type V3MoveFleetFacts,
  evaluateV3MoveGates,
  sameRestApi,
  sectionReaches,
  v2EnvironmentOverrides,
} from '../../../src/core/migration/etcd-v3-gates.js';
import { configPaused, planKeyCopy, v2Directory } from '../../../src/core/migration/etcd-v3-keys.js';
import {
  type ClusterMoveRecord,
  clusterRecovery,
  clustersInFlight,
  interruptedV3Run,
  v3RestartOrder,
} from '../../../src/core/migration/etcd-v3-run.js';

const BASE = '/service/alpha/';
const V2_KEYS = [
  { key: `${BASE}config`, value: '{"ttl":30,"loop_wait":10,"pause":true}' },
  { key: `${BASE}initialize`, value: '7716409577210591163' },
  { key: `${BASE}history`, value: '[[1,50331808,"no recovery target specified"]]' },
  { key: `${BASE}status`, value: '{"optime":50331648}' },
  { key: `${BASE}optime/leader`, value: '50331648' },
  { key: `${BASE}sync`, value: '{"leader":"alpha-1","sync_standby":"alpha-2"}' },
  { key: `${BASE}failsafe`, value: '{"alpha-1":"http://127.0.0.1:8008/patroni"}' },
  { key: `${BASE}leader`, value: 'alpha-1' },
  { key: `${BASE}members/alpha-1`, value: '{}' },
  { key: `${BASE}members/alpha-2`, value: '{}' },
];

describe('the keys of a cluster moved from v2 to v3', () => {
  it('copies the durable keys and leaves the leader and member keys to Patroni', () => {
    const plan = planKeyCopy(BASE, V2_KEYS);
    assert.deepEqual(
      plan.copy.map((entry) => entry.key.slice(BASE.length)),
      ['config', 'initialize', 'history', 'status', 'optime/leader', 'sync', 'failsafe'],
    );
    assert.deepEqual(plan.leftToPatroni, [`${BASE}leader`, `${BASE}members/alpha-1`, `${BASE}members/alpha-2`]);
    assert.deepEqual(plan.refused, []);
    assert.deepEqual(plan.unknown, []);
  });

  it('refuses a pending failover key: in pause, its candidate races for the free leader key', () => {
    const plan = planKeyCopy(BASE, [
      ...V2_KEYS,
      { key: `${BASE}failover`, value: '{"leader":"alpha-1","member":"alpha-2"}' },
    ]);
    assert.deepEqual(
      plan.refused.map((entry) => entry.key),
      [`${BASE}failover`],
    );
  });

  it("names keys that are not Patroni's, and Citus groups, instead of copying them", () => {
    const plan = planKeyCopy(BASE, [
      ...V2_KEYS,
      { key: `${BASE}vip/owner`, value: 'x' },
      { key: `${BASE}0/leader`, value: 'x' },
    ]);
    assert.deepEqual(plan.unknown, [`${BASE}vip/owner`, `${BASE}0/leader`]);
  });

  it('checks that the copied config says pause: true', () => {
    assert.equal(configPaused(planKeyCopy(BASE, V2_KEYS), BASE), true);
    assert.equal(configPaused(planKeyCopy(BASE, [{ key: `${BASE}config`, value: '{"ttl":30}' }]), BASE), false);
    assert.equal(configPaused(planKeyCopy(BASE, [{ key: `${BASE}config`, value: 'not json' }]), BASE), false);
    assert.equal(configPaused(planKeyCopy(BASE, []), BASE), false);
  });

  it('reads and removes the v2 directory without its trailing slash', () => {
    assert.equal(v2Directory(BASE), '/service/alpha');
  });
});

function fleet(overrides: Partial<V3MoveFleetFacts> = {}): V3MoveFleetFacts {
  return {
    etcdVersion: '3.4.23',
    v2: { served: true, authEnabled: false },
    v3AuthEnabled: false,
    unexplainedV2Reads: undefined,
    clusters: [],
    ...overrides,
  };
}

function member(name: string, role: string, extra: Partial<V2ClusterFacts['members'][number]> = {}) {
  return {
    name,
    apiUrl: `http://127.0.0.1:800${name.slice(-1)}/patroni`,
    status: { role, state: 'running', timeline: 1, pause: false, patroniVersion: '3.0.2' },
    local: { configFile: `/etc/patroni/${name}.yaml`, section: 'etcd' as const, adopted: false },
    ...extra,
  };
}

function cluster(overrides: Partial<V2ClusterFacts> = {}): V2ClusterFacts {
  return {
    cluster: '/service/alpha',
    namespace: '/service/',
    scope: 'alpha',
    base: BASE,
    keys: planKeyCopy(BASE, V2_KEYS),
    leader: 'alpha-1',
    members: [member('alpha-1', 'master'), member('alpha-2', 'replica')],
    v3Keys: [],
    unregisteredHere: [],
    v2Clients: [],
    v3Credentials: 'not-needed',
    ...overrides,
  };
}

const gatesOf = (facts: V2ClusterFacts, fleetFacts = fleet()) =>
  evaluateV3MoveGates(fleetFacts, facts).map((failure) => failure.gate);

describe('the gates of a cluster moving from etcd v2 to v3', () => {
  it('let a healthy cluster of this host on Patroni 3.0.2 × etcd 3.4.23 through', () => {
    assert.deepEqual(evaluateV3MoveGates(fleet(), cluster()), []);
  });

  it('refuse when etcd does not serve v2, v2 auth is on or not known, or v3 does not answer', () => {
    assert.deepEqual(gatesOf(cluster(), fleet({ v2: { served: false, authEnabled: undefined } })), [
      'v2-served',
      'v2-auth',
    ]);
    assert.deepEqual(gatesOf(cluster(), fleet({ v2: { served: true, authEnabled: true } })), ['v2-auth']);
    assert.deepEqual(gatesOf(cluster(), fleet({ etcdVersion: undefined, v3Problem: 'ECONNREFUSED' })), ['v3-served']);
  });

  it('refuse a member that does not answer, one not running, and one not on this host', () => {
    assert.deepEqual(
      gatesOf(
        cluster({
          members: [
            member('alpha-1', 'master'),
            member('alpha-2', 'replica', { status: undefined, unreachable: 'ECONNREFUSED' }),
          ],
        }),
      ),
      ['reachability'],
    );
    assert.deepEqual(
      gatesOf(
        cluster({
          members: [
            member('alpha-1', 'master'),
            member('alpha-2', 'replica', {
              status: { role: 'replica', state: 'starting', timeline: 1, pause: false, patroniVersion: '3.0.2' },
            }),
          ],
        }),
      ),
      ['reachability'],
    );
    assert.deepEqual(
      gatesOf(
        cluster({
          members: [member('alpha-1', 'master'), member('alpha-2', 'replica', { local: undefined, apiUrl: undefined })],
        }),
      ),
      ['member-elsewhere'],
    );
    // A member on another host that registered its REST API is moved by that host's `--host-only` step.
    assert.deepEqual(
      gatesOf(
        cluster({
          members: [
            member('alpha-1', 'master'),
            member('alpha-2', 'replica', { local: undefined, apiUrl: 'http://10.203.0.12:8008/patroni' }),
          ],
        }),
      ),
      [],
    );
  });

  it('refuse a member whose file cannot be moved: already etcd3, both sections, or a problem named by discovery', () => {
    const withLocal = (local: Partial<NonNullable<V2ClusterFacts['members'][number]['local']>>) =>
      cluster({
        members: [
          member('alpha-1', 'master'),
          member('alpha-2', 'replica', {
            local: { configFile: '/etc/patroni/alpha-2.yaml', section: 'etcd', adopted: true, ...local },
          }),
        ],
      });
    assert.deepEqual(gatesOf(withLocal({ section: 'both' })), ['member-file']);
    assert.deepEqual(gatesOf(withLocal({ section: 'etcd3' })), ['member-file']);
    assert.deepEqual(gatesOf(withLocal({ problem: 'pgfleet cannot restart it' })), ['member-file']);
  });

  it('refuse a pair the compatibility matrix does not clear: etcd 3.6 (no v2), or a Patroni no fact covers', () => {
    assert.ok(gatesOf(cluster(), fleet({ etcdVersion: '3.6.1' })).includes('matrix'));
    assert.deepEqual(
      gatesOf(
        cluster({
          members: [
            member('alpha-1', 'master', {
              status: { role: 'master', state: 'running', timeline: 1, pause: false, patroniVersion: '1.6.5' },
            }),
            member('alpha-2', 'replica'),
          ],
        }),
      ),
      ['matrix'],
    );
  });

  it('refuse a cluster whose leader key and running primary do not agree, or that has no leader', () => {
    assert.deepEqual(gatesOf(cluster({ leader: undefined })), ['leader']);
    assert.deepEqual(gatesOf(cluster({ leader: 'alpha-2' })), ['leader']);
    assert.deepEqual(gatesOf(cluster({ leader: 'alpha-9' })), ['leader']);
  });

  it('refuse a pending failover, foreign keys, missing config or initialize, and a prefix already used in v3', () => {
    assert.deepEqual(
      gatesOf(cluster({ keys: planKeyCopy(BASE, [...V2_KEYS, { key: `${BASE}failover`, value: '{}' }]) })),
      ['keys'],
    );
    assert.deepEqual(gatesOf(cluster({ keys: planKeyCopy(BASE, [...V2_KEYS, { key: `${BASE}x/y`, value: '' }]) })), [
      'keys',
    ]);
    assert.deepEqual(
      gatesOf(
        cluster({
          keys: planKeyCopy(
            BASE,
            V2_KEYS.filter((entry) => !entry.key.endsWith('/config')),
          ),
        }),
      ),
      ['keys'],
    );
    assert.deepEqual(gatesOf(cluster({ v3Keys: [`${BASE}config`] })), ['v3-prefix']);
  });

  it('refuse a cluster with a stopped member of it on this host still on etcd: (it would later start a cluster of its own on an empty v2)', () => {
    assert.deepEqual(gatesOf(cluster({ unregisteredHere: ['alpha-3 (/etc/patroni/alpha-3.yaml)'] })), [
      'unregistered-member',
    ]);
  });

  it("refuse a cluster a v2-only client reads (Debian's vip-manager 1.0.2 would drop the VIP), naming it", () => {
    const failures = evaluateV3MoveGates(
      fleet(),
      cluster({ v2Clients: [{ subject: 'vip-manager 1.0.2 (pid 4242)', detail: '/service/alpha/leader' }] }),
    );
    assert.deepEqual(
      failures.map((failure) => failure.gate),
      ['v2-client'],
    );
    assert.match(failures[0]!.message, /vip-manager 1\.0\.2 \(pid 4242\)/);
  });

  it('refuse every cluster while single-key v2 reads no known client explains go on', () => {
    assert.deepEqual(gatesOf(cluster(), fleet({ unexplainedV2Reads: { reads: 3, observedMs: 2500 } })), ['v2-readers']);
  });

  it('with v3 auth on, refuse a cluster whose tenant credentials are not on this host', () => {
    assert.deepEqual(gatesOf(cluster({ v3Credentials: 'missing' }), fleet({ v3AuthEnabled: true })), ['credentials']);
    assert.deepEqual(gatesOf(cluster({ v3Credentials: 'available' }), fleet({ v3AuthEnabled: true })), []);
  });
});

function record(step: ClusterMoveRecord['step'], pausedByUs = true): ClusterMoveRecord {
  return {
    cluster: '/service/alpha',
    namespace: '/service/',
    scope: 'alpha',
    step,
    leader: 'alpha-2',
    timelines: { 'alpha-1': 1, 'alpha-2': 1 },
    pausedByUs,
    copiedKeys: [],
    members: [],
  };
}

describe('finishing a cluster left mid-move', () => {
  it('rolls back every step before the verification on v3', () => {
    for (const step of [
      'pausing',
      'copying',
      'rewriting',
      'restarting',
      'verifying',
      'rolling-back',
      'rollback-failed',
    ] as const)
      assert.deepEqual(clusterRecovery(record(step)), { kind: 'roll-back' }, step);
  });

  it('finishes on v3 a cluster verified there: resume (when this run paused it), then remove the v2 keys', () => {
    assert.deepEqual(clusterRecovery(record('resuming')), { kind: 'finish', resume: true });
    assert.deepEqual(clusterRecovery(record('resuming', false)), { kind: 'finish', resume: false });
    assert.deepEqual(clusterRecovery(record('removing-v2')), { kind: 'finish', resume: false });
  });

  it('leaves moved and rolled-back clusters alone', () => {
    assert.deepEqual(clusterRecovery(record('moved')), { kind: 'none' });
    assert.deepEqual(clusterRecovery(record('rolled-back')), { kind: 'none' });
    assert.deepEqual(
      clustersInFlight({ clusters: [record('moved'), record('copying'), record('rolled-back')] }).map(
        (entry) => entry.step,
      ),
      ['copying'],
    );
  });

  it('a run is interrupted until it reaches finished or stopped', () => {
    const state = {
      id: 'r1',
      coordinator: { host: 'h', pid: 1 },
      startedAt: '',
      updatedAt: '',
      pausedByUs: [],
      failures: [],
      clusters: [],
    };
    assert.equal(interruptedV3Run({ ...state, phase: 'moving' })?.id, 'r1');
    assert.equal(interruptedV3Run({ ...state, phase: 'finished' }), undefined);
    assert.equal(interruptedV3Run({ ...state, phase: 'stopped' }), undefined);
    assert.equal(interruptedV3Run(undefined), undefined);
  });

  it('restarts the leader first, then the replicas by name', () => {
    assert.deepEqual(
      v3RestartOrder([{ name: 'a-1' }, { name: 'a-3' }, { name: 'a-2' }], 'a-3').map((entry) => entry.name),
      ['a-3', 'a-1', 'a-2'],
    );
  });
});

describe('what else keeps a member on v2', () => {
  it('PATRONI_ETCD_* variables build an etcd: section whatever the YAML says; PATRONI_ETCD3_* do not', () => {
    assert.deepEqual(
      v2EnvironmentOverrides(['PATRONI_ETCD3_HOSTS', 'PATRONI_ETCD_HOSTS', 'PATRONI_ETCD_PASSWORD', 'PATRONI_NAME']),
      ['PATRONI_ETCD_HOSTS', 'PATRONI_ETCD_PASSWORD'],
    );
  });
});

describe("which file on this host is a cluster member's", () => {
  const endpoints = ['http://127.0.0.1:2379', 'http://10.0.0.2:2379'];
  it('a section reaching one of the etcd endpoints, in any of the forms Patroni reads (host, hosts list or string, url)', () => {
    assert.equal(sectionReaches({ host: 'localhost:2379' }, endpoints), true);
    assert.equal(sectionReaches({ hosts: '10.0.0.9:2379,10.0.0.2:2379' }, endpoints), true);
    assert.equal(sectionReaches({ hosts: ['10.0.0.2:2379'] }, endpoints), true);
    assert.equal(sectionReaches({ url: 'http://127.0.0.1:2379' }, endpoints), true);
    assert.equal(sectionReaches({ hosts: ['10.9.9.9:2379'] }, endpoints), false, "another fleet's etcd");
    assert.equal(sectionReaches({ srv: 'example.org' }, endpoints), undefined, 'discovery: cannot tell');
  });

  it('the REST API it registered is the one its file serves', () => {
    assert.equal(sameRestApi('http://127.0.0.1:8008/patroni', 'http://127.0.0.1:8008'), true);
    assert.equal(sameRestApi('http://localhost:8008/patroni', 'http://127.0.0.1:8008/'), true);
    assert.equal(sameRestApi('http://127.0.0.1:8009/patroni', 'http://127.0.0.1:8008'), false);
    assert.equal(sameRestApi(undefined, 'http://127.0.0.1:8008'), true);
  });
});
