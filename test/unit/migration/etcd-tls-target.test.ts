import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import {
  applyEtcdTlsTarget,
  describeEtcdConnection,
  discoveryKeyOf,
  etcdTlsTargetFromSettings,
  isOnEtcdTlsTarget,
  withMemberFiles,
} from '../../../src/core/migration/etcd-tls-target.js';
import { EtcdSettingsSchema } from '../../../src/core/settings/site-settings.js';

const httpsSettings = EtcdSettingsSchema.parse({
  hosts: ['10.0.0.1:2389', '10.0.0.2:2389'],
  protocol: 'https',
  cacert: '/pki/ca.crt',
  cert: '/pki/client.crt',
  key: '/pki/client.key',
});
const target = etcdTlsTargetFromSettings(httpsSettings);

describe('etcd TLS target of a member', () => {
  it('comes from settings that already say https, and refuses http settings with a hint', () => {
    assert.deepEqual(target, {
      hosts: ['10.0.0.1:2389', '10.0.0.2:2389'],
      protocol: 'https',
      cacert: '/pki/ca.crt',
      cert: '/pki/client.crt',
      key: '/pki/client.key',
    });
    assert.throws(
      () => etcdTlsTargetFromSettings(EtcdSettingsSchema.parse({}), '/etc/pgfleet/settings.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof PgfleetError);
        assert.equal(error.code, 'ETCD_TLS_TARGET_NOT_HTTPS');
        assert.match(error.message, /\/etc\/pgfleet\/settings\.yaml: patroni\.etcd\.protocol is http/);
        return true;
      },
    );
  });

  it('replaces how a member connects and keeps its etcd credentials and other keys', () => {
    const current = {
      hosts: ['10.0.0.1:2379'],
      protocol: 'http',
      username: 'patroni-alpha',
      password: 'pw',
      retry_timeout: 10,
    };
    assert.deepEqual(applyEtcdTlsTarget(current, target), {
      hosts: ['10.0.0.1:2389', '10.0.0.2:2389'],
      protocol: 'https',
      cacert: '/pki/ca.crt',
      cert: '/pki/client.crt',
      key: '/pki/client.key',
      username: 'patroni-alpha',
      password: 'pw',
      retry_timeout: 10,
    });
  });

  it('drops a single host or url setting that would compete with the new hosts', () => {
    const moved = applyEtcdTlsTarget({ url: 'http://10.0.0.1:2379', host: '10.0.0.1:2379' }, target);
    assert.equal(moved.url, undefined);
    assert.equal(moved.host, undefined);
    assert.equal(isOnEtcdTlsTarget(moved, target), true);
  });

  it('tells a member already on the target from one that is not', () => {
    assert.equal(isOnEtcdTlsTarget(applyEtcdTlsTarget({ hosts: ['x:1'] }, target), target), true);
    assert.equal(isOnEtcdTlsTarget({ hosts: ['10.0.0.1:2389', '10.0.0.2:2389'], protocol: 'http' }, target), false);
    assert.equal(
      isOnEtcdTlsTarget({ ...applyEtcdTlsTarget({}, target), cacert: '/old/ca.crt' }, target),
      false,
      'another CA is not the target',
    );
    assert.equal(
      isOnEtcdTlsTarget({ ...applyEtcdTlsTarget({}, target), hosts: '10.0.0.1:2389,10.0.0.2:2389' }, target),
      true,
      'hosts as a comma list',
    );
  });

  it('lets a member have its own certificate files (one client certificate per node)', () => {
    const own = withMemberFiles(target, { cert: '/pki/alpha-1.crt', key: '/pki/alpha-1.key' });
    assert.deepEqual([own.cacert, own.cert, own.key], ['/pki/ca.crt', '/pki/alpha-1.crt', '/pki/alpha-1.key']);
    assert.equal(withMemberFiles(target, undefined), target);
  });

  it('names a discovery key it will not rewrite, and describes how a member connects now', () => {
    assert.equal(discoveryKeyOf({ srv: 'etcd.example.net' }), 'srv');
    assert.equal(discoveryKeyOf({ hosts: ['a:1'] }), undefined);
    assert.equal(describeEtcdConnection({ hosts: ['a:1', 'b:1'], protocol: 'http' }), 'http a:1, b:1');
    assert.equal(describeEtcdConnection({}), 'http 127.0.0.1:2379');
  });
});
