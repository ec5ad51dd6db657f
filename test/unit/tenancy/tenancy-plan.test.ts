import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthSnapshot } from '../../../src/core/etcd/auth-model.js';
import { prefixRange } from '../../../src/core/etcd/key-range.js';
import { desiredTenants } from '../../../src/core/tenancy/desired-tenants.js';
import { declaredClient } from '../../../src/core/tenancy/declared-clients.js';
import {
  type PasswordFacts,
  type TenancyPlan,
  describeAction,
  planTenancy,
  planView,
} from '../../../src/core/tenancy/tenancy-plan.js';
import { applyToSnapshot, discoveredClusters, emptySnapshot, naming } from './synthetic-tenants.js';

const noFiles: PasswordFacts = { withFile: new Set(), rejected: new Set() };
const tenantsOf = (...scopes: string[]) =>
  desiredTenants(
    {
      managed: [],
      discovered: scopes.map((scope) => ({ namespace: '/service/', scope, origin: `/service/${scope}/members/1` })),
      listed: [],
    },
    naming,
  );
const plan = (
  snapshot: AuthSnapshot,
  options: { scopes?: string[]; passwords?: PasswordFacts; prune?: boolean } = {},
): TenancyPlan =>
  planTenancy({
    tenants: tenantsOf(...(options.scopes ?? ['alpha', 'alpha2', 'beta'])),
    actual: snapshot,
    naming,
    passwords: options.passwords ?? noFiles,
    prune: options.prune ?? false,
  });
const lines = (p: TenancyPlan): string[] => p.actions.map(describeAction);
const allFiles = (snapshot: AuthSnapshot): PasswordFacts => ({
  withFile: new Set(snapshot.users.map((u) => u.name)),
  rejected: new Set(),
});

describe('the tenancy plan', () => {
  it('from an empty etcd: root first, then per tenant its role, its grant with the trailing slash, its user', () => {
    const p = plan(emptySnapshot);
    assert.deepEqual(lines(p).slice(0, 6), [
      "create user root (pgfleet's admin identity, password from etcd_admin)",
      'grant role root to user root',
      'create role patroni-alpha',
      'grant readwrite [/service/alpha/, /service/alpha0) to role patroni-alpha',
      'create user patroni-alpha (new random password, written to its file)',
      'grant role patroni-alpha to user patroni-alpha',
    ]);
    assert.equal(p.actions.length, 2 + 3 * 4);
  });

  it('is empty once carried out (apply is idempotent)', () => {
    const after = applyToSnapshot(emptySnapshot, plan(emptySnapshot).actions);
    const again = plan(after, { passwords: allFiles(after) });
    assert.deepEqual(again.actions, []);
    assert.deepEqual(
      again.unverifiedPasswords,
      ['patroni-alpha', 'patroni-alpha2', 'patroni-beta'],
      'with auth off, existing passwords cannot be checked',
    );
    assert.deepEqual(plan({ ...after, authEnabled: true }, { passwords: allFiles(after) }).unverifiedPasswords, []);
  });

  it('reuses an existing password file for a new user', () => {
    const p = plan(emptySnapshot, {
      scopes: ['alpha'],
      passwords: { withFile: new Set(['patroni-alpha']), rejected: new Set() },
    });
    assert.ok(lines(p).includes('create user patroni-alpha (password from its file)'));
  });

  it('grants the right range before revoking a too-wide one (/service/alpha without its slash)', () => {
    const done = applyToSnapshot(emptySnapshot, plan(emptySnapshot).actions);
    const wide = {
      ...done,
      roles: done.roles.map((role) =>
        role.name === 'patroni-alpha'
          ? { ...role, permissions: [{ ...prefixRange('/service/alpha'), permType: 'READWRITE' as const }] }
          : role,
      ),
    };
    const p = plan(wide, { passwords: allFiles(done) });
    assert.deepEqual(lines(p), [
      'grant readwrite [/service/alpha/, /service/alpha0) to role patroni-alpha',
      "revoke readwrite [/service/alpha, /service/alphb) from role patroni-alpha: too wide: it reaches beyond the cluster's prefix",
    ]);
    assert.deepEqual(plan(applyToSnapshot(wide, p.actions), { passwords: allFiles(done) }).actions, []);
  });

  it('names a whole-keyspace grant, a wrong range, a read-only grant, and extra roles of a tenant user', () => {
    const done = applyToSnapshot(emptySnapshot, plan(emptySnapshot, { scopes: ['alpha'] }).actions);
    const messy: AuthSnapshot = {
      ...done,
      users: done.users.map((user) =>
        user.name === 'patroni-alpha' ? { ...user, roles: [...user.roles, 'root', 'other'] } : user,
      ),
      roles: [
        {
          name: 'patroni-alpha',
          permissions: [
            { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), permType: 'READ' },
            { ...prefixRange('/elsewhere/'), permType: 'READ' },
            { ...prefixRange('/service/alpha/'), permType: 'READ' },
          ],
        },
        { name: 'other', permissions: [] },
      ],
    };
    const p = plan(messy, { scopes: ['alpha'], passwords: allFiles(done) });
    assert.deepEqual(lines(p), [
      'grant readwrite [/service/alpha/, /service/alpha0) to role patroni-alpha (it was read or write only)',
      'revoke read [0x00, <end of keyspace>) from role patroni-alpha: covers the whole keyspace',
      "revoke read [/elsewhere/, /elsewhere0) from role patroni-alpha: not the cluster's prefix",
      'revoke role root from user patroni-alpha (root reaches every cluster)',
      'revoke role other from user patroni-alpha',
    ]);
    assert.deepEqual(
      plan(applyToSnapshot(messy, p.actions), { scopes: ['alpha'], passwords: allFiles(done) }).actions,
      [],
    );
  });

  it('sets a password etcd refuses (rotation), and flags as disruptive a new password for an existing user with auth on', () => {
    const done = {
      ...applyToSnapshot(emptySnapshot, plan(emptySnapshot, { scopes: ['alpha', 'beta'] }).actions),
      authEnabled: true,
    };
    const p = plan(done, {
      scopes: ['alpha', 'beta'],
      passwords: { withFile: new Set(['patroni-alpha']), rejected: new Set(['patroni-alpha']) },
    });
    assert.deepEqual(
      p.actions.map((a) => (a.kind === 'set-password' ? [a.user, a.reason, a.disruptive] : a.kind)),
      [
        ['patroni-alpha', 'rejected', false],
        ['patroni-beta', 'file-missing', true],
      ],
    );
  });

  it('lists orphans (named like tenants, no cluster) and deletes them only with prune; leaves other users alone', () => {
    const done = applyToSnapshot(emptySnapshot, plan(emptySnapshot, { scopes: ['alpha', 'gone'] }).actions);
    const withStranger: AuthSnapshot = { ...done, users: [...done.users, { name: 'backup-tool', roles: [] }] };
    const kept = plan(withStranger, { scopes: ['alpha'], passwords: allFiles(done) });
    assert.deepEqual(kept.actions, []);
    assert.deepEqual(kept.orphans, { users: ['patroni-gone'], roles: ['patroni-gone'] });
    const pruned = plan(withStranger, { scopes: ['alpha'], passwords: allFiles(done), prune: true });
    assert.deepEqual(lines(pruned), [
      'delete user patroni-gone (orphan: no cluster uses it)',
      'delete role patroni-gone (orphan: no cluster uses it)',
    ]);
  });

  it('shows ranges decoded in JSON, without Buffers', () => {
    const view = planView(plan(emptySnapshot, { scopes: ['alpha'] })) as {
      actions: Array<Record<string, unknown>>;
      pending: boolean;
    };
    assert.equal(view.pending, true);
    const grant = view.actions.find((a) => a.kind === 'grant-permission')!;
    assert.equal(grant.range, '[/service/alpha/, /service/alpha0)');
    assert.equal(grant.permission, undefined);
    assert.doesNotThrow(() => JSON.stringify(view));
  });

  it('handles 1,000 tenants: 4,002 actions from empty, none once carried out', () => {
    const tenants = desiredTenants({ managed: [], discovered: discoveredClusters(1000), listed: [] }, naming);
    const first = planTenancy({ tenants, actual: emptySnapshot, naming, passwords: noFiles, prune: false });
    assert.equal(first.actions.length, 4002);
    const after = applyToSnapshot(emptySnapshot, first.actions);
    const second = planTenancy({ tenants, actual: after, naming, passwords: allFiles(after), prune: true });
    assert.deepEqual(second.actions, []);
  });
});

describe('the tenancy plan for declared clients', () => {
  const vip = declaredClient(
    { name: 'vip-alpha', kind: 'vip-manager', scope: 'alpha', version: '2.8.0', origin: 't:1:1' },
    '/service/',
  );
  const confd = declaredClient({ name: 'confd-app', kind: 'confd', prefix: '/app/', origin: 't:5:1' }, '/service/');
  const withClients = (snapshot: AuthSnapshot, passwords: PasswordFacts = noFiles): TenancyPlan =>
    planTenancy({
      tenants: tenantsOf('alpha'),
      actual: snapshot,
      naming,
      passwords,
      prune: true,
      clients: [vip, confd],
    });

  it('gives each client its own user and role with its one grant: read of one key, or read of a prefix', () => {
    const clientLines = lines(withClients(emptySnapshot)).filter((line) => /vip-alpha|confd-app/.test(line));
    assert.deepEqual(clientLines, [
      'create role vip-alpha',
      'grant read /service/alpha/leader to role vip-alpha',
      'create user vip-alpha (new random password, written to its file)',
      'grant role vip-alpha to user vip-alpha',
      'create role confd-app',
      'grant read [/app/, /app0) to role confd-app',
      'create user confd-app (new random password, written to its file)',
      'grant role confd-app to user confd-app',
    ]);
  });

  it('revokes what a client role holds beyond its declaration, and never prunes a client as an orphan', () => {
    const after = applyToSnapshot(emptySnapshot, withClients(emptySnapshot).actions);
    assert.deepEqual(withClients(after, allFiles(after)).actions, []);
    const widened: AuthSnapshot = {
      ...after,
      roles: after.roles.map((role) =>
        role.name === 'vip-alpha'
          ? { ...role, permissions: [...role.permissions, { ...prefixRange('/service/'), permType: 'READWRITE' }] }
          : role,
      ),
    };
    assert.deepEqual(lines(withClients(widened, allFiles(widened))), [
      'revoke readwrite [/service/, /service0) from role vip-alpha: beyond what the client is declared to need',
    ]);
  });
});
