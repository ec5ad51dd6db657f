import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeNamespace, parsePatroniKey } from '../../../src/core/census/patroni-key.js';

describe('a Patroni-shaped key', () => {
  it('is read under any namespace, one level or several', () => {
    assert.deepEqual(parsePatroniKey('/service/alpha/members/alpha-1'), {
      base: '/service/alpha/',
      namespace: '/service/',
      scope: 'alpha',
      citusGroup: undefined,
      kind: 'members',
      member: 'alpha-1',
    });
    assert.deepEqual(parsePatroniKey('/postgresql-common/15-main/leader'), {
      base: '/postgresql-common/15-main/',
      namespace: '/postgresql-common/',
      scope: '15-main',
      citusGroup: undefined,
      kind: 'leader',
      member: undefined,
    });
    assert.equal(parsePatroniKey('/odd/deep/ns/zeta/initialize')?.base, '/odd/deep/ns/zeta/');
  });

  it('covers every key Patroni 3.0.2 keeps, the legacy optime/leader included', () => {
    const kinds = ['leader', 'config', 'initialize', 'status', 'history', 'failover', 'sync', 'failsafe'].map(
      (name) => parsePatroniKey(`/service/a/${name}`)?.kind,
    );
    assert.deepEqual(kinds, ['leader', 'config', 'initialize', 'status', 'history', 'failover', 'sync', 'failsafe']);
    assert.deepEqual(parsePatroniKey('/service/a/optime/leader'), {
      base: '/service/a/',
      namespace: '/service/',
      scope: 'a',
      citusGroup: undefined,
      kind: 'optime',
      member: undefined,
    });
  });

  it('reads a member named like a Patroni key as a member', () => {
    assert.deepEqual(parsePatroniKey('/service/alpha/members/config'), {
      base: '/service/alpha/',
      namespace: '/service/',
      scope: 'alpha',
      citusGroup: undefined,
      kind: 'members',
      member: 'config',
    });
  });

  it('reads a numeric directory under a scope as a Citus group, and a numeric scope in its namespace as a scope', () => {
    assert.deepEqual(parsePatroniKey('/service/demo/0/members/coord-1'), {
      base: '/service/demo/',
      namespace: '/service/',
      scope: 'demo',
      citusGroup: 0,
      kind: 'members',
      member: 'coord-1',
    });
    assert.deepEqual(parsePatroniKey('/service/15/leader'), {
      base: '/service/15/',
      namespace: '/service/',
      scope: '15',
      citusGroup: undefined,
      kind: 'leader',
      member: undefined,
    });
  });

  it('is not any other key', () => {
    for (const key of [
      '/app/settings',
      '/service/alpha/members/',
      '/service/alpha/leaders',
      '/service/alpha/optime/other',
      'leader',
    ])
      assert.equal(parsePatroniKey(key), undefined, key);
  });
});

describe("Patroni's namespace setting", () => {
  it('means the same prefix with or without its slashes, and /service/ when unset', () => {
    assert.deepEqual(['service', '/service', '/service/', '//service//'].map(normalizeNamespace), [
      '/service/',
      '/service/',
      '/service/',
      '/service/',
    ]);
    assert.equal(normalizeNamespace(undefined), '/service/');
    assert.equal(normalizeNamespace('/a/b'), '/a/b/');
  });
});
