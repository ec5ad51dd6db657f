import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type KnownClients,
  PATRONI_WATCHERS_PER_MEMBER,
  accountForClients,
} from '../../../src/core/census/client-accounting.js';
import { ALPHA_KEYS, ALPHA_LEASES, censusOf, clientProcess, lease } from './census-fixture.js';

const known = (overrides: Partial<KnownClients> = {}): KnownClients => ({
  namespaces: ['/service/'],
  patroniMembers: [
    { namespace: '/service/', scope: 'alpha', name: 'alpha-1' },
    { namespace: '/service/', scope: 'alpha', name: 'alpha-2' },
  ],
  tenants: [{ prefix: '/service/alpha/' }],
  declaredClients: [],
  pgfleetPrefix: '/pgfleet/',
  ...overrides,
});

const ids = (subjects: Array<{ id: string }>): string[] => subjects.map((subject) => subject.id);

describe('accounting for the clients of an etcd', () => {
  it('finds nothing to name in a fleet whose members, leases and watchers are all its own', () => {
    const account = accountForClients(
      censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [1, 1, 0] }),
      known(),
    );
    assert.deepEqual(account.subjects, []);
    assert.deepEqual(account.explained, { patroniMembers: 2, leases: 2, watchers: 2, processes: 0 });
    assert.deepEqual(account.incomplete, []);
  });

  it('does not count a watch stream that only the last reading saw (a Patroni restarted during the observation: its new stream beside the old one etcd has not dropped yet)', () => {
    const census = censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [1, 1, 0] });
    census.members[0]!.after = { ...census.members[0]!.after!, watchers: 2, watchStreams: 2 };
    const account = accountForClients(census, known());
    assert.deepEqual(account.subjects, []);
    assert.equal(account.explained.watchers, 2);
  });

  it('names a watcher held through the whole observation that no member or declared client explains', () => {
    const census = censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2, 1, 0] });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.unknownClients), ['unexplained-watchers']);
  });

  it('names a Patroni cluster under a namespace the settings do not list, with its members, leases and processes, and the fix', () => {
    const census = censusOf({
      keys: [
        ...ALPHA_KEYS,
        ['/postgresql-common/15-main/initialize', 7],
        ['/postgresql-common/15-main/leader', 130, '2001'],
        ['/postgresql-common/15-main/members/n1', 131, '2001'],
      ],
      leases: [
        ...ALPHA_LEASES,
        lease('2001', ['/postgresql-common/15-main/leader', '/postgresql-common/15-main/members/n1']),
      ],
      watchers: [3],
      processes: [
        clientProcess({
          program: 'patroni',
          pid: 77,
          patroni: { namespace: '/postgresql-common/', scope: '15-main', name: 'n1' },
          keys: [{ key: '/postgresql-common/15-main/', prefix: true, use: 'read-write' }],
        }),
      ],
    });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.outsideClusters), ['outside-cluster:/postgresql-common/15-main/']);
    const [outside] = account.outsideClusters;
    assert.deepEqual(
      [outside!.details['members'], outside!.details['leases'], outside!.details['processes']],
      [['n1'], ['2001'], [77]],
    );
    assert.match(outside!.summary, /being written now/);
    assert.match(outside!.fix, /tenancy\.namespaces/);
    // Its lease, its watcher and its process are named with the cluster, not a second time as unknown clients.
    assert.deepEqual(account.unknownClients, []);
  });

  it('names a prefix written during the census under no tenant as an unknown writer, and not one written before it', () => {
    const census = censusOf({
      keys: [...ALPHA_KEYS, ['/app/jobs/1', 150], ['/app/jobs/2', 151], ['/archive/old/1', 50]],
      startRevision: 100,
    });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.unknownWriters), ['unknown-writer:/app/jobs/']);
    assert.equal(account.unknownWriters[0]!.details['writtenKeys'], 2);
  });

  it('names a prefix the watch saw written, even one whose keys were all deleted meanwhile', () => {
    const census = censusOf({
      keys: [...ALPHA_KEYS, ['/queue/jobs/1', 50]],
      writes: ['/queue/jobs/1', '/queue/jobs/1', '/tmp/scratch/gone', '/service/alpha/members/alpha-1'],
    });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.unknownWriters), ['unknown-writer:/queue/jobs/', 'unknown-writer:/tmp/scratch/']);
    assert.deepEqual(
      [account.unknownWriters[0]!.details['writesObserved'], account.unknownWriters[1]!.details['keyCount']],
      [2, 0],
    );
    assert.match(account.unknownWriters[0]!.summary, /2 writes seen in 2\.5 s/);
  });

  it("does not name writes under a tenant's prefix, pgfleet's own prefix or a declared writer's prefix", () => {
    const census = censusOf({
      keys: [...ALPHA_KEYS, ['/service/alpha/app-data', 150], ['/pgfleet/readiness/x', 151], ['/mon/state/k', 152]],
    });
    const account = accountForClients(
      census,
      known({
        declaredClients: [{ name: 'mon', kind: 'monitoring', keys: [{ key: '/mon/', prefix: true }], writes: true }],
      }),
    );
    assert.deepEqual(account.unknownWriters, []);
  });

  it('names leases no Patroni member or declared client explains, grouped by prefix, and keeps keyless leases apart', () => {
    const census = censusOf({
      keys: ALPHA_KEYS,
      leases: [
        ...ALPHA_LEASES,
        lease('3001', ['/locks/app/one']),
        lease('3002', ['/locks/app/two']),
        lease('3003', [], 9),
        lease('3004', ['/declared/reader/x']),
      ],
    });
    const account = accountForClients(
      census,
      known({ declaredClients: [{ name: 'reader', kind: 'monitoring', keys: [{ key: '/declared/', prefix: true }] }] }),
    );
    assert.deepEqual(ids(account.unknownClients), ['unknown-lease:/locks/app/']);
    assert.deepEqual(
      (account.unknownClients[0]!.details['leases'] as Array<{ id: string }>).map((held) => held.id),
      ['3001', '3002'],
    );
    assert.deepEqual(
      account.keylessLeases.map((held) => held.id),
      ['3003'],
    );
    assert.equal(account.explained.leases, 3);
  });

  it(`expects ${PATRONI_WATCHERS_PER_MEMBER} watcher per live Patroni member, plus what declared clients declare, and names the excess`, () => {
    const census = censusOf({
      keys: ALPHA_KEYS,
      leases: ALPHA_LEASES,
      watchers: [2, 1],
      processes: [
        clientProcess({
          program: 'etcdctl',
          pid: 55,
          command: 'watch',
          keys: [{ key: '/x/', prefix: true, use: 'watch' }],
        }),
      ],
    });
    const account = accountForClients(census, known());
    const watchers = account.unknownClients.find((subject) => subject.kind === 'unexplained-watchers');
    assert.equal(watchers?.id, 'unexplained-watchers');
    assert.deepEqual(
      [watchers?.details['watchers'], watchers?.details['expected'], watchers?.details['excess']],
      [3, 2, 1],
    );
    assert.deepEqual(watchers?.details['candidates'], ['unknown-process:db1:etcdctl:/x/']);
    // Declared, the watcher is explained.
    const declared = accountForClients(
      census,
      known({
        declaredClients: [{ name: 'x-watch', kind: 'monitoring', keys: [{ key: '/x/', prefix: true }], watchers: 1 }],
      }),
    );
    assert.deepEqual(declared.unknownClients, []);
  });

  it("leaves the census's own watch out of the watchers clients hold", () => {
    const census = censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2, 1], ownWatchers: 1 });
    assert.deepEqual(accountForClients(census, known()).unknownClients, []);
  });

  it('counts as live only Patroni members whose key is on a lease: a left-over member key explains no watcher', () => {
    const census = censusOf({
      keys: [...ALPHA_KEYS, ['/service/alpha/members/alpha-3', 10]],
      leases: ALPHA_LEASES,
      watchers: [3],
    });
    const watchers = accountForClients(census, known()).unknownClients.find(
      (subject) => subject.kind === 'unexplained-watchers',
    );
    assert.deepEqual([watchers?.details['livePatroniMembers'], watchers?.details['excess']], [2, 1]);
  });

  it('names an undeclared client process once, by a stable id (host, program, key), with its pids and whether it has credentials', () => {
    const vip = clientProcess({
      program: 'vip-manager',
      pid: 31,
      api: 'v2',
      keys: [{ key: '/service/alpha/leader', prefix: false, use: 'read' }],
      version: '1.0.2-6+b2',
    });
    const account = accountForClients(
      censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2], processes: [vip, { ...vip, pid: 32 }] }),
      known(),
    );
    assert.deepEqual(ids(account.unknownClients), ['unknown-process:db1:vip-manager:/service/alpha/leader']);
    const [subject] = account.unknownClients;
    assert.deepEqual([subject!.details['pids'], subject!.details['credentialsSet']], [[31, 32], false]);
    assert.match(subject!.fix, /drops the VIP/);
  });

  it('explains a client process declared with the keys it uses, and ignores clients of another etcd', () => {
    const vip = clientProcess({
      program: 'vip-manager',
      keys: [{ key: '/service/alpha/leader', prefix: false, use: 'read' }],
    });
    const elsewhere = clientProcess({
      program: 'etcdctl',
      endpoints: ['http://10.9.9.9:2379'],
      keys: [{ key: '/y/', prefix: true, use: 'watch' }],
    });
    const account = accountForClients(
      censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2], processes: [vip, elsewhere] }),
      known({
        declaredClients: [
          { name: 'vip-alpha', kind: 'vip-manager', keys: [{ key: '/service/alpha/leader', prefix: false }] },
        ],
      }),
    );
    assert.deepEqual(account.unknownClients, []);
    assert.equal(account.explained.processes, 1);
  });

  it('names each Patroni cluster of the v2 keyspace as not protected by v3 auth, and the open v2 keyspace', () => {
    const census = censusOf({
      keys: ALPHA_KEYS,
      leases: ALPHA_LEASES,
      watchers: [2],
      v2Keys: [
        ['/service/legacy/members/l1', 5],
        ['/service/legacy/leader', 6],
        ['/other/k', 7],
      ],
      v2Reads: [[10, 40]],
    });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.v2Clusters), ['v2-cluster:/service/legacy/']);
    assert.match(account.v2Clusters[0]!.summary, /not protected by v3 auth/);
    assert.deepEqual(ids(account.v2Exposure), ['v2-open-keyspace']);
    // Its members read v2: the reads are theirs.
    assert.deepEqual(account.v2Readers, []);
  });

  it('names v2 reads while no Patroni member is on the v2 section, pointing at v2 client processes', () => {
    const vip = clientProcess({
      program: 'vip-manager',
      api: 'v2',
      keys: [{ key: '/service/alpha/leader', prefix: false, use: 'read' }],
    });
    const census = censusOf({
      keys: ALPHA_KEYS,
      leases: ALPHA_LEASES,
      watchers: [1, 1],
      v2Reads: [
        [4, 9],
        [4, 4],
      ],
      processes: [vip],
    });
    const account = accountForClients(census, known());
    assert.deepEqual(ids(account.v2Readers), ['v2-readers']);
    assert.deepEqual(
      [account.v2Readers[0]!.details['reads'], account.v2Readers[0]!.details['candidates']],
      [5, ['unknown-process:db1:vip-manager:/service/alpha/leader']],
    );
    assert.deepEqual(
      accountForClients(censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2], v2Reads: [[4, 4]] }), known())
        .v2Readers,
      [],
    );
  });

  it('says what it could not measure', () => {
    const census = censusOf({ keys: ALPHA_KEYS });
    census.members[0] = { ...census.members[0]!, before: undefined, after: undefined, error: 'ECONNREFUSED' };
    census.processes = { scanned: false, clients: [], unreadable: 0 };
    const account = accountForClients(census, known());
    assert.equal(account.incomplete.length, 2);
    assert.match(account.incomplete[0]!, /etcd1.*ECONNREFUSED/);
    assert.deepEqual(account.unknownClients, []);
  });

  it('gives the same ids for the same things from one census to the next', () => {
    const first = censusOf({
      keys: [...ALPHA_KEYS, ['/app/jobs/1', 150]],
      leases: [...ALPHA_LEASES, lease('3001', ['/locks/app/one'])],
    });
    const second = censusOf({
      keys: [...ALPHA_KEYS, ['/app/jobs/1', 250]],
      startRevision: 200,
      leases: [...ALPHA_LEASES, lease('9999', ['/locks/app/one'])],
    });
    assert.deepEqual(ids(accountForClients(first, known()).subjects), ids(accountForClients(second, known()).subjects));
  });
});
