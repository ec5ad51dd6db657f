import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CensusSubject } from '../../../src/core/census/census-subject.js';
import type { CensusFacts, LiveFacts } from '../../../src/core/audit/fleet-snapshot.js';
import { clientRoleWiderThanDeclaredRule } from '../../../src/core/audit/rules/client-role-wider-than-declared.js';
import { clusterOutsideTenancyRule } from '../../../src/core/audit/rules/cluster-outside-tenancy.js';
import { unknownClientRule } from '../../../src/core/audit/rules/unknown-client.js';
import { unknownWriterRule } from '../../../src/core/audit/rules/unknown-writer.js';
import { v2KeysOpenRule } from '../../../src/core/audit/rules/v2-keys-open.js';
import { check, live, role, snapshot } from './snapshot-builder.js';

function subject(kind: CensusSubject['kind'], detail: string, details: Record<string, unknown> = {}): CensusSubject {
  return { id: detail ? `${kind}:${detail}` : kind, kind, summary: `${kind} ${detail}`, fix: 'fix it', details };
}

function census(overrides: Partial<CensusFacts> = {}): CensusFacts {
  return {
    subjects: [],
    acknowledged: [],
    v2: { served: false, authEnabled: undefined, keyCount: 0 },
    declaredClients: [],
    incomplete: [],
    ...overrides,
  };
}

function withCensus(facts: CensusFacts, etcd: Parameters<typeof live>[0] = {}): LiveFacts {
  return { ...live(etcd), census: facts };
}

describe('dcs.cluster-outside-tenancy', () => {
  it('fires (high) for a Patroni cluster the census found outside the configured namespaces, critical once auth is on', () => {
    const facts = census({
      subjects: [subject('outside-cluster', '/postgresql-common/15-main/', { base: '/postgresql-common/15-main/' })],
    });
    const off = check(clusterOutsideTenancyRule, snapshot({ live: withCensus(facts, { authEnabled: false }) }));
    assert.deepEqual(
      off.map((finding) => [finding.object.name, finding.severity]),
      [['/postgresql-common/15-main/', 'high']],
    );
    assert.match(off[0]!.evidence, /\[outside-cluster:\/postgresql-common\/15-main\/\]/);
    assert.equal(
      check(clusterOutsideTenancyRule, snapshot({ live: withCensus(facts, { authEnabled: true }) }))[0]!.severity,
      'critical',
    );
  });
  it('stays quiet without a census, and when every cluster is inside the namespaces', () => {
    assert.deepEqual(check(clusterOutsideTenancyRule, snapshot({ live: live() })), []);
    assert.deepEqual(check(clusterOutsideTenancyRule, snapshot({ live: withCensus(census()) })), []);
  });
});

describe('dcs.v2-keys-open', () => {
  it('fires for each Patroni cluster in the v2 keyspace while v2 auth is off, and once for other v2 keys', () => {
    const v2 = { served: true, authEnabled: false, keyCount: 7 };
    const clusters = check(
      v2KeysOpenRule,
      snapshot({
        live: withCensus(census({ v2, subjects: [subject('v2-cluster', '/service/old/', { base: '/service/old/' })] })),
      }),
    );
    assert.deepEqual(
      clusters.map((finding) => [finding.object.name, finding.severity]),
      [['/service/old/', 'high']],
    );
    assert.match(clusters[0]!.evidence, /v2 auth is off/);
    const plain = check(v2KeysOpenRule, snapshot({ live: withCensus(census({ v2 })) }));
    assert.deepEqual(
      plain.map((finding) => finding.severity),
      ['warning'],
    );
  });
  it('stays quiet when v2 is not served, when v2 auth is on, or when it holds no key', () => {
    for (const v2 of [
      { served: false, authEnabled: undefined, keyCount: 0 },
      { served: true, authEnabled: true, keyCount: 3 },
      { served: true, authEnabled: false, keyCount: 0 },
    ])
      assert.deepEqual(check(v2KeysOpenRule, snapshot({ live: withCensus(census({ v2 })) })), []);
  });
});

describe('dcs.unknown-writer', () => {
  it('fires (warning) for a prefix written by nobody declared, and only as info once acknowledged with a reason', () => {
    const writer = subject('unknown-writer', '/app/', { prefix: '/app/' });
    const open = check(unknownWriterRule, snapshot({ live: withCensus(census({ subjects: [writer] })) }));
    assert.deepEqual(
      open.map((finding) => [finding.object.name, finding.severity]),
      [['/app/', 'warning']],
    );
    const acknowledged = check(
      unknownWriterRule,
      snapshot({
        live: withCensus(
          census({
            subjects: [writer],
            acknowledged: [{ subject: writer.id, reason: 'the cache', origin: 'tenants.yaml:9:5' }],
          }),
        ),
      }),
    );
    assert.equal(acknowledged[0]!.severity, 'info');
    assert.match(acknowledged[0]!.evidence, /acknowledged in the tenants file \(tenants\.yaml:9:5\): "the cache"/);
  });
  it('stays quiet when every write is accounted for', () => {
    assert.deepEqual(check(unknownWriterRule, snapshot({ live: withCensus(census()) })), []);
  });
});

describe('dcs.unknown-client', () => {
  it('fires for unexplained leases, watchers, processes and v2 reads', () => {
    const findings = check(
      unknownClientRule,
      snapshot({
        live: withCensus(
          census({
            subjects: [
              subject('unknown-lease', '/locks/'),
              subject('unexplained-watchers', ''),
              subject('unknown-process', 'db1:vip-manager:/service/alpha/leader'),
              subject('v2-readers', ''),
            ],
          }),
        ),
      }),
    );
    assert.deepEqual(
      findings.map((finding) => [finding.object.kind, finding.object.name, finding.severity]),
      [
        ['etcd', 'unknown-lease:/locks/', 'warning'],
        ['etcd', 'unexplained-watchers', 'warning'],
        ['process', 'unknown-process:db1:vip-manager:/service/alpha/leader', 'warning'],
        ['etcd', 'v2-readers', 'warning'],
      ],
    );
  });
  it('stays quiet about what belongs to other rules (outside clusters, writers) and without subjects', () => {
    const facts = census({ subjects: [subject('outside-cluster', '/x/y/'), subject('unknown-writer', '/app/')] });
    assert.deepEqual(check(unknownClientRule, snapshot({ live: withCensus(facts) })), []);
  });
});

describe('dcs.client-role-wider-than-declared', () => {
  const vip = {
    name: 'vip-alpha',
    kind: 'vip-manager' as const,
    user: 'vip-alpha',
    role: 'vip-alpha',
    grant: { key: '/service/alpha/leader', prefix: false, permType: 'READ' as const },
    origin: 'tenants.yaml:4:5',
  };
  const single = (permType: 'READ' | 'READWRITE') => ({
    name: 'vip-alpha',
    permissions: [{ key: Buffer.from('/service/alpha/leader'), rangeEnd: Buffer.alloc(0), permType }],
  });
  it('fires when the role may write where the client only reads, or reads a whole prefix for one key', () => {
    const write = check(
      clientRoleWiderThanDeclaredRule,
      snapshot({
        live: withCensus(census({ declaredClients: [vip] }), {
          roles: [single('READWRITE')],
          users: [{ name: 'vip-alpha', roles: ['vip-alpha'] }],
        }),
      }),
    );
    assert.deepEqual(
      write.map((finding) => [finding.object.name, finding.severity]),
      [['vip-alpha', 'high']],
    );
    assert.match(write[0]!.evidence, /also holds READWRITE on \/service\/alpha\/leader/);
    const prefix = check(
      clientRoleWiderThanDeclaredRule,
      snapshot({
        live: withCensus(census({ declaredClients: [vip] }), {
          roles: [role('vip-alpha', '/service/alpha/', 'READ')],
          users: [{ name: 'vip-alpha', roles: ['vip-alpha', 'patroni-alpha'] }],
        }),
      }),
    );
    assert.match(prefix[0]!.evidence, /READ on \[\/service\/alpha\/, \/service\/alpha0\), role patroni-alpha/);
  });
  it('stays quiet when the role holds exactly the declared grant', () => {
    assert.deepEqual(
      check(
        clientRoleWiderThanDeclaredRule,
        snapshot({
          live: withCensus(census({ declaredClients: [vip] }), {
            roles: [single('READ')],
            users: [{ name: 'vip-alpha', roles: ['vip-alpha'] }],
          }),
        }),
      ),
      [],
    );
  });
});
