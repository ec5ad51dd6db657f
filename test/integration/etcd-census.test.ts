import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { takeEtcdCensus } from '../../src/adapters/etcd/etcd-census-scan.js';
import { readMemberClientMetrics } from '../../src/adapters/etcd/member-metrics-reader.js';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { Secret } from '../../src/core/secret.js';
import { childEnvironment } from '../../src/adapters/process/child-environment.js';
import { type KnownClients, accountForClients } from '../../src/core/census/client-accounting.js';
import type { EtcdCensus } from '../../src/core/census/etcd-census.js';
import { prefixRangeEnd } from '../../src/core/etcd/key-range.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { registerTeardown } from '../support/process-cleanup.js';

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');

/** What the fleet of this test knows: the /service/ namespace, alpha's two members and its tenant. */
const KNOWN: KnownClients = {
  namespaces: ['/service/'],
  patroniMembers: [
    { namespace: '/service/', scope: 'alpha', name: 'alpha-1' },
    { namespace: '/service/', scope: 'alpha', name: 'alpha-2' },
  ],
  tenants: [{ prefix: '/service/alpha/' }],
  declaredClients: [],
  pgfleetPrefix: '/pgfleet/',
};

async function grantLease(admin: EtcdClient, ttl: number): Promise<string> {
  return (await admin.call<{ ID: string }>('/v3/lease/grant', { TTL: ttl })).ID;
}

async function putOnLease(admin: EtcdClient, key: string, lease: string): Promise<void> {
  await admin.call('/v3/kv/put', { key: b64(key), value: b64('{}'), lease });
}

async function v2Put(endpoint: string, key: string, value: string): Promise<void> {
  const response = await request(`${endpoint}/v2/keys${key}`, {
    method: 'PUT',
    body: `value=${encodeURIComponent(value)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  await response.body.text();
  assert.ok(response.statusCode < 300, `v2 PUT ${key}: HTTP ${response.statusCode}`);
}

/**
 * A watch held through etcd's JSON gateway, the way each running Patroni
 * 3.0.2 member keeps one on its cluster's prefix: the stand-in for the
 * members whose keys this test writes.
 */
async function holdWatch(endpoint: string, prefix: string): Promise<() => void> {
  const controller = new AbortController();
  const response = await request(`${endpoint}/v3/watch`, {
    method: 'POST',
    body: JSON.stringify({ create_request: { key: b64(prefix), range_end: b64(prefixRangeEnd(prefix)) } }),
    signal: controller.signal,
  });
  response.body.on('data', () => undefined);
  response.body.on('error', () => undefined);
  return () => controller.abort();
}

async function waitForWatchers(admin: EtcdClient, endpoint: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await readMemberClientMetrics(admin, endpoint)).watchers !== count) {
    if (Date.now() > deadline) throw new Error(`etcd never counted ${count} watchers`);
    await sleep(100);
  }
}

describe('the census of a real etcd 3.4 serving v2 (--enable-v2)', () => {
  let etcd: TestEtcd;
  let admin: EtcdClient;
  let endpoint: string;
  let watcher: ChildProcess | undefined;
  const closeWatches: Array<() => void> = [];
  const leases: Record<string, string> = {};
  let census: EtcdCensus;
  let unregisterWatcher: (() => void) | undefined;

  before(async () => {
    etcd = await startTestEtcd({ members: 1, extraArgs: ['--enable-v2'] });
    endpoint = etcd.endpoints[0]!;
    admin = new EtcdClient({ endpoints: etcd.endpoints });

    // The fleet's cluster alpha: two members on their leases, alpha-1 the leader.
    leases['alpha-1'] = await grantLease(admin, 60);
    leases['alpha-2'] = await grantLease(admin, 60);
    for (const key of ['/service/alpha/config', '/service/alpha/initialize']) await admin.put(key, '{}');
    await putOnLease(admin, '/service/alpha/members/alpha-1', leases['alpha-1']!);
    await putOnLease(admin, '/service/alpha/leader', leases['alpha-1']!);
    await putOnLease(admin, '/service/alpha/members/alpha-2', leases['alpha-2']!);
    // Debian's namespace, which the settings do not name: one live member.
    leases['n1'] = await grantLease(admin, 60);
    for (const key of ['/postgresql-common/15-main/config', '/postgresql-common/15-main/initialize'])
      await admin.put(key, '{}');
    await putOnLease(admin, '/postgresql-common/15-main/members/n1', leases['n1']!);
    await putOnLease(admin, '/postgresql-common/15-main/leader', leases['n1']!);
    // An odd prefix two levels deep, its member key left over (no lease).
    await admin.put('/odd/ns/zeta/initialize', '1');
    await admin.put('/odd/ns/zeta/members/z1', '{}');
    // Other keys, written before the census, and a lock on a lease of an unknown client.
    for (let index = 0; index < 50; index += 1) await admin.put(`/app/jobs/${index}`, 'x');
    await admin.put('/lonely/config', 'not a Patroni cluster');
    leases['lock'] = await grantLease(admin, 120);
    await putOnLease(admin, '/locks/app/one', leases['lock']!);
    leases['keyless'] = await grantLease(admin, 120);

    // One watch per live Patroni member (3), as Patroni keeps, and an etcdctl watching a prefix of its own.
    for (const prefix of ['/service/alpha/', '/service/alpha/', '/postgresql-common/15-main/'])
      closeWatches.push(await holdWatch(endpoint, prefix));
    watcher = spawn('/usr/bin/etcdctl', ['--endpoints', endpoint, 'watch', '--prefix', '/x/'], {
      env: { ...childEnvironment(), ETCDCTL_API: '3' },
      stdio: 'ignore',
    });
    const child = watcher;
    unregisterWatcher = registerTeardown(async () => {
      child.kill('SIGTERM');
    });
    await waitForWatchers(admin, endpoint, 4);

    // v2: a plain key only, so far (no Patroni cluster on the etcd: section).
    await v2Put(endpoint, '/other/v2key', 'x');

    // The census, while a writer puts a key and a v2 client polls, as vip-manager 1.0.2 does.
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const response = await request(`${endpoint}/v2/keys/other/v2key`);
        await response.body.text();
        await sleep(200);
      }
    })();
    const writer = (async () => {
      await sleep(300);
      await admin.put('/writer/now/k1', 'x');
    })();
    try {
      census = await takeEtcdCensus(admin, { observeMs: 1_500, bucketPrefixes: ['/service/alpha/', '/pgfleet/'] });
    } finally {
      polling = false;
      await Promise.all([poller, writer]);
    }
  });

  after(async () => {
    for (const close of closeWatches) close();
    if (watcher && watcher.exitCode === null) {
      const exited = new Promise((resolve) => watcher!.once('exit', resolve));
      watcher.kill('SIGTERM');
      await exited;
    }
    unregisterWatcher?.();
    await admin?.close();
    await etcd?.stop();
  });

  it('finds every Patroni cluster whatever its prefix, with its members and their leases, and a lone config key as no cluster', () => {
    assert.deepEqual(
      census.keyspace.patroniClusters.map((cluster) => cluster.base),
      ['/odd/ns/zeta/', '/postgresql-common/15-main/', '/service/alpha/'],
    );
    const alpha = census.keyspace.patroniClusters.find((cluster) => cluster.base === '/service/alpha/')!;
    assert.deepEqual(
      alpha.members.map((member) => [member.name, member.lease]),
      [
        ['alpha-1', leases['alpha-1']],
        ['alpha-2', leases['alpha-2']],
      ],
    );
    assert.deepEqual(alpha.leaderLeases, [leases['alpha-1']]);
    assert.deepEqual(alpha.keyKinds, ['members', 'leader', 'config', 'initialize']);
    assert.equal(
      census.keyspace.patroniClusters.find((cluster) => cluster.base === '/odd/ns/zeta/')!.members[0]!.lease,
      undefined,
    );
    assert.ok(census.keyspace.prefixes.some((prefix) => prefix.prefix === '/lonely/'));
  });

  it('counts the other prefixes, and sees the write made during the census', () => {
    const prefix = (name: string) => census.keyspace.prefixes.find((candidate) => candidate.prefix === name);
    assert.deepEqual(
      [prefix('/app/jobs/')?.keyCount, prefix('/app/jobs/')?.writtenKeys, prefix('/app/jobs/')?.writesObserved],
      [50, 0, 0],
    );
    assert.equal(prefix('/writer/now/')?.writesObserved, 1);
    assert.deepEqual(
      [census.writeWatch.watched, census.writeWatch.events, census.writeWatch.error],
      [true, 1, undefined],
    );
    assert.deepEqual([prefix('/locks/app/')?.leasedKeys, prefix('/locks/app/')?.leases], [1, [leases['lock']]]);
    assert.ok(census.endRevision > census.startRevision);
    // The written key is counted or not depending on whether the range passed it before or after the write.
    assert.equal(census.keyspace.keyCount - (prefix('/writer/now/')?.keyCount ?? 0), 63);
  });

  it('lists every lease with its keys, a member lease covering its member key and, for the leader, the leader key', () => {
    const byId = new Map(census.leases.leases.map((lease) => [lease.id, lease]));
    assert.deepEqual(byId.get(leases['alpha-1']!)?.keys, ['/service/alpha/leader', '/service/alpha/members/alpha-1']);
    assert.deepEqual(byId.get(leases['alpha-2']!)?.keys, ['/service/alpha/members/alpha-2']);
    assert.deepEqual(byId.get(leases['lock']!)?.keys, ['/locks/app/one']);
    assert.equal(byId.get(leases['keyless']!)?.keyCount, 0);
    assert.equal(census.leases.leases.length, 5);
  });

  it("reads each member's watchers and the v2 reads made while it watched, and finds the etcdctl process with its prefix and no credentials", () => {
    // 3 stand-ins for Patroni members, etcdctl, and the census's own watch of the writes.
    assert.deepEqual(
      [census.members[0]?.after?.watchers, census.members[0]?.after?.watchStreams, census.writeWatch.ownWatchers],
      [5, 5, 1],
    );
    assert.ok(
      (census.members[0]!.after!.v2Reads ?? 0) > (census.members[0]!.before!.v2Reads ?? 0),
      'the poller was counted',
    );
    const etcdctl = census.processes.clients.find((client) => client.pid === watcher!.pid);
    assert.ok(etcdctl, 'the etcdctl watch is found in /proc');
    assert.deepEqual(
      [etcdctl.program, etcdctl.api, etcdctl.command, etcdctl.credentialsSet],
      ['etcdctl', 'v3', 'watch', false],
    );
    assert.deepEqual(etcdctl.keys, [{ key: '/x/', prefix: true, use: 'watch' }]);
    assert.deepEqual(etcdctl.endpoints, [endpoint]);
  });

  it('serves v2: its keys are listed, v2 auth is off', () => {
    assert.deepEqual([census.v2.served, census.v2.readable, census.v2.authEnabled], [true, true, false]);
    assert.deepEqual(
      census.v2.keyspace?.prefixes.map((prefix) => [prefix.prefix, prefix.keyCount]),
      [['/other/', 1]],
    );
  });

  it('names, against what the fleet knows, the outside clusters, the unknown writer, lease, watcher and process, and the v2 reader', () => {
    const account = accountForClients(census, KNOWN);
    assert.deepEqual(
      account.outsideClusters.map((subject) => subject.id),
      ['outside-cluster:/odd/ns/zeta/', 'outside-cluster:/postgresql-common/15-main/'],
    );
    assert.deepEqual(
      account.unknownWriters.map((subject) => subject.id),
      ['unknown-writer:/writer/now/'],
    );
    const processId = `unknown-process:${census.host}:etcdctl:/x/`;
    assert.deepEqual(
      account.unknownClients.map((subject) => subject.id),
      ['unknown-lease:/locks/app/', 'unexplained-watchers', processId],
    );
    const watchers = account.unknownClients.find((subject) => subject.kind === 'unexplained-watchers')!;
    assert.deepEqual(
      [watchers.details['expected'], watchers.details['excess'], watchers.details['candidates']],
      [3, 1, [processId]],
    );
    assert.deepEqual(
      account.v2Readers.map((subject) => subject.id),
      ['v2-readers'],
    );
    assert.deepEqual(
      account.keylessLeases.map((lease) => lease.id),
      [leases['keyless']],
    );
    assert.deepEqual(account.incomplete, []);
  });

  it('names a Patroni cluster on the v2 API as not protected by v3 auth, with the v2 keyspace open', async () => {
    await v2Put(endpoint, '/service/legacy/members/l1', '{}');
    await v2Put(endpoint, '/service/legacy/leader', 'l1');
    const second = await takeEtcdCensus(admin, { observeMs: 0, writtenSince: census.endRevision });
    const account = accountForClients(second, KNOWN);
    assert.deepEqual(
      account.v2Clusters.map((subject) => subject.id),
      ['v2-cluster:/service/legacy/'],
    );
    assert.deepEqual(
      account.v2Exposure.map((subject) => subject.id),
      ['v2-open-keyspace'],
    );
    // Since the first census, nothing was written in v3.
    assert.deepEqual(account.unknownWriters, []);
  });
});

describe('the census of a real etcd 3.4 without --enable-v2, auth off then on', () => {
  let etcd: TestEtcd;
  before(async () => {
    etcd = await startTestEtcd({ members: 1 });
  });
  after(async () => {
    await etcd?.stop();
  });

  it('says the v2 API is not served and counts no v2 reads of its own', async () => {
    const admin = new EtcdClient({ endpoints: etcd.endpoints });
    try {
      const census = await takeEtcdCensus(admin, { observeMs: 200, processes: false });
      assert.deepEqual([census.v2.served, census.v2.keyspace], [false, undefined]);
      assert.equal(census.members[0]?.after?.v2Reads, census.members[0]?.before?.v2Reads);
      assert.deepEqual(accountForClients(census, KNOWN).subjects, []);
    } finally {
      await admin.close();
    }
  });

  it('is taken as root once auth is on: its ranges and its watch of the writes authenticate, the counters need no token', async () => {
    const password = new Secret('census-root-pw');
    const admin = new EtcdClient({ endpoints: etcd.endpoints, credentials: { username: 'root', password } });
    try {
      await admin.put('/app/before-auth', 'x');
      const auth = new EtcdAuthApi(admin);
      await auth.addUser('root', password);
      await auth.grantRole('root', 'root');
      await auth.enable();
      const writer = (async () => {
        await sleep(200);
        await admin.put('/app/after-auth', 'y');
      })();
      const census = await takeEtcdCensus(admin, { observeMs: 1_000, processes: false });
      await writer;
      assert.deepEqual([census.writeWatch.error, census.writeWatch.events], [undefined, 1]);
      assert.equal(census.keyspace.prefixes.find((prefix) => prefix.prefix === '/app/')?.writesObserved, 1);
      assert.ok(census.keyspace.keyCount >= 1);
      assert.equal(census.members[0]?.error, undefined);
      await auth.disable();
    } finally {
      await admin.close();
    }
  });
});
