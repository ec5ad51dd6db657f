import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { formatRange } from '../../../src/core/etcd/key-range.js';
import {
  clientNameConflicts,
  declaredClient,
  describeGrant,
  grantRange,
  judgeClientApi,
} from '../../../src/core/tenancy/declared-clients.js';
import { parseTenantsDocument } from '../../../src/core/tenancy/tenants-file.js';

const FILE = '/etc/pgfleet/tenants.yaml';
const fails = (text: string, message: RegExp): void => {
  assert.throws(
    () => parseTenantsDocument(text, FILE),
    (error: unknown) => {
      assert.ok(error instanceof PgfleetError);
      assert.match(`${error.message}\n${error.hint ?? ''}`, message);
      return true;
    },
  );
};

describe('declared clients in the tenants file', () => {
  const text = [
    'tenants:',
    '  - scope: alpha',
    'clients:',
    '  - name: vip-alpha',
    '    kind: vip-manager',
    '    scope: alpha',
    '    version: 2.8.0',
    '  - name: prometheus',
    '    kind: monitoring',
    '    scope: beta',
    '    namespace: /other/',
    '  - name: admin1-patronictl',
    '    kind: patronictl',
    '    scope: alpha',
    '    user: admin1',
    '  - name: confd-app',
    '    kind: confd',
    '    prefix: /app/config/',
    'acknowledged:',
    '  - subject: "unknown-writer:/app/"',
    '    reason: the cache, it falls back to its database',
    '',
  ].join('\n');

  it('resolves each kind to exactly what it needs: one key read-only, a prefix read-only, or its cluster readwrite', () => {
    const document = parseTenantsDocument(text, FILE);
    const clients = document.clients.map((entry) => declaredClient(entry, '/service/'));
    assert.deepEqual(
      clients.map((client) => [client.name, client.user, client.role, describeGrant(client.grant), client.origin]),
      [
        ['vip-alpha', 'vip-alpha', 'vip-alpha', 'read of the key /service/alpha/leader', `${FILE}:4:5`],
        ['prometheus', 'prometheus', 'prometheus', 'read of /other/beta/ and below', `${FILE}:8:5`],
        ['admin1-patronictl', 'admin1', 'admin1-patronictl', 'readwrite on /service/alpha/ and below', `${FILE}:12:5`],
        ['confd-app', 'confd-app', 'confd-app', 'read of /app/config/ and below', `${FILE}:16:5`],
      ],
    );
    // A single key is granted as etcd stores one: an empty range end.
    assert.equal(formatRange(grantRange(clients[0]!.grant)), '/service/alpha/leader');
    assert.equal(formatRange(grantRange(clients[3]!.grant)), '[/app/config/, /app/config0)');
    // vip-manager 2.8 speaks v3 and watches its trigger key; monitoring and patronictl speak v3 and keep no watch.
    assert.deepEqual(
      clients.map((client) => [client.api, client.watchers, client.writes]),
      [
        ['v3', 1, false],
        ['v3', 0, false],
        ['v3', 0, true],
        [undefined, 0, false],
      ],
    );
    assert.deepEqual(document.acknowledged, [
      { subject: 'unknown-writer:/app/', reason: 'the cache, it falls back to its database', origin: `${FILE}:20:5` },
    ]);
  });

  it('refuses, located by file and line, a vip-manager without a scope, confd without a prefix, and an unknown key', () => {
    fails(
      'clients:\n  - name: v\n    kind: vip-manager\n',
      /tenants\.yaml:2:5: clients\[0\]\.scope: a vip-manager serves one cluster/,
    );
    fails('clients:\n  - name: c\n    kind: confd\n', /clients\[0\]\.prefix: confd reads a prefix: it is required/);
    fails(
      'clients:\n  - name: m\n    kind: monitoring\n    scopes: alpha\n',
      /tenants\.yaml:4:5: unknown key "clients\[0\]\.scopes"[\s\S]*did you mean "scope"/,
    );
    fails('clients:\n  - name: m\n    kind: dashboard\n    scope: a\n', /clients\[0\]\.kind/);
  });

  it('refuses two clients sharing a user, a client named root, an acknowledgement without a reason or of no known subject', () => {
    fails(
      'clients:\n  - name: a\n    kind: monitoring\n    scope: xray\n  - name: b\n    kind: monitoring\n    scope: yankee\n    user: a\n',
      /clients\[1\]\.user: user "a" is already used by clients\[0\] \(line 2\)/,
    );
    fails('clients:\n  - name: root\n    kind: monitoring\n    scope: xray\n', /"root" is etcd's administrator/);
    fails('acknowledged:\n  - subject: "unknown-writer:/app/"\n    reason: "  "\n', /a reason is required/);
    fails(
      'acknowledged:\n  - subject: "everything"\n    reason: yes really\n',
      /acknowledged\[0\]\.subject: "everything" is not the id of a census subject/,
    );
  });

  it("refuses a client taking a tenant's user or pgfleet's admin identity", () => {
    const [client] = parseTenantsDocument(
      'clients:\n  - name: patroni-alpha\n    kind: monitoring\n    scope: alpha\n',
      FILE,
    ).clients.map((entry) => declaredClient(entry, '/service/'));
    const problems = clientNameConflicts(
      [client!],
      [{ user: 'patroni-alpha', role: 'patroni-alpha', namespace: '/service/', scope: 'alpha' }],
      'root',
    );
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ['CLIENT_NAME_SHARED', 'CLIENT_NAME_SHARED'],
    );
    assert.match(problems[0]!.message, /would hold that cluster's readwrite grant/);
  });
});

describe('judging a declared client with clientApiSupport', () => {
  const vip = (version?: string) =>
    declaredClient({ name: 'vip-alpha', kind: 'vip-manager', scope: 'alpha', version, origin: 'f:1:1' }, '/service/');
  it('blocks a v2-only vip-manager (Debian 1.0.2) on a v3 fleet, declared or seen running', () => {
    assert.equal(judgeClientApi(vip('1.0.2'), 'v3').verdict, 'v2-only-on-v3');
    const running = judgeClientApi(vip(), 'v3', { version: '1.0.2-6+b2', api: 'v2' });
    assert.deepEqual([running.verdict, running.versionSource, running.api], ['v2-only-on-v3', 'running', 'v2']);
    assert.match(running.note, /speaks only etcd's v2 API/);
  });
  it('lets a v3 vip-manager through, and says so when nothing tells its API', () => {
    assert.equal(judgeClientApi(vip('2.8.0'), 'v3').verdict, 'ok');
    assert.equal(judgeClientApi(vip(), 'v3').verdict, 'unknown');
    assert.equal(judgeClientApi(vip('1.0.2'), 'v2').verdict, 'ok');
  });
});
