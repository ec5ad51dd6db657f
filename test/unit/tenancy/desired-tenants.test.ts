import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { clustersFromMemberKeys } from '../../../src/core/tenancy/cluster-discovery.js';
import { desiredTenants, tenantNames } from '../../../src/core/tenancy/desired-tenants.js';
import { naming } from './synthetic-tenants.js';

const refuses = (run: () => unknown, code: string, message: RegExp): void => {
  assert.throws(
    run,
    (error: unknown) => error instanceof PgfleetError && error.code === code && message.test(error.message),
  );
};

describe('clusters found in the DCS', () => {
  it('are every <namespace><scope>/members/<name>, once per cluster, whoever created them', () => {
    const keys = [
      '/service/alpha/leader',
      '/service/alpha/members/a2',
      '/service/alpha/members/a1',
      '/service/alpha2/members/x',
      '/service/beta/config',
      '/other/gamma/members/g1',
      '/unscanned/delta/members/d1',
    ];
    assert.deepEqual(clustersFromMemberKeys(['/service/', '/other/'], keys), [
      { namespace: '/other/', scope: 'gamma', origin: '/other/gamma/members/g1' },
      { namespace: '/service/', scope: 'alpha', origin: '/service/alpha/members/a1' },
      { namespace: '/service/', scope: 'alpha2', origin: '/service/alpha2/members/x' },
    ]);
  });

  it('keep an empty scope or one with "/" (to be refused, not skipped)', () => {
    assert.deepEqual(
      clustersFromMemberKeys(['/service/'], ['/service//members/x', '/service/team/alpha/members/y']).map(
        (c) => c.scope,
      ),
      ['', 'team/alpha'],
    );
  });

  it('fall in the longest scanned namespace', () => {
    assert.deepEqual(clustersFromMemberKeys(['/service/', '/service/team/'], ['/service/team/alpha/members/y']), [
      { namespace: '/service/team/', scope: 'alpha', origin: '/service/team/alpha/members/y' },
    ]);
  });
});

describe('the desired tenants', () => {
  it('merge managed clusters, clusters in the DCS and the tenants file, one tenant per cluster, sorted by prefix', () => {
    const tenants = desiredTenants(
      {
        managed: [{ namespace: '/service/', scope: 'beta', origin: '/etc/patroni/beta-1.yaml' }],
        discovered: [
          { namespace: '/service/', scope: 'beta', origin: '/service/beta/members/b1' },
          { namespace: '/service/', scope: 'alpha', origin: '/service/alpha/members/a1' },
        ],
        listed: [
          { scope: 'gamma', user: 'app-gamma', origin: 'tenants.yaml:2:5' },
          { scope: 'alpha', role: 'custom-alpha', origin: 'tenants.yaml:3:5' },
        ],
      },
      naming,
    );
    assert.deepEqual(tenants, [
      {
        namespace: '/service/',
        scope: 'alpha',
        prefix: '/service/alpha/',
        user: 'patroni-alpha',
        role: 'custom-alpha',
        sources: ['dcs', 'tenants-file'],
      },
      {
        namespace: '/service/',
        scope: 'beta',
        prefix: '/service/beta/',
        user: 'patroni-beta',
        role: 'patroni-beta',
        sources: ['managed', 'dcs'],
      },
      {
        namespace: '/service/',
        scope: 'gamma',
        prefix: '/service/gamma/',
        user: 'app-gamma',
        role: 'patroni-gamma',
        sources: ['tenants-file'],
      },
    ]);
  });

  it('give the prefix its trailing slash: alpha never covers alpha2', () => {
    const tenants = desiredTenants(
      {
        managed: [],
        discovered: clustersFromMemberKeys(['/service/'], ['/service/alpha/members/1', '/service/alpha2/members/1']),
        listed: [],
      },
      naming,
    );
    assert.deepEqual(
      tenants.map((t) => t.prefix),
      ['/service/alpha/', '/service/alpha2/'],
    );
  });

  it('refuse an empty scope or a scope with "/", naming where it was found', () => {
    refuses(
      () =>
        desiredTenants(
          {
            managed: [],
            discovered: [{ namespace: '/service/', scope: '', origin: '/service//members/x' }],
            listed: [],
          },
          naming,
        ),
      'TENANT_BAD_SCOPE',
      /^\/service\/\/members\/x: empty cluster scope/,
    );
    refuses(
      () =>
        desiredTenants(
          {
            managed: [{ namespace: '/service/', scope: 'a/b', origin: '/etc/patroni/x.yaml' }],
            discovered: [],
            listed: [],
          },
          naming,
        ),
      'TENANT_BAD_SCOPE',
      /^\/etc\/patroni\/x\.yaml: scope "a\/b" contains "\/"/,
    );
  });

  it('refuse two clusters that would share a user (same scope in two namespaces)', () => {
    refuses(
      () =>
        desiredTenants(
          {
            managed: [],
            discovered: [
              { namespace: '/service/', scope: 'alpha', origin: 'k1' },
              { namespace: '/other/', scope: 'alpha', origin: 'k2' },
            ],
            listed: [],
          },
          naming,
        ),
      'TENANT_NAME_SHARED',
      /user "patroni-alpha" would serve both \/(service|other)\/alpha and \/(service|other)\/alpha/,
    );
  });

  it('refuse a tenant named like the admin identity or root', () => {
    refuses(
      () =>
        desiredTenants(
          { managed: [], discovered: [{ namespace: '/service/', scope: 'x', origin: 'k' }], listed: [] },
          { ...naming, adminUser: 'patroni-x' },
        ),
      'TENANT_NAME_RESERVED',
      /user "patroni-x" is pgfleet's admin identity/,
    );
    refuses(
      () =>
        desiredTenants(
          { managed: [], discovered: [{ namespace: '/service/', scope: 'oot', origin: 'k' }], listed: [] },
          { ...naming, roleFormat: 'r{scope}' },
        ),
      'TENANT_NAME_RESERVED',
      /role "root"/,
    );
  });

  it('name a tenant the way etcd auth apply names it (the tenants file first)', () => {
    const listed = [{ scope: 'alpha', user: 'app-alpha', origin: 't:1:1' }];
    assert.deepEqual(tenantNames(naming, listed, '/service/', 'alpha'), { user: 'app-alpha', role: 'patroni-alpha' });
    assert.deepEqual(tenantNames(naming, listed, '/other/', 'alpha'), { user: 'patroni-alpha', role: 'patroni-alpha' });
  });
});
