import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accountForClients, type KnownClients } from '../../../src/core/census/client-accounting.js';
import { compareAfterEnable } from '../../../src/core/census/census-after-enable.js';
import { type DeclaredClientFacts, judgeCensus } from '../../../src/core/migration/census-gates.js';
import { enforcedLine } from '../../../src/core/migration/enforce-proof.js';
import { clientReadinessRecord } from '../../../src/core/tenancy/client-readiness.js';
import { type DeclaredClient, declaredClient } from '../../../src/core/tenancy/declared-clients.js';
import { ALPHA_KEYS, ALPHA_LEASES, censusOf, clientProcess, lease } from '../census/census-fixture.js';

const vip = (version?: string): DeclaredClient =>
  declaredClient(
    { name: 'vip-alpha', kind: 'vip-manager', scope: 'alpha', version, origin: 't.yaml:4:5' },
    '/service/',
  );

const known = (declaredClients: DeclaredClient[] = []): KnownClients => ({
  namespaces: ['/service/'],
  patroniMembers: [
    { namespace: '/service/', scope: 'alpha', name: 'alpha-1' },
    { namespace: '/service/', scope: 'alpha', name: 'alpha-2' },
  ],
  tenants: [{ prefix: '/service/alpha/' }],
  declaredClients,
  pgfleetPrefix: '/pgfleet/',
});

const facts = (client: DeclaredClient, overrides: Partial<DeclaredClientFacts> = {}): DeclaredClientFacts => ({
  client,
  userExists: true,
  userHasRole: true,
  otherRoles: [],
  roleExists: true,
  roleGrantExact: true,
  otherGrants: [],
  passwordHere: true,
  passwordFile: '/secrets/vip-alpha.password',
  readiness: clientReadinessRecord(client, { host: 'db1', by: 'ops', at: new Date(0) }),
  ...overrides,
});

/** The fleet alpha, an outside cluster with a live member, a writer under /app/ and an etcdctl watching /x/. */
const busy = censusOf({
  keys: [
    ...ALPHA_KEYS,
    ['/postgresql-common/15-main/members/n1', 130, '2001'],
    ['/postgresql-common/15-main/leader', 130, '2001'],
    ['/app/k1', 140],
  ],
  writes: ['/app/k2'],
  leases: [
    ...ALPHA_LEASES,
    lease('2001', ['/postgresql-common/15-main/leader', '/postgresql-common/15-main/members/n1']),
  ],
  watchers: [4],
  processes: [
    clientProcess({ program: 'etcdctl', command: 'watch', keys: [{ key: '/x/', prefix: true, use: 'watch' }] }),
  ],
});

describe('the census at the gates', () => {
  it('blocks on every subject the fleet does not account for, each named with its id and fix', () => {
    const report = judgeCensus({
      account: accountForClients(busy, known()),
      census: busy,
      acknowledged: [],
      clients: [],
    });
    assert.deepEqual(
      report.failures.map((failure) => [failure.gate, failure.subject]),
      [
        ['census', 'outside-cluster:/postgresql-common/15-main/'],
        ['census', 'unknown-writer:/app/'],
        ['census', 'unexplained-watchers'],
        ['census', 'unknown-process:db1:etcdctl:/x/'],
      ],
    );
    // An outside cluster with live members is fixed, never acknowledged; the others say how to acknowledge them.
    assert.doesNotMatch(report.failures[0]!.hint, /acknowledge/);
    assert.match(report.failures[0]!.hint, /add \/postgresql-common\/ to tenancy\.namespaces/);
    assert.match(
      report.failures[1]!.hint,
      /the tenants file takes: acknowledged: \[\{ subject: "unknown-writer:\/app\/", reason: "\.\.\." \}\]/,
    );
  });

  it('lets each acknowledged subject through by its id, names it, and refuses to acknowledge a live outside cluster', () => {
    const acknowledged = [
      'outside-cluster:/postgresql-common/15-main/',
      'unknown-writer:/app/',
      'unexplained-watchers',
    ].map((subject, index) => ({ subject, reason: 'known', origin: `t.yaml:${10 + index}:5` }));
    const report = judgeCensus({
      account: accountForClients(busy, known()),
      census: busy,
      acknowledged: [...acknowledged, { subject: 'unknown-lease:/gone/', reason: 'old', origin: 't.yaml:20:5' }],
      clients: [],
    });
    assert.deepEqual(
      report.failures.map((failure) => failure.subject),
      ['outside-cluster:/postgresql-common/15-main/', 'unknown-process:db1:etcdctl:/x/'],
    );
    assert.match(report.failures[0]!.message, /acknowledged at t\.yaml:10:5, but its members are alive/);
    assert.deepEqual(
      report.acknowledged.map((subject) => subject.id),
      ['unknown-writer:/app/', 'unexplained-watchers'],
    );
    assert.ok(
      report.warnings.some((warning) => /"unknown-lease:\/gone\/" .* matches nothing the census found/.test(warning)),
    );
  });

  it('names v2 clusters as left open by v3 auth without blocking', () => {
    const v2 = censusOf({
      keys: ALPHA_KEYS,
      leases: ALPHA_LEASES,
      watchers: [2],
      v2Keys: [
        ['/service/old/members/o1', 3],
        ['/service/old/leader', 4],
      ],
    });
    const report = judgeCensus({ account: accountForClients(v2, known()), census: v2, acknowledged: [], clients: [] });
    assert.deepEqual(report.failures, []);
    assert.ok(
      report.warnings.some((warning) =>
        /\/service\/old\/.*not protected by v3 auth, still open after enforce/.test(warning),
      ),
    );
  });

  it('requires each declared client set up, its password here, acknowledged ready, and speaking the API its keys need', () => {
    const quiet = censusOf({ keys: ALPHA_KEYS, leases: ALPHA_LEASES, watchers: [2] });
    const judge = (client: DeclaredClient, overrides: Partial<DeclaredClientFacts> = {}) =>
      judgeCensus({
        account: accountForClients(quiet, known([client])),
        census: quiet,
        acknowledged: [],
        clients: [facts(client, overrides)],
      });
    assert.deepEqual(judge(vip('2.8.0')).failures, []);
    assert.equal(judge(vip('2.8.0')).clients[0]!.status, 'ready');
    assert.match(
      judge(vip('2.8.0'), { readiness: undefined }).failures[0]!.message,
      /not acknowledged ready.*vip-manager drops its VIP/,
    );
    assert.match(
      judge(vip('2.8.0'), { readiness: undefined }).failures[0]!.hint,
      /pgfleet etcd clients ready vip-alpha/,
    );
    assert.match(
      judge(vip('2.8.0'), { userExists: false }).failures[0]!.message,
      /not as declared yet \(.*create user vip-alpha/,
    );
    assert.match(
      judge(vip('2.8.0'), { passwordHere: false }).failures[0]!.message,
      /password file .* is not on this host/,
    );
    assert.match(judge(vip('1.0.2')).failures[0]!.message, /speaks only etcd's v2 API/);
  });

  it('finds the running process of a declared client, and refuses one that runs without credentials', () => {
    const running = censusOf({
      keys: ALPHA_KEYS,
      leases: ALPHA_LEASES,
      watchers: [2],
      processes: [
        clientProcess({
          pid: 4242,
          program: 'vip-manager',
          api: 'v2',
          version: '1.0.2-6+b2',
          keys: [{ key: '/service/alpha/leader', prefix: false, use: 'read' }],
        }),
      ],
    });
    const report = judgeCensus({
      account: accountForClients(running, known([vip()])),
      census: running,
      acknowledged: [],
      clients: [facts(vip())],
    });
    assert.deepEqual(report.clients[0]!.processes, [4242]);
    assert.equal(report.failures.length, 2);
    assert.match(report.failures[0]!.message, /vip-alpha \(vip-manager 1\.0\.2-6\+b2\) speaks only etcd's v2 API/);
    assert.match(report.failures[1]!.message, /its process 4242 on db1 runs without etcd credentials/);
  });
});

describe('the census after enable', () => {
  it('reports a prefix written before enable and not since, and a lease gone with nothing holding its keys again', () => {
    const before = censusOf({
      keys: [...ALPHA_KEYS, ['/app/k1', 140, '3001'], ['/jobs/j', 141]],
      writes: ['/app/k1', '/jobs/j'],
      leases: [...ALPHA_LEASES, lease('3001', ['/app/k1'])],
    });
    const after = censusOf({
      startRevision: 200,
      keys: [...ALPHA_KEYS.map(([key]): [string, number] => [key, 205]), ['/jobs/j', 210]],
      leases: [
        lease('1001', ['/service/alpha/leader', '/service/alpha/members/alpha-1']),
        lease('1003', ['/service/alpha/members/alpha-2']),
      ],
    });
    const report = compareAfterEnable(before, after, { enabledRevision: 200, pgfleetPrefix: '/pgfleet/' });
    assert.deepEqual(
      report.findings.map((finding) => [finding.kind, finding.subject]),
      [
        ['stopped-writer', '/app/'],
        ['expired-lease', '3001'],
      ],
    );
  });
});

describe('the enforced line', () => {
  const base = {
    members: [{ member: '/service/alpha/alpha-1', ok: true }],
    tenants: [{ user: 'patroni-alpha', ok: true, detail: 'ok' }],
    clients: [{ user: 'vip-alpha', ok: true, detail: 'ok' }],
    acknowledged: [],
    afterEnable: { enabledRevision: 1, takenAt: '', durationMs: 1, findings: [], incomplete: [] },
    incomplete: [],
    gatesSkipped: 0,
  };
  it('says "all proven" only when every member, tenant and declared client was', () => {
    assert.equal(
      enforcedLine(base),
      'enforced: etcd auth is on; 1 members and 1 tenants probed, and 1 declared client: all proven with their own credentials',
    );
  });
  it('says what was not proven otherwise: an acknowledged subject, a lost writer, a tenant not probed', () => {
    const line = enforcedLine({
      ...base,
      tenants: [{ user: 'patroni-beta', ok: true, notProbed: true, detail: 'not probed: no credentials' }],
      acknowledged: [{ id: 'unknown-writer:/app/', kind: 'unknown-writer', summary: '', reason: 'r', origin: 'o' }],
    });
    assert.match(
      line,
      /^enforced: etcd auth is on; 1 members and 1 tenants probed, and 1 declared client; NOT everything is proven: /,
    );
    assert.match(line, /tenant patroni-beta \(not probed/);
    assert.match(line, /acknowledged, unprotected: unknown-writer:\/app\//);
    assert.doesNotMatch(line, /all proven/);
  });
});
