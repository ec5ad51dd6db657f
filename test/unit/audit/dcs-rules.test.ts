import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterWithoutTenantRule } from '../../../src/core/audit/rules/cluster-without-tenant.js';
import { etcdAuthOffRule } from '../../../src/core/audit/rules/etcd-auth-off.js';
import { etcdBasicAuthWithClientCertRule } from '../../../src/core/audit/rules/etcd-basic-auth-with-client-cert.js';
import { etcdClientCertNotEnforcedRule } from '../../../src/core/audit/rules/etcd-client-cert-not-enforced.js';
import { etcdPlainHttpRule } from '../../../src/core/audit/rules/etcd-plain-http.js';
import { etcdUserSharedRule } from '../../../src/core/audit/rules/etcd-user-shared.js';
import { etcdVersionBreaksPatroniAuthRule } from '../../../src/core/audit/rules/etcd-version-breaks-patroni-auth.js';
import { jwtTokensWithOldPatroniRule } from '../../../src/core/audit/rules/jwt-tokens-with-old-patroni.js';
import { patroniUsesRootRule } from '../../../src/core/audit/rules/patroni-uses-root.js';
import { roleRangeTooWideRule } from '../../../src/core/audit/rules/role-range-too-wide.js';
import type { ConfigTree } from '../../../src/core/patroni-config/deep-merge.js';
import { check, etcdFacts, live, role, securedDocument, settings, snapshot, yamlFile } from './snapshot-builder.js';

const dcs = (document: ConfigTree) => document.etcd3 as ConfigTree;

describe('dcs.etcd-auth-off', () => {
  it('fires when etcd answers that authentication is not enabled', () => {
    const findings = check(etcdAuthOffRule, snapshot({ live: live({ authEnabled: false }) }));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'critical');
    assert.match(findings[0]!.evidence, /3\.4\.23 answered "authentication is not enabled"/);
    assert.match(findings[0]!.fix, /pgfleet etcd auth migrate/);
  });
  it('stays quiet with auth on, and without --live', () => {
    assert.deepEqual(check(etcdAuthOffRule, snapshot({ live: live() })), []);
    assert.deepEqual(check(etcdAuthOffRule, snapshot()), []);
  });
});

describe('dcs.etcd-plain-http', () => {
  it('fires on a Patroni YAML reaching a network etcd over http with a password (high), and on http settings on loopback (info only: the traffic stays on the host)', () => {
    const file = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => Object.assign(dcs(d), { protocol: 'http', hosts: ['10.0.0.5:2379'] })),
    );
    const findings = check(etcdPlainHttpRule, snapshot({ settings: settings(), patroniFiles: [file] }));
    assert.deepEqual(findings.map((f) => [f.object.kind, f.severity]).sort(), [
      ['file', 'high'],
      ['settings', 'info'],
    ]);
    assert.match(
      findings.find((f) => f.object.kind === 'file')!.evidence,
      /10\.0\.0\.5:2379 over http, with the etcd password set/,
    );
  });
  it('stays quiet when settings and YAMLs use https', () => {
    assert.deepEqual(check(etcdPlainHttpRule, snapshot()), []);
  });
});

describe('dcs.etcd-client-cert-not-enforced', () => {
  const withCert = () =>
    yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) =>
        Object.assign(dcs(d), { cert: '/etc/pgfleet/etcd-client.crt', key: '/etc/pgfleet/etcd-client.key' }),
      ),
    );
  it('fires (warning) when etcd accepted a TLS client without a certificate', () => {
    const findings = check(
      etcdClientCertNotEnforcedRule,
      snapshot({
        patroniFiles: [withCert()],
        live: live({ clientCertProbe: { endpoint: 'https://127.0.0.1:2379', outcome: 'accepted' } }),
      }),
    );
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'warning');
    assert.match(findings[0]!.evidence, /accepted a TLS client that presented no certificate/);
  });
  it('fires (warning) when the local etcd runs without --client-cert-auth, and (low) when nothing can tell', () => {
    const local = {
      pid: 42,
      program: 'etcd' as const,
      args: ['/usr/bin/etcd', '--name', 'e1'],
      passwordArguments: [],
      etcdEnvironment: {},
    };
    assert.equal(
      check(etcdClientCertNotEnforcedRule, snapshot({ patroniFiles: [withCert()], processes: [local] }))[0]!.severity,
      'warning',
    );
    const unknown = check(etcdClientCertNotEnforcedRule, snapshot({ patroniFiles: [withCert()] }));
    assert.equal(unknown[0]!.severity, 'low');
    assert.match(unknown[0]!.evidence, /--live/);
  });
  it('stays quiet when etcd refused the certificate-less client, or runs with --client-cert-auth (flag or ETCD_CLIENT_CERT_AUTH), or no certificate is configured', () => {
    assert.deepEqual(
      check(
        etcdClientCertNotEnforcedRule,
        snapshot({
          patroniFiles: [withCert()],
          live: live({ clientCertProbe: { endpoint: 'https://127.0.0.1:2379', outcome: 'refused' } }),
        }),
      ),
      [],
    );
    assert.deepEqual(
      check(
        etcdClientCertNotEnforcedRule,
        snapshot({
          patroniFiles: [withCert()],
          live: live({ serverArgs: ['etcd', '--client-cert-auth', '--trusted-ca-file', '/ca.crt'] }),
        }),
      ),
      [],
    );
    const byEnvironment = {
      pid: 42,
      program: 'etcd' as const,
      args: ['/usr/bin/etcd'],
      passwordArguments: [],
      etcdEnvironment: { ETCD_CLIENT_CERT_AUTH: 'true' },
    };
    assert.deepEqual(
      check(etcdClientCertNotEnforcedRule, snapshot({ patroniFiles: [withCert()], processes: [byEnvironment] })),
      [],
    );
    assert.deepEqual(check(etcdClientCertNotEnforcedRule, snapshot()), []);
  });
});

describe('dcs.basic-auth-with-client-cert', () => {
  it('fires when an etcd section has a username/password and a client certificate', () => {
    const file = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => Object.assign(dcs(d), { cert: '/c.crt', key: '/c.key' })),
      { keyLines: { 'etcd3.cert': 12 } },
    );
    const findings = check(etcdBasicAuthWithClientCertRule, snapshot({ patroniFiles: [file] }));
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.location, { file: '/etc/patroni/a.yaml', key: 'etcd3.cert', line: 12 });
    assert.equal(findings[0]!.object.name, '/service/alpha/alpha-1');
  });
  it('stays quiet with the password alone', () => {
    assert.deepEqual(check(etcdBasicAuthWithClientCertRule, snapshot()), []);
  });
});

describe('dcs.patroni-uses-root', () => {
  it('fires on a YAML authenticating as root, and on a readiness record naming a user that holds the root role', () => {
    const file = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => Object.assign(dcs(d), { username: 'root' })),
    );
    assert.equal(check(patroniUsesRootRule, snapshot({ patroniFiles: [file] })).length, 1);
    const admins = live({
      users: [
        { name: 'root', roles: ['root'] },
        { name: 'ops', roles: ['root'] },
      ],
      memberCredentials: [{ member: '/service/beta/beta-1', username: 'ops' }],
    });
    const findings = check(patroniUsesRootRule, snapshot({ live: admins }));
    assert.deepEqual(
      findings.map((f) => f.object.name),
      ['/service/beta/beta-1'],
    );
    assert.match(findings[0]!.evidence, /\(holds the root role\), per readiness record in etcd/);
  });
  it('stays quiet when every member uses its tenant user', () => {
    assert.deepEqual(
      check(
        patroniUsesRootRule,
        snapshot({
          live: live({ memberCredentials: [{ member: '/service/alpha/alpha-1', username: 'patroni-alpha' }] }),
        }),
      ),
      [],
    );
  });
});

describe('dcs.etcd-user-shared', () => {
  it('fires when members of two clusters use one user, or one user holds the roles of two clusters', () => {
    const beta = yamlFile(
      '/etc/patroni/b.yaml',
      securedDocument('beta', 'beta-1', (d) => Object.assign(dcs(d), { username: 'patroni-alpha' })),
    );
    const findings = check(
      etcdUserSharedRule,
      snapshot({ patroniFiles: [yamlFile('/etc/patroni/a.yaml', securedDocument()), beta] }),
    );
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /members of 2 clusters authenticate as "patroni-alpha"/);
    const etcd = etcdFacts({}, ['alpha', 'beta']);
    etcd.users!.push({ name: 'shared', roles: ['patroni-alpha', 'patroni-beta'] });
    const byRoles = check(etcdUserSharedRule, snapshot({ live: { etcd, restApis: [] } }));
    assert.deepEqual(
      byRoles.map((f) => f.object.name),
      ['shared'],
    );
  });
  it('stays quiet with one user per cluster', () => {
    const files = [
      yamlFile('/etc/patroni/a.yaml', securedDocument()),
      yamlFile('/etc/patroni/b.yaml', securedDocument('beta')),
    ];
    assert.deepEqual(
      check(
        etcdUserSharedRule,
        snapshot({ patroniFiles: files, live: { etcd: etcdFacts({}, ['alpha', 'beta']), restApis: [] } }),
      ),
      [],
    );
  });
});

describe('dcs.role-range-too-wide', () => {
  const withRoles = (...roles: ReturnType<typeof role>[]) => {
    const etcd = etcdFacts({}, ['alpha', 'alpha2', 'beta']);
    etcd.roles = [{ name: 'root', permissions: [] }, ...roles];
    return snapshot({ live: { etcd, restApis: [] } });
  };
  it('fires on a prefix without its trailing slash (it also covers alpha2)', () => {
    const findings = check(
      roleRangeTooWideRule,
      withRoles(role('patroni-alpha', '/service/alpha'), role('patroni-beta', '/service/beta/')),
    );
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'high');
    assert.match(findings[0]!.evidence, /without its trailing slash: it also covers \/service\/alpha2\//);
  });
  it('fires (critical) on the whole keyspace, and on a whole namespace or a range overlapping another tenant', () => {
    const everything = {
      name: 'patroni-alpha',
      permissions: [{ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), permType: 'READWRITE' as const }],
    };
    assert.equal(check(roleRangeTooWideRule, withRoles(everything))[0]!.severity, 'critical');
    assert.match(check(roleRangeTooWideRule, withRoles(role('ops', '/service/')))[0]!.evidence, /holds 3 clusters/);
    const crossing = {
      name: 'odd',
      permissions: [
        { key: Buffer.from('/service/alpha/z'), rangeEnd: Buffer.from('/service/beta/b'), permType: 'READ' as const },
      ],
    };
    const found = check(roleRangeTooWideRule, withRoles(crossing, role('patroni-beta', '/service/beta/')));
    assert.match(found.map((f) => f.evidence).join('\n'), /overlaps role "patroni-beta"/);
  });
  it('stays quiet with one role per cluster on its prefix with the trailing slash', () => {
    assert.deepEqual(
      check(
        roleRangeTooWideRule,
        withRoles(
          role('patroni-alpha', '/service/alpha/'),
          role('patroni-alpha2', '/service/alpha2/'),
          role('patroni-beta', '/service/beta/'),
        ),
      ),
      [],
    );
  });
});

describe('dcs.cluster-without-tenant', () => {
  it('fires (warning) while auth is off for a discovered cluster no user can write, and (high) once auth is on', () => {
    const etcd = etcdFacts({ authEnabled: false }, ['alpha', 'beta']);
    etcd.users = etcd.users!.filter((user) => user.name !== 'patroni-beta');
    const off = check(clusterWithoutTenantRule, snapshot({ live: { etcd, restApis: [] } }));
    assert.deepEqual(
      off.map((f) => [f.object.name, f.severity]),
      [['/service/beta', 'warning']],
    );
    assert.match(off[0]!.evidence, /registered in the DCS.*enabling etcd auth now would cut it off/);
    assert.equal(
      check(clusterWithoutTenantRule, snapshot({ live: { etcd: { ...etcd, authEnabled: true }, restApis: [] } }))[0]!
        .severity,
      'high',
    );
  });
  it('does not count a read-only role or the root user as a tenant', () => {
    const etcd = etcdFacts({}, ['alpha']);
    etcd.roles = [{ name: 'root', permissions: [] }, role('patroni-alpha', '/service/alpha/', 'READ')];
    assert.equal(check(clusterWithoutTenantRule, snapshot({ live: { etcd, restApis: [] } })).length, 1);
  });
  it('stays quiet when every cluster has its tenant, and when users and roles could not be read', () => {
    assert.deepEqual(check(clusterWithoutTenantRule, snapshot({ live: live() })), []);
    assert.deepEqual(
      check(clusterWithoutTenantRule, snapshot({ live: live({ users: undefined, roles: undefined }) })),
      [],
    );
  });
});

describe('dcs.jwt-tokens-with-old-patroni', () => {
  it('fires when etcd issues JWT tokens and a member runs Patroni 3.0.2', () => {
    const findings = check(
      jwtTokensWithOldPatroniRule,
      snapshot({ live: live({ tokenType: 'jwt', tokenTypeSource: 'admin token' }) }),
    );
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /\/service\/alpha\/alpha-1 \(3\.0\.2\)/);
  });
  it('stays quiet with simple tokens, or with JWT and Patroni 3.2+ everywhere', () => {
    assert.deepEqual(check(jwtTokensWithOldPatroniRule, snapshot({ live: live() })), []);
    const etcd = etcdFacts({ tokenType: 'jwt' });
    etcd.clusters[0]!.members[0]!.patroniVersion = '3.2.1';
    assert.deepEqual(check(jwtTokensWithOldPatroniRule, snapshot({ live: { etcd, restApis: [] } })), []);
  });
});

describe('dcs.etcd-version-breaks-patroni-auth', () => {
  it('fires on etcd 3.4.42 / 3.5.x with Patroni 3.0.2 (high with auth on, warning with auth off)', () => {
    const on = check(
      etcdVersionBreaksPatroniAuthRule,
      snapshot({
        live: live({
          versions: [
            { endpoint: 'e1', version: '3.4.42' },
            { endpoint: 'e2', version: '3.4.23' },
          ],
        }),
      }),
    );
    assert.deepEqual(
      on.map((f) => [f.object.name, f.severity]),
      [['e1', 'high']],
    );
    const off = check(
      etcdVersionBreaksPatroniAuthRule,
      snapshot({ live: live({ authEnabled: false, versions: [{ endpoint: 'e1', version: '3.5.17' }] }) }),
    );
    assert.equal(off[0]!.severity, 'warning');
  });
  it('stays quiet on etcd 3.4.23, and on a pair the matrix knows as safe (Patroni 4.0.8 with the 2026 fixes on etcd 3.5.30)', () => {
    assert.deepEqual(check(etcdVersionBreaksPatroniAuthRule, snapshot({ live: live() })), []);
    const etcd = etcdFacts({ versions: [{ endpoint: 'e1', version: '3.5.30' }] });
    etcd.clusters[0]!.members[0]!.patroniVersion = '4.0.8';
    assert.deepEqual(
      check(etcdVersionBreaksPatroniAuthRule, snapshot({ live: { etcd, restApis: [restApiFor()] } })),
      [],
    );
  });
});

function restApiFor() {
  return {
    member: '/service/alpha/alpha-1',
    url: 'https://127.0.0.1:8008',
    safe: { outcome: 'allowed' as const },
    unsafe: { outcome: 'forbidden-403' as const },
    patroniVersion: '4.0.8',
  };
}
