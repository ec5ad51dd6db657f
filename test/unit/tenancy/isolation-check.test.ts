import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthSnapshot } from '../../../src/core/etcd/auth-model.js';
import { type KeyRange, prefixRange, rangesOverlap } from '../../../src/core/etcd/key-range.js';
import { desiredTenants } from '../../../src/core/tenancy/desired-tenants.js';
import { checkIsolation } from '../../../src/core/tenancy/isolation-check.js';
import { planTenancy } from '../../../src/core/tenancy/tenancy-plan.js';
import { TenantPrefixIndex } from '../../../src/core/tenancy/tenant-prefix-index.js';
import { applyToSnapshot, discoveredClusters, emptySnapshot, naming } from './synthetic-tenants.js';

const tenantsOf = (...scopes: string[]) =>
  desiredTenants(
    { managed: [], discovered: scopes.map((scope) => ({ namespace: '/service/', scope, origin: 'k' })), listed: [] },
    naming,
  );
const isolated = (scopes: string[]): AuthSnapshot =>
  applyToSnapshot(
    emptySnapshot,
    planTenancy({
      tenants: tenantsOf(...scopes),
      actual: emptySnapshot,
      naming,
      passwords: { withFile: new Set(), rejected: new Set() },
      prune: false,
    }).actions,
  );
const withRole = (
  snapshot: AuthSnapshot,
  role: string,
  ranges: KeyRange[],
  permType: 'READ' | 'READWRITE' = 'READWRITE',
): AuthSnapshot => ({
  ...snapshot,
  roles: snapshot.roles.map((r) =>
    r.name === role ? { ...r, permissions: [...r.permissions, ...ranges.map((range) => ({ ...range, permType }))] } : r,
  ),
});

describe('the static isolation check', () => {
  const scopes = ['alpha', 'alpha2', 'beta'];

  it('finds nothing when each tenant holds exactly its prefix with the trailing slash', () => {
    assert.deepEqual(checkIsolation(tenantsOf(...scopes), isolated(scopes)), []);
  });

  it('flags a prefix without its trailing slash, and the tenant it reaches', () => {
    const findings = checkIsolation(
      tenantsOf(...scopes),
      withRole(isolated(scopes), 'patroni-alpha', [prefixRange('/service/alpha')]),
    );
    assert.deepEqual(
      findings.map((f) => [f.kind, f.tenant, f.range, f.reaches]),
      [['no-trailing-slash', '/service/alpha', '[/service/alpha, /service/alphb)', ['/service/alpha2']]],
    );
    assert.match(
      findings[0]!.message,
      /role patroni-alpha grants readwrite on \[\/service\/alpha, \/service\/alphb\): a prefix without its trailing slash, reaching \/service\/alpha2/,
    );
  });

  it('flags a range over the whole keyspace and a tenant user holding root', () => {
    const snapshot = withRole(
      isolated(scopes),
      'patroni-beta',
      [{ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }],
      'READ',
    );
    const rooted = {
      ...snapshot,
      users: snapshot.users.map((u) => (u.name === 'patroni-alpha2' ? { ...u, roles: [...u.roles, 'root'] } : u)),
    };
    const findings = checkIsolation(tenantsOf(...scopes), rooted);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.tenant, f.reaches.length]),
      [
        ['holds-root', '/service/alpha2', 2],
        ['whole-keyspace', '/service/beta', 2],
      ],
    );
  });

  it('flags a range outside the prefix, a single key in another tenant, and another tenant role held', () => {
    let snapshot = withRole(
      isolated(scopes),
      'patroni-beta',
      [{ key: Buffer.from('/service/alpha/leader'), rangeEnd: Buffer.alloc(0) }, prefixRange('/elsewhere/')],
      'READ',
    );
    snapshot = {
      ...snapshot,
      users: snapshot.users.map((u) =>
        u.name === 'patroni-alpha' ? { ...u, roles: [...u.roles, 'patroni-alpha2'] } : u,
      ),
    };
    const findings = checkIsolation(tenantsOf(...scopes), snapshot);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.tenant, f.range, f.reaches]),
      [
        ['outside-prefix', '/service/alpha', '[/service/alpha2/, /service/alpha20)', ['/service/alpha2']],
        ['outside-prefix', '/service/beta', '/service/alpha/leader', ['/service/alpha']],
        ['outside-prefix', '/service/beta', '[/elsewhere/, /elsewhere0)', []],
      ],
    );
  });

  it('reports a tenant that is not ready (user, role or grant missing)', () => {
    const snapshot = isolated(['alpha']);
    const findings = checkIsolation(tenantsOf('alpha', 'beta'), snapshot);
    assert.deepEqual(
      findings.map((f) => [f.kind, f.message]),
      [['not-ready', '/service/beta: user patroni-beta does not exist; role patroni-beta does not exist']],
    );
  });

  it('flags tenants whose prefixes nest (namespaces inside namespaces)', () => {
    const tenants = desiredTenants(
      {
        managed: [],
        discovered: [
          { namespace: '/service/', scope: 'team', origin: 'k1' },
          { namespace: '/service/team/', scope: 'alpha', origin: 'k2' },
        ],
        listed: [{ scope: 'alpha', namespace: '/service/team/', user: 'team-alpha', role: 'team-alpha', origin: 't' }],
      },
      naming,
    );
    const snapshot = applyToSnapshot(
      emptySnapshot,
      planTenancy({
        tenants,
        actual: emptySnapshot,
        naming,
        passwords: { withFile: new Set(), rejected: new Set() },
        prune: false,
      }).actions,
    );
    assert.deepEqual(
      checkIsolation(tenants, snapshot).map((f) => [f.kind, f.tenant, f.reaches]),
      [['nested-prefixes', '/service/team', ['/service/team/alpha']]],
    );
  });

  it('handles 1,000 tenants, finding the one too-wide grant among them', () => {
    const tenants = desiredTenants({ managed: [], discovered: discoveredClusters(1000), listed: [] }, naming);
    const clean = applyToSnapshot(
      emptySnapshot,
      planTenancy({
        tenants,
        actual: emptySnapshot,
        naming,
        passwords: { withFile: new Set(), rejected: new Set() },
        prune: false,
      }).actions,
    );
    assert.deepEqual(checkIsolation(tenants, clean), []);
    // c1 without its slash reaches c10..c19 and c100..c199: 110 tenants.
    const findings = checkIsolation(tenants, withRole(clean, 'patroni-c1', [prefixRange('/service/c1')]));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.reaches.length, 110);
    assert.match(findings[0]!.message, /reaching \/service\/c10, \/service\/c100, .* and 105 more/);
  });
});

describe('the tenant prefix index', () => {
  it('finds exactly the tenants a range reaches (checked against every pair on random ranges)', () => {
    const tenants = desiredTenants(
      { managed: [], discovered: discoveredClusters(300, (i) => `s${(i * 7919) % 1000}`), listed: [] },
      naming,
    );
    const index = new TenantPrefixIndex(tenants);
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const keys = [
      '',
      '/',
      '/service/',
      '/service/s1',
      '/service/s1/',
      '/service/s12/leader',
      '/service/s9',
      '/service/t',
      '/a',
      '\u0000',
    ];
    for (let round = 0; round < 2000; round += 1) {
      const start =
        random(3) === 0 ? keys[random(keys.length)]! : `/service/s${random(1000)}${['', '/', '/x', '0'][random(4)]}`;
      const kind = random(4);
      const range: KeyRange =
        kind === 0
          ? { key: Buffer.from(start), rangeEnd: Buffer.alloc(0) }
          : kind === 1
            ? prefixRange(start)
            : kind === 2
              ? { key: Buffer.from(start), rangeEnd: Buffer.from([0]) }
              : { key: Buffer.from(start), rangeEnd: Buffer.from(`/service/s${random(1000)}`) };
      if (kind === 3 && Buffer.compare(range.key, range.rangeEnd) >= 0) continue;
      const expected = tenants
        .filter((tenant) => rangesOverlap(prefixRange(tenant.prefix), range))
        .map((t) => t.prefix)
        .sort();
      assert.deepEqual(
        index
          .reachedBy(range)
          .map((t) => t.prefix)
          .sort(),
        expected,
        `range ${JSON.stringify([start, range.rangeEnd.toString()])}`,
      );
    }
  });
});
