import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeManagedKeyInTemplate, managedKeysInTemplate } from '../../../src/core/patroni-config/managed-keys.js';

const TEMPLATE = `# site template
scope: alpha
namespace: /other/
etcd3:
  password: from-the-template
watchdog:
  mode: 'off'
bootstrap:
  dcs:
    ttl: 30
`;

describe('managed keys a site template sets, located in its text', () => {
  it('without a built instance: every managed key set, at its line, never with its value', () => {
    const found = managedKeysInTemplate(TEMPLATE, 'site.yaml', { dcs: 'etcd3' });
    assert.deepEqual(
      found.map((entry) => [entry.key, entry.location, entry.outcome]),
      [
        ['scope', 'site.yaml:2', 'managed'],
        ['namespace', 'site.yaml:3', 'managed'],
        ['etcd3.password', 'site.yaml:5', 'managed'],
        ['watchdog.mode', 'site.yaml:7', 'managed'],
      ],
    );
    assert.ok(found.every((entry) => !describeManagedKeyInTemplate(entry).includes('from-the-template')));
  });

  it('against the built file: a value written unchanged is no news; the others are replaced or dropped', () => {
    const built = {
      scope: 'alpha',
      namespace: '/service/',
      etcd3: { hosts: ['127.0.0.1:2379'] },
      watchdog: { mode: 'off' },
    };
    assert.deepEqual(
      managedKeysInTemplate(TEMPLATE, 'site.yaml', { dcs: 'etcd3' }, built).map((entry) => [entry.key, entry.outcome]),
      [
        ['namespace', 'replaced'],
        ['etcd3.password', 'dropped'],
      ],
    );
  });

  it('the warning names the file:line, the key and what becomes of it', () => {
    assert.equal(
      describeManagedKeyInTemplate({ key: 'etcd3.password', location: 'site.yaml:5', outcome: 'dropped' }),
      'site.yaml:5: the Patroni template sets etcd3.password, which pgfleet manages: dropped (pgfleet writes no value there); set it through the site settings or the instance options, and remove it from the template',
    );
  });
});
